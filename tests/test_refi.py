"""REFI-QDA projects (.qdpx): schema-valid export, exact round trip, tolerant and safe import.

The schema is REFI's own Project.xsd (shipped in qualkit/schemas/); the foreign file below
is written the way NVivo, ATLAS.ti and MAXQDA write theirs (braced upper-case GUIDs, CRLF
text, selections off sentence boundaries, media qualkit cannot carry).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import xmlschema

from qualkit.model import NoteKind
from qualkit.refi.xml import schema_path
from qualkit.store.db import open_store

MEMO_CODER = """\
transcript,speaker,quote,codes,memo
FG1,P01,I explained the heart exam to my mentee.,teaching_skills,"<first> & ""care"" too"
FG1,P02,I felt more confident after a few weeks.,self_confidence,
FG2,P03,She taught us how to suture on a banana.,teaching_skills;clinical_skills,
"""


@pytest.fixture
def coded(cli, coded_project: Path) -> Path:
    (coded_project / "codings" / "ana.csv").write_text(MEMO_CODER, encoding="utf-8")
    assert cli("run", "-q", "--project", str(coded_project)).exit_code == 0
    return coded_project


def qde_of(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read("project.qde").decode("utf-8")


def snapshot(root: Path) -> dict[str, object]:
    """Everything a round trip must keep, keyed by names rather than database ids."""
    from qualkit.codebook.versions import ACTIVE

    with open_store(root / "qualkit.db") as store:
        names = {t.id: t.name for t in store.transcripts()}
        segments = store.segments()
        where = {s.id: (names[s.transcript_id], s.index) for s in segments}
        version = store.setting(ACTIVE)
        return {
            "transcripts": {t.name: (t.text, dict(t.attributes),
                                     [(u.speaker, u.start, u.end, u.timestamp)
                                      for u in store.turns(t.id)])
                            for t in store.transcripts()},
            "segments": [(where[s.id], s.start, s.end, s.speaker) for s in segments],
            "codebook": (version, store.codebook_content(version) if version else None),
            "codings": {coder: {where[seg]: sorted(c.codes)
                                for seg, c in store.codings(coder).items()}
                        for coder in store.coders()},
            "memos": {(coder, where[seg]): text
                      for (coder, seg), text in store.notes(NoteKind.MEMO).items()},
            "participants": {n: dict(p.attributes) for n, p in store.participants().items()},
        }


# -- export ----------------------------------------------------------------------------

def test_export_validates_against_the_refi_schema(cli, coded: Path) -> None:
    out = coded / "exports" / "study.qdpx"
    result = cli("export", str(out), "--project", str(coded))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"Wrote {out}: 2 transcript(s), 3 code(s), 2 coder(s)")
    xmlschema.XMLSchema(str(schema_path())).validate(qde_of(out))
    root = xmlschema.XMLSchema(str(schema_path())).to_dict(qde_of(out))
    assert [u["@name"] for u in root["Users"]["User"]] == ["ana", "ben"]
    themes = root["CodeBook"]["Codes"]["Code"]
    assert [(t["@name"], t["@isCodable"]) for t in themes] == [
        ("Professional growth", False), ("Personal growth", False)]
    teaching = themes[0]["Code"][0]
    assert teaching["@isCodable"] is True
    assert teaching["Description"].startswith("The mentor teaches or explains.")
    with zipfile.ZipFile(out) as zf:
        members = zf.namelist()
        texts = [zf.read(m).decode("utf-8") for m in members if m.startswith("sources/")]
    assert len(texts) == 2 and all(m.endswith(".txt") for m in members if "sources/" in m)
    sources = root["Sources"]["TextSource"]
    assert all(s["@plainTextPath"].startswith("internal://") for s in sources)
    users = {u["@guid"]: u["@name"] for u in root["Users"]["User"]}
    fg2 = next(s for s in sources if s["@name"] == "FG2")
    text = next(t for t in texts if t.startswith("[00:00:05] Moderator: Tell me"))
    selection = fg2["PlainTextSelection"][0]
    quoted = text[selection["@startPosition"]:selection["@endPosition"]]
    assert quoted == "She taught us how to suture on a banana."
    # ana coded it twice; ben reviewed FG2 and coded nothing
    assert sorted(users[c["@creatingUser"]] for c in selection["Coding"]) == ["ana", "ana"]
    cases = {c["@name"]: c for c in root["Cases"]["Case"]}
    assert set(cases) == {"Moderator", "P01", "P02", "P03"}
    assert [v["TextValue"] for v in cases["P03"]["VariableValue"]] == ["FG2", "mentee", "1"]
    notes = root["Notes"]["Note"]
    assert [n["PlainTextContent"] for n in notes] == ['<first> & "care" too']
    assert "Warning: not in the file: machine suggestions are not exported" in result.stderr


def test_exporting_twice_gives_the_same_bytes(cli, coded: Path, tmp_path: Path) -> None:
    for name in ("a.qdpx", "b.qdpx"):
        assert cli("export", str(tmp_path / name), "-p", str(coded)).exit_code == 0
    assert (tmp_path / "a.qdpx").read_bytes() == (tmp_path / "b.qdpx").read_bytes()


def test_export_needs_the_qdpx_suffix(cli, coded: Path) -> None:
    result = cli("export", "out.zip", "-p", str(coded))
    assert result.exit_code == 2
    assert result.stderr.strip() == ("Error: out.zip: a REFI-QDA project file ends in .qdpx; "
                                     "name it out.qdpx")


# -- round trip -----------------------------------------------------------------------

def test_round_trip_through_the_cli_is_identical(cli, coded: Path, tmp_path: Path) -> None:
    out = tmp_path / "study.qdpx"
    assert cli("export", str(out), "-p", str(coded)).exit_code == 0
    target = tmp_path / "copy"
    result = cli("import", str(out), "-p", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"Created the project {target}."
    assert "2 new transcript(s) with 10 segments" in result.stdout
    assert snapshot(target) == snapshot(coded)
    again = cli("import", str(out), "-p", str(target))
    assert "giving 0 new decision(s); 0 memo(s)" in again.stdout
    assert snapshot(target) == snapshot(coded)


def test_import_into_the_project_it_came_from_records_nothing(cli, coded: Path,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "study.qdpx"
    assert cli("export", str(out), "-p", str(coded)).exit_code == 0
    before = snapshot(coded)
    result = cli("import", str(out), "-p", str(coded))
    assert result.exit_code == 0, result.stderr
    assert "0 new transcript(s) with 0 segments, 2 already in the project" in result.stdout
    assert snapshot(coded) == before


# -- a file from another tool -----------------------------------------------------------

NS = 'xmlns="urn:QDA-XML:project:1.0"'
U1 = "{0A1B2C3D-0000-4000-8000-00000000000A}"
C1 = "{0A1B2C3D-0000-4000-8000-0000000000C1}"
C2 = "{0A1B2C3D-0000-4000-8000-0000000000C2}"
T1 = "{0A1B2C3D-0000-4000-8000-0000000000F1}"
S1 = "{0A1B2C3D-0000-4000-8000-0000000000D1}"
FOREIGN_TEXT = ("Interviewer: How was it?\r\n\r\n"
                "Ana: It was hard. Then it got easier. I liked it.\r\n")


def foreign_qdpx(path: Path) -> Path:
    """A project as NVivo/ATLAS.ti/MAXQDA write them, with what qualkit cannot carry."""
    from docx import Document

    start = FOREIGN_TEXT.index("hard")            # mid-sentence, CRLF text
    end = FOREIGN_TEXT.index("easier") + len("easier")
    label = FOREIGN_TEXT.index("Interviewer")
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project {NS} name="Foreign study" origin="NVivo 14">
 <Users><User guid="{U1}" name="Rita"/></Users>
 <CodeBook><Codes>
  <Code guid="{T1}" name="Feelings" isCodable="false">
   <Code guid="{C1}" name="Difficulty" isCodable="true" color="#FF0000">
    <Description>Something was hard.</Description></Code>
  </Code>
  <Code guid="{C2}" name="Loose code" isCodable="true"/>
 </Codes></CodeBook>
 <Sources>
  <TextSource guid="{S1}" name="Interview 1.txt" plainTextPath="internal://{S1.lower()}.txt">
   <PlainTextSelection guid="{{00000000-0000-4000-8000-000000000001}}" startPosition="{start}"
       endPosition="{end}" creatingUser="{U1}">
    <Coding guid="{{00000000-0000-4000-8000-000000000002}}" creatingUser="{U1}">
     <CodeRef targetGUID="{C1.lower()}"/></Coding>
    <NoteRef targetGUID="{{00000000-0000-4000-8000-000000000009}}"/>
   </PlainTextSelection>
   <PlainTextSelection guid="{{00000000-0000-4000-8000-000000000003}}" startPosition="{label}"
       endPosition="{label + 11}">
    <Coding guid="{{00000000-0000-4000-8000-000000000004}}" creatingUser="{U1}">
     <CodeRef targetGUID="{C2}"/></Coding>
   </PlainTextSelection>
  </TextSource>
  <TextSource guid="{{00000000-0000-4000-8000-0000000000D2}}" name="Interview 2"
      richTextPath="internal://interview2.docx"/>
  <TextSource guid="{{00000000-0000-4000-8000-0000000000D3}}" name="On my laptop"
      plainTextPath="absolute://C:/Users/rita/Interview 3.txt"/>
  <PictureSource guid="{{00000000-0000-4000-8000-0000000000E1}}" name="Photo"
      path="internal://photo.jpg"/>
  <AudioSource guid="{{00000000-0000-4000-8000-0000000000E2}}" name="Recording"
      path="internal://rec.mp3"/>
  <PDFSource guid="{{00000000-0000-4000-8000-0000000000E3}}" name="Scan"
      path="internal://scan.pdf">
   <PDFSelection guid="{{00000000-0000-4000-8000-0000000000E4}}" page="1" firstX="1"
       firstY="1" secondX="2" secondY="2"/>
  </PDFSource>
 </Sources>
 <Notes>
  <Note guid="{{00000000-0000-4000-8000-000000000009}}" name="memo" creatingUser="{U1}">
   <PlainTextContent>Turning point</PlainTextContent></Note>
 </Notes>
 <Sets><Set guid="{{00000000-0000-4000-8000-0000000000A1}}" name="A set"/></Sets>
 <Graphs><Graph guid="{{00000000-0000-4000-8000-0000000000A2}}" name="Map"/></Graphs>
</Project>
"""
    buffer = io.BytesIO()
    document = Document()
    document.add_paragraph("Ana: A second interview, read from Word.")
    document.save(buffer)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        zf.writestr(f"sources/{S1.lower()}.txt", FOREIGN_TEXT.encode("utf-8"))
        zf.writestr("sources/interview2.docx", buffer.getvalue())
        zf.writestr("sources/photo.jpg", b"\xff\xd8 not really a picture")
    return path


