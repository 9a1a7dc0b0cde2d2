"""Injection and leaks (issue 10).

A corpus of payloads rides in everything a user controls — transcript talk, speaker
labels, participant attributes, code names and definitions, memos — through every export:
each format must carry the payload as inert text. Identifiers seeded in a transcript must
not reach the store without `--allow-pii`, and with it must reach the exports only as the
text that was allowed, never from the roster. Small hostile files (YAML alias bombs, deep
nesting) fail in a moment with one line, exit 2.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring
from openpyxl import load_workbook

from qualkit.store.db import open_store
from tests.reliability.conftest import record

pytestmark = pytest.mark.reliability

PAYLOADS = [
    "<script>alert('x')</script>",
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)",
    "-2+3",
    "@SUM(A1:A2)",
    "\\write18{touch /tmp/pwned}",
    "\\input{/etc/passwd}",
    '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>&xxe;',
    "]]><evil/>",
    "{{ 7*7 }}{% raw %}",
    "../../etc/passwd",
    "'; DROP TABLE segments;--",
]
FORMULA = ("=", "+", "-", "@")

CODEBOOK = """\
name: Payload codebook
themes:
  - id: growth
    name: "Growth <b>bold</b> {{ 7*7 }}"
    codes:
      - id: teaching
        name: "=HYPERLINK(\\"http://x\\") \\\\write18 <script>"
        definition: "@SUM(A1) </td><script>alert(1)</script> ]]>"
        keywords: [teach, explain]
