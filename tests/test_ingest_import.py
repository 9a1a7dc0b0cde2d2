"""Import into a project: every format, the gate in front of the store, attributes,
re-imports, and the listing."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualkit.ingest.formats import read_source
from qualkit.ingest.importer import allowed_pii, import_transcripts
from qualkit.ingest.segment import segment
from qualkit.model import Unit
from qualkit.project import find

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"




def test_every_format_imports_with_exact_slices(tmp_path: Path, fixture_project, cli) -> None:
    root = fixture_project("teams.vtt", "captions.srt", "prefixed.docx", "bold.docx",
                    "survey.csv", "survey.xlsx", "otter.txt", "utf16.txt")
    (root / "transcripts" / "survey.xlsx").rename(root / "transcripts" / "survey2.xlsx")
    result = cli("import", "-p", str(root), "--no-ner")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Imported 8 new and 0 changed transcript(s), ")
    store = find(root).open_store()
    texts = {t.id: t.text for t in store.transcripts()}
    segments = store.segments()
    assert segments and all(s.text == texts[s.transcript_id][s.start:s.end] for s in segments)
    teams = store.transcript("teams")
    assert [(t.speaker, t.timestamp) for t in store.turns(teams.id)] == [
        ("Moderator", "00:00:01"), ("P16", "00:00:05"), ("P17", "00:00:12")]
    # Spreadsheet columns other than speaker and text became participant attributes.
    assert store.participants()["R01"].attributes == {"year": "4", "site": "Pécs"}
    assert store.participants()["R12"].attributes == {"Cohort": "2023"}


def test_a_bad_file_stops_the_import_and_nothing_is_stored(
        tmp_path: Path, fixture_project, cli) -> None:
    root = fixture_project("bracket_time.txt", "broken.vtt")
    result = cli("import", "-p", str(root), "--no-ner")
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {root / 'transcripts' / 'broken.vtt'}:8: broken cue "
                             "timing; expected `00:00:01.000 --> 00:00:04.000`\n")
    assert find(root).open_store().transcripts() == []


def test_allow_pii_imports_and_is_recorded_in_the_project(
        tmp_path: Path, fixture_project, cli) -> None:
    root = fixture_project("with_pii.txt", "participants.csv")
    blocked = cli("import", "-p", str(root), "--no-ner")
    assert blocked.exit_code == 1
    assert blocked.stderr.splitlines()[:7] == [
        "transcripts/with_pii.txt:3:29: an e-mail address",
        "transcripts/with_pii.txt:5:18: a phone number",
        "transcripts/with_pii.txt:5:45: a URL",
        "transcripts/with_pii.txt:7:20: a date of birth",
        "transcripts/with_pii.txt:7:59: an ID number",
        "transcripts/with_pii.txt:9:18: a postal code",
        'transcripts/with_pii.txt:11:1: a speaker missing from participants.csv "Anna"']
    # The label is for the user at the terminal, not for the error message (nor logs).
    assert "Anna" not in blocked.stderr.splitlines()[-1]
    result = cli("import", "-p", str(root), "--no-ner", "--allow-pii")
    assert result.exit_code == 0
    assert result.stderr == ("Warning: with_pii imported with --allow-pii despite 7 possible "
                             "identifier(s); the project records this.\n")
    (record,) = allowed_pii(find(root).open_store())
    assert record["transcript"] == "with_pii"
    assert record["findings"] == {"email": 1, "phone": 1, "url": 1, "birth_date": 1,
                                  "id_number": 1, "postcode": 1, "unknown_speaker": 1}
    listing = json.loads(cli("transcripts", "list", "--json", "-p", str(root)).stdout)
    assert listing[0]["allow_pii"] is True


def test_roster_of_real_names_on_import(tmp_path: Path, fixture_project, cli) -> None:
    root = fixture_project("with_names.txt")
    result = cli("import", "-p", str(root), "--no-ner", "--roster",
                 str(FIXTURES / "real_names.txt"))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:3] == [
        "transcripts/with_names.txt:3:6: a name on the roster of real names",
        "transcripts/with_names.txt:3:44: a name on the roster of real names",
        "transcripts/with_names.txt:5:12: a name on the roster of real names"]
    assert "Katal" not in result.stderr and "Bence" not in result.stderr


def test_transcript_attributes_from_the_sheet_and_the_roster(project: Path) -> None:
    (project / "transcripts" / "transcripts.csv").write_text(
        "transcript,date,site\nFG1.txt,2024-03-05,Pécs\n", encoding="utf-8")
    prj = find(project)
    store = prj.open_store()
    import_transcripts(store, prj, ner=None)
    assert store.transcript("FG1").attributes == {"group": "FG1", "date": "2024-03-05",
                                                  "site": "Pécs"}
    assert store.transcript("FG2").attributes == {"group": "FG2"}
    # Editing the sheet later updates unchanged transcripts on the next import.
    (project / "transcripts" / "transcripts.csv").write_text(
        "transcript,date,site\nFG2,2024-04-01,Szeged\n", encoding="utf-8")
    again = import_transcripts(store, prj, ner=None)
    assert again.unchanged == ["FG1", "FG2"]
    assert store.transcript("FG1").attributes == {"group": "FG1"}
    assert store.transcript("FG2").attributes == {"group": "FG2", "date": "2024-04-01",
                                                  "site": "Szeged"}


def test_a_changed_uncoded_transcript_is_reimported_and_the_user_told(project: Path,
                                                                      cli) -> None:
    assert cli("import", "-p", str(project), "--no-ner").exit_code == 0
    path = project / "transcripts" / "FG2.txt"
    path.write_text(path.read_text() + "\n[00:02:00] P03: One more thing.\n")
    result = cli("import", "-p", str(project), "--no-ner")
    assert result.stdout == (
        "Imported 0 new and 1 changed transcript(s), 4 segments; 1 unchanged.\n"
        "Re-imported (changed, nobody had coded them; their suggestions are recomputed by "
        "`qualkit suggest`): FG2\n"
        "Privacy gate: checks run: e-mail, phone, URL, postal code, date of birth, ID number, "
        "speakers on participants.csv; not run: real names (no --roster), named entities "
        "(off).\n")


def test_transcripts_list_json(project: Path, cli) -> None:
    assert cli("import", "-p", str(project), "--no-ner").exit_code == 0
    rows = json.loads(cli("transcripts", "list", "--json", "-p", str(project)).stdout)
    # FG1 of tests/conftest.py: 4 turns, 7 sentences, 3 speakers; words of talk counted by
    # hand: 7 + 14 + 16 + 5.
    assert rows[0] == {"id": rows[0]["id"], "name": "FG1", "file": "transcripts/FG1.txt",
                       "turns": 4, "segments": 7, "speakers": 3, "words": 42,
                       "attributes": {"group": "FG1"}, "allow_pii": False}


# -- offsets: a property test ------------------------------------------------------------

SPEAKERS = st.sampled_from(["P01", "P02", "Moderator", "Speaker 2", "ÁDÁM"])
WORD = st.lists(st.sampled_from([*"abcdeé xyz.,?!'", "e\u0301", "ß", "—", "Mr. ", "  "]),
                min_size=1, max_size=30).map("".join)
TALK = st.lists(WORD.filter(lambda w: w.strip() and not w.strip().endswith(":")),
                min_size=1, max_size=3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(turns=st.lists(st.tuples(SPEAKERS, TALK), min_size=1, max_size=6),
       newline=st.sampled_from(["\n", "\r\n", "\r"]), bom=st.booleans(),
       stamp=st.booleans())
def test_offsets_survive_any_line_ending_bom_and_composition(tmp_path: Path, turns, newline,
                                                             bom, stamp) -> None:
    lines = []
    for i, (speaker, talk) in enumerate(turns):
        label = (f"[00:00:{i:02d}] " if stamp else "") + f"{speaker}: "
        lines += [label + talk[0].strip()] + [t.strip() for t in talk[1:]] + [""]
    raw = newline.join(lines)
    path = tmp_path / "t.txt"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + raw.encode("utf-8"))
    source = read_source(path)
    text = source.text
    assert "\r" not in text
    assert [t.speaker for t in source.turns] == [s for s, _ in turns]
    import unicodedata

    for turn, (_, talk) in zip(source.turns, turns, strict=True):
        expected = unicodedata.normalize("NFC", "\n".join(t.strip() for t in talk))
        assert text[turn.start:turn.end] == expected
    for unit in (Unit.SENTENCE, Unit.TURN):
        spans = segment(text, source.turns, unit)
        previous = 0
        for turn_index, start, end, _speaker in spans:
            turn = source.turns[turn_index]
            assert turn.start <= start < end <= turn.end and start >= previous
            assert text[start:end] == text[start:end].strip()
            previous = end


def test_a_finding_in_a_later_file_rolls_back_the_earlier_ones(
        tmp_path: Path, fixture_project, cli) -> None:
    root = fixture_project("bracket_time.txt", "with_pii.txt")
    (root / "transcripts" / "zz_pii.txt").write_bytes(
        (root / "transcripts" / "with_pii.txt").read_bytes())
    blocked = cli("import", "-p", str(root), "--no-ner")
    assert blocked.exit_code == 1
    # Every file is still scanned after the first finding, so both are listed.
    assert any(line.startswith("transcripts/zz_pii.txt:") for line in blocked.stderr.splitlines())
    store = find(root).open_store()
    assert store.transcripts() == []
    assert allowed_pii(store) == []
    allowed = cli("import", "-p", str(root), "--no-ner", "--allow-pii")
    assert allowed.exit_code == 0
    records = allowed_pii(find(root).open_store())
    assert [r["transcript"] for r in records] == ["with_pii", "zz_pii"]
    assert len(find(root).open_store().transcripts()) == 3