def test_a_foreign_file_is_read_with_warnings_for_what_is_left_out(cli,
                                                                    tmp_path: Path) -> None:
    path = foreign_qdpx(tmp_path / "foreign.qdpx")
    target = tmp_path / "imported"
    result = cli("import", str(path), "-p", str(target), "--no-ner")
    assert result.exit_code == 0, result.stderr
    assert "2 new transcript(s)" in result.stdout
    warnings = result.stderr
    for expected in ("source `On my laptop` was left out: its text is outside the archive",
                     "source `Interview 2` has only a Word file",
                     "1 pictures not carried over", "1 audio sources not carried over",
                     "1 PDF selections not carried over", "1 sets not carried over",
                     "1 graphs not carried over",
                     "1 selection(s) cover no segment's text (a speaker label, a header, "
                     "blank lines): kept as exact spans",
                     "top-level code(s) `Loose code` were put under a theme"):
        assert expected in warnings, expected
    snap = snapshot(target)
    text = snap["transcripts"]["Interview 1"][0]
    assert "\r" not in text
    coded = snap["codings"]["Rita"]
    segments = {where: (start, end) for where, start, end, _ in snap["segments"]}
    hit = [where for where, codes in coded.items() if codes == ["difficulty"]]
    # "hard. Then it got easier" starts in one sentence and ends in the next: both coded
    assert [text[slice(*segments[w])] for w in sorted(hit)] == ["It was hard.",
                                                                "Then it got easier."]
    assert sorted(w for w, codes in coded.items() if not codes) == [
        ("Interview 1", 0), ("Interview 1", 3)]  # reviewed, none apply
    assert list(snap["memos"].values()) == ["Turning point"]
    with open_store(target / "qualkit.db") as store:
        origins = {e.origin for e in store.events("Rita") if e.code_id == "difficulty"}
    start = FOREIGN_TEXT.index("hard")
    assert origins == {f"qdpx:foreign.qdpx@{start}-{FOREIGN_TEXT.index('easier') + 6}"}