"""


def transcript() -> str:
    lines = ["Moderator: Welcome, tell me about teaching.", ""]
    for n, payload in enumerate(PAYLOADS):
        lines += [f"P0{n % 3 + 1}: I teach this: {payload} and explain it.", ""]
    return "\n".join(lines)


@pytest.fixture
def payload_project(cli, tmp_path: Path) -> Path:
    root = tmp_path / "study"
    for folder in ("codebooks", "transcripts", "exports", "codings"):
        (root / folder).mkdir(parents=True)
    (root / "codebooks" / "book.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "transcripts" / "FG1.txt").write_text(transcript(), encoding="utf-8")
    with (root / "transcripts" / "participants.csv").open("w", encoding="utf-8",
                                                         newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["participant", "group", "role"])
        writer.writerows([["P01", "=1+1", "<i>mentor</i>"], ["P02", "@x", "\\write18{x}"],
                          ["P03", "FG1", "+mentee"]])
    quotes = [f"I teach this: {p} and explain it." for p in PAYLOADS]
    with (root / "codings" / "ana.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["transcript", "speaker", "quote", "codes", "memo"])
        for n, quote in enumerate(quotes):
            writer.writerow(["FG1", "", quote, "teaching", PAYLOADS[-1 - n]])
    with (root / "codings" / "ben.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["transcript", "speaker", "quote", "codes", "memo"])
        for n, quote in enumerate(quotes[::2]):
            writer.writerow(["FG1", "", quote, "teaching", PAYLOADS[n]])
    result = cli("run", "-p", str(root), "-q", "--allow-pii")
    assert result.exit_code == 0, result.stderr
    return root


def csv_cells(data: bytes) -> Iterator[str]:
    for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
        yield from row


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def check_csv(data: bytes) -> None:
    """No text cell starts a formula; a number such as -0.16 is a number, not a formula."""
    for cell in csv_cells(data):
        assert not cell.startswith(FORMULA) or is_number(cell), cell


def check_xlsx(data: bytes) -> None:
    """No formula cells. A text cell that begins with `=` is inert in .xlsx (its type says
    text; Excel shows it and never evaluates it), so a writer may keep it exact, as the
    codebook writer does for round trips, or prefix it, as reports do."""
    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


def check_html(text: str) -> None:
    assert "<script>" not in text.replace("<script>\n//", "")  # no payload script tag
    assert "&lt;script&gt;" in text
    assert "<evil/>" not in text and "<b>bold</b>" not in text
    assert "{{ 7*7 }}" in text  # shown as written: no template evaluated it


def check_xml(data: bytes) -> None:
    assert b"<!DOCTYPE" not in data and b"<!ENTITY" not in data
    fromstring(data, forbid_dtd=True)  # well-formed, and no DTD


def check_markdown(text: str) -> None:
    assert "<script>" not in text and "<evil/>" not in text
    assert "{{ 7*7 }}" in text or "{{ 7\\*7 }}" in text or "7*7" in text


def check_latex(text: str) -> None:
    assert "\\write18" not in text and "\\input{/etc" not in text


def check_file(path: Path) -> str:
    """Check one export by its format; returns the format checked."""
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        check_csv(data)
    elif suffix == ".xlsx":
        check_xlsx(data)
    elif suffix == ".html":
        check_html(data.decode("utf-8"))
    elif suffix in (".qdc", ".xml"):
        check_xml(data)
    elif suffix == ".md":
        check_markdown(data.decode("utf-8"))
    elif suffix == ".tex":
        check_latex(data.decode("utf-8"))
    elif suffix == ".qdpx":
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                assert not name.startswith(("/", "..")) and "/../" not in name, name
                if name.endswith((".qde", ".xml")):
                    check_xml(archive.read(name))
    elif suffix == ".docx":
        from docx import Document

        document = Document(str(path))
        assert any(p.text for p in document.paragraphs)
        with zipfile.ZipFile(path) as archive:  # no field codes (the DDE route into Word)
            body = archive.read("word/document.xml")
        assert b"instrText" not in body and b"fldSimple" not in body
        check_xml(body)
    else:
        return ""
    return suffix


def test_payloads_are_inert_in_every_export(cli, payload_project: Path) -> None:
    root = payload_project
    exports = root / "exports"
    commands = [
        ("export", str(exports / "project.qdpx")),
        ("disagreements", "--coders", "ana,ben", "-o", str(exports / "d.csv")),
        ("disagreements", "--coders", "ana,ben", "-o", str(exports / "d.xlsx")),
        ("disagreements", "--coders", "ana,ben", "-o", str(exports / "d.html")),
        ("codebook", "convert", str(root / "codebooks" / "book.yaml"),
         str(exports / "book.qdc")),
        ("codebook", "convert", str(root / "codebooks" / "book.yaml"),
         str(exports / "book.xlsx")),
        ("codebook", "convert", str(root / "codebooks" / "book.yaml"),
         str(exports / "book.csv")),
        ("codebook", "convert", str(root / "codebooks" / "book.yaml"),
         str(exports / "book.md")),
        ("sheet", "export", "--coder", "ana", "-o", str(exports / "sheet.xlsx")),
    ]
    assert cli("adjudicate", "--accept-agreed", "-p", str(root), "-q").exit_code == 0
    for args in commands:
        result = cli(*args, "-p", str(root), "-q")
        assert result.exit_code == 0, (args, result.stderr)
    files = [p for p in exports.iterdir() if p.is_file()]
    checked = {check_file(p) for p in files}
    assert {".csv", ".xlsx", ".qdc", ".md", ".qdpx", ".html", ".docx", ".tex"} <= checked
    record(f"injection: {len(PAYLOADS)} payloads through {len(files)} export files in "
           f"{len(checked - {''})} formats, all inert")


def test_payloads_survive_the_round_trip_as_text(cli, payload_project: Path,
                                                 tmp_path: Path) -> None:
    """Neutralising is for display: the store and a .qdpx round trip keep the exact text."""
    qdpx = tmp_path / "p.qdpx"
    assert cli("export", str(qdpx), "-p", str(payload_project), "-q").exit_code == 0
    again = tmp_path / "again"
    assert cli("import", str(qdpx), "-p", str(again), "-q", "--allow-pii").exit_code == 0
    with open_store(again / "qualkit.db") as store:
        text = store.transcripts()[0].text
    assert all(p in text for p in PAYLOADS)


def test_alias_bomb_and_deep_nesting_fail_fast(cli, tmp_path: Path) -> None:
    lines = ["name: x", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join([*lines, "themes: *a9"]) + "\n", encoding="utf-8")
    result = cli("codebook", "check", str(bomb))
    assert (result.exit_code, result.stderr) == (
        2, f"{bomb}:1:1: YAML aliases here expand to more than 200,000 values (an alias "
           "bomb?); write the values out instead of repeating aliases\n")
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: x\nthemes: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    assert cli("codebook", "check", str(deep)).stderr == (
        f"{deep}:1:1: YAML nested too deeply to be a codebook; a codebook needs only a few "
        "levels\n")
    nested = "<Code name=\"a\" isCodable=\"true\" guid=\"g\">" * 5000 + "</Code>" * 5000
    qdc = tmp_path / "deep.qdc"
    qdc.write_text(f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{nested}</Codes>'
                   "</CodeBook>", encoding="utf-8")
    assert cli("codebook", "check", str(qdc)).stderr == (
        f"{qdc}:1:1: codes nested too deeply to be a codebook; export it again\n")
    qdpx = tmp_path / "deep.qdpx"
    with zipfile.ZipFile(qdpx, "w") as archive:
        archive.writestr("project.qde", '<Project xmlns="urn:QDA-XML:project:1.0" name="p" '
                         f'origin="x"><CodeBook><Codes>{nested}</Codes></CodeBook></Project>')
    result = cli("import", str(qdpx), "-p", str(tmp_path / "new"))
    assert (result.exit_code, result.stderr) == (
        2, f"Error: {qdpx}: nests its codes or elements too deeply to be a QDA project; "
           "export it again from the tool that made it\n")
    assert not (tmp_path / "new").exists()


# -- leaks -------------------------------------------------------------------------------

SECRETS = ["margaret.okonkwo@example.org", "+44 7700 900123", "Margaret Okonkwo"]
ROSTER_ONLY = "Bartholomew Quince"  # on the roster, never said in the transcript

PII_TRANSCRIPT = """\
Moderator: What did you learn from teaching?

