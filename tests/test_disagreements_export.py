"""`qualkit disagreements -o FILE` (issue 7): the list a coding meeting starts from."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook


@pytest.fixture
def discussed(cli, coded_project: Path) -> Path:
    codings = coded_project / "codings" / "ana.csv"
    text = codings.read_text(encoding="utf-8").replace(
        "a few weeks.,self_confidence,",
        'a few weeks.,self_confidence,"=HYPERLINK(""x"") <script>alert(1)</script>"')
    codings.write_text(text, encoding="utf-8")
    assert cli("run", "--project", str(coded_project), "-q").exit_code == 0
    return coded_project


# Read off tests/conftest.py: ana and ben differ on three segments, in reading order.
EXPECTED = [
    ("FG1", "P01", "I explained the heart exam to my mentee.", "It made me understand it myself.",
     "", "(none apply)", "Teaching and explaining [teaching_skills]"),
    ("FG1", "P02", "", "Honestly I felt more confident after a few weeks.",
     "I also practised blood pressure with them.", "Self-confidence [self_confidence]",
     "(none apply)"),
    ("FG2", "P03", "", "She taught us how to suture on a banana.", "I was nervous at first.",
     "Clinical skills [clinical_skills]; Teaching and explaining [teaching_skills]",
     "(none apply)"),
]


def test_csv_has_context_codes_and_memos_and_no_formula(cli, discussed: Path) -> None:
    out = discussed / "exports" / "disagreements.csv"
    result = cli("disagreements", "--project", str(discussed), "-o", str(out))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == f"Wrote {out}."
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["transcript"], r["speaker"], r["before"], r["text"], r["after"],
             r["ana codes"], r["ben codes"]) for r in rows] == EXPECTED
    assert rows[1]["ana memo"] == "'=HYPERLINK(\"x\") <script>alert(1)</script>"
    assert [r["ben memo"] for r in rows] == ["", "", ""]


def test_xlsx_keeps_the_memo_as_text(cli, discussed: Path) -> None:
    out = discussed / "exports" / "disagreements.xlsx"
    assert cli("disagreements", "--project", str(discussed), "-o", str(out)).exit_code == 0
    sheet = load_workbook(out).active
    header = [c.value for c in sheet[1]]
    memo = sheet.cell(row=3, column=header.index("ana memo") + 1)
    assert memo.data_type == "s"
    assert memo.value.startswith("'=HYPERLINK")
    assert sheet.max_row == 4
    assert sheet.freeze_panes == "A2"


def test_html_escapes_what_participants_and_coders_wrote(cli, discussed: Path) -> None:
    out = discussed / "exports" / "disagreements.html"
    assert cli("disagreements", "--project", str(discussed), "-o", str(out)).exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "3 of 10 segments reviewed by every coder" in " ".join(page.split())


def test_unknown_output_format_writes_nothing(cli, discussed: Path) -> None:
    out = discussed / "exports" / "disagreements.pdf"
    result = cli("disagreements", "--project", str(discussed), "-o", str(out))
    assert (result.exit_code, result.stderr) == (
        2, f"Error: {out}: cannot write disagreements as `.pdf`; use one of .csv, .xlsx, "
           ".html\n")
    assert not out.exists()
    assert result.stdout == ""