def test_a_failed_import_leaves_no_project_behind(cli, tmp_path: Path) -> None:
    path = tmp_path / "clash.qdpx"
    foreign_qdpx(path)
    target = tmp_path / "new"
    # the privacy gate: the roster (cases) is empty, so names come from --roster
    roster = tmp_path / "real-names.txt"
    roster.write_text("Ana\n", encoding="utf-8")
    result = cli("import", str(path), "-p", str(target), "--roster", str(roster), "--no-ner")
    assert result.exit_code == 1
    assert not target.exists()


# -- hostile archives ------------------------------------------------------------------

def archive(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


MINIMAL = f'<Project {NS} name="x"/>'.encode()
XXE = f"""<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Project {NS} name="&secret;"/>""".encode()
def _laugh(i: int) -> str:
    inner = "&lol;" if i == 1 else f"&lol{i - 1};"
    return f'<!ENTITY lol{i} "{inner * 10}">'


LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE Project [<!ENTITY lol "lol">'
          + "".join(_laugh(i) for i in range(1, 10))
          + f']><Project {NS} name="&lol9;"/>').encode()


@pytest.mark.parametrize(("members", "message"), [
    ({"project.qde": MINIMAL, "../../evil.txt": b"x"},
     "member '../../evil.txt' points outside the archive's folder; this archive is refused"),
    ({"project.qde": MINIMAL, "/etc/cron.d/evil": b"x"},
     "member '/etc/cron.d/evil' points outside the archive's folder"),
    ({"project.qde": b"<Project " + NS.encode() + b' name="x">' + b" " * (40 << 20)
      + b"</Project>"}, "times its packed size (a zip bomb?); refused"),
    ({"project.qde": XXE}, "declares a DTD or entities, which a REFI-QDA project never needs"),
    ({"project.qde": LAUGHS}, "declares a DTD or entities"),
    ({"readme.txt": b"hello"}, "holds no project.qde; it is not a REFI-QDA project"),
], ids=["path-traversal", "absolute-path", "zip-bomb", "xxe", "billion-laughs", "no-qde"])
def test_hostile_archives_are_refused_cleanly(cli, tmp_path: Path, members: dict[str, bytes],
                                              message: str) -> None:
    path = archive(tmp_path / "hostile.qdpx", members)
    target = tmp_path / "target"
    result = cli("import", str(path), "-p", str(target))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert message in lines[0]
    assert "Traceback" not in result.stderr
    assert not target.exists()
    assert not (tmp_path / "evil.txt").exists()


def test_a_member_inflating_past_its_declared_size_is_cut_off(tmp_path: Path,
                                                             monkeypatch) -> None:
    from qualkit.errors import FileError
    from qualkit.refi import archive as module

    path = archive(tmp_path / "big.qdpx", {"project.qde": b"a" * 5000})
    monkeypatch.setattr(module, "MAX_MEMBER_BYTES", 4096)
    with module.Archive(path) as opened, pytest.raises(FileError, match="refused"):
        opened.read("project.qde")