P01: I explained the heart exam to Margaret Okonkwo last week.

P02: You can write to me at margaret.okonkwo@example.org about teaching.

P03: Or call +44 7700 900123 and I will explain the rota.
"""


@pytest.fixture
def pii_project(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "study"
    for folder in ("codebooks", "transcripts", "exports"):
        (root / folder).mkdir(parents=True)
    (root / "codebooks" / "book.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "transcripts" / "FG1.txt").write_text(PII_TRANSCRIPT, encoding="utf-8")
    roster = tmp_path / "roster.txt"  # held by the researcher, outside the project
    roster.write_text(f"Margaret Okonkwo\n{ROSTER_ONLY}\n", encoding="utf-8")
    return root, roster


def all_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def test_identifiers_stop_at_the_door(cli, pii_project: tuple[Path, Path]) -> None:
    root, roster = pii_project
    result = cli("import", "-p", str(root), "--roster", str(roster), "--verbose", "--debug")
    assert result.exit_code == 1
    stored = b"".join(p.read_bytes() for p in root.glob("qualkit.db*"))  # with WAL
    for secret in [*SECRETS, ROSTER_ONLY, "heart exam"]:
        assert secret.encode() not in stored, secret
        assert secret not in result.stderr and secret not in result.stdout, secret


def export_text(path: Path) -> str:
    """What a reader of the file sees, as one string."""
    if path.suffix in (".xlsx", ".docx", ".qdpx"):
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace")
                             for n in archive.namelist())
    return path.read_text(encoding="utf-8")


def test_allowed_identifiers_reach_exports_as_allowed_and_no_further(
        cli, pii_project: tuple[Path, Path]) -> None:
    """Allowed means: the transcript's words travel where its text travels. The report
    holds coded segments only, so only the coded sentence's e-mail address appears there;
    the .qdpx holds the whole transcript, so all three identifiers do; the roster, which the
    researcher keeps outside the project, appears nowhere."""
    root, _roster = pii_project
    (root / "codings").mkdir()
    (root / "codings" / "ana.csv").write_text(
        "transcript,speaker,quote,codes,memo\n"
        "FG1,P02,You can write to me at margaret.okonkwo@example.org about teaching.,"
        "teaching,\n", encoding="utf-8")
    result = cli("run", "-p", str(root), "--allow-pii", "--verbose")
    assert result.exit_code == 0, result.stderr
    for secret in SECRETS:  # the log says what was found and where, never the words
        assert secret not in result.stderr and secret not in result.stdout, secret
    assert cli("export", str(root / "exports" / "p.qdpx"), "-p", str(root), "-q"
               ).exit_code == 0
    email, phone, name = SECRETS
    seen: dict[str, set[str]] = {}
    for path in (root / "exports").iterdir():
        text = export_text(path)
        assert ROSTER_ONLY not in text, path.name
        seen[path.name] = {s for s in SECRETS if s in text}
    expected_report = {"report.html", "report.md", "report.xlsx", "report.docx",
                       "report.tex", "coded_segments.csv", "theme_table.csv"}
    assert expected_report <= set(seen)
    for file in expected_report:
        assert seen[file] == {email}, (file, seen[file])
    assert seen["p.qdpx"] == {email, phone, name}
