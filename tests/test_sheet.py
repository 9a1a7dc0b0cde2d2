"""``qualkit sheet export`` / ``import``: the round trip and every way a sheet can be wrong.

The project is conftest's (ten segments, codes teaching_skills, clinical_skills,
self_confidence). The sheet's columns: A segment_id, B text_hash, C transcript,
D position, E speaker, F context, G text, H suggested, I none_apply, J teaching_skills,
K clinical_skills, L self_confidence, M quote, N memo; row 2 is segment 1.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from qualkit.model import NoteKind
from qualkit.project import find

pytestmark = pytest.mark.usefixtures("store_backend")  # SQLite, then PostgreSQL


@pytest.fixture
def ready(cli, project: Path) -> Path:
    assert cli("run", "-p", str(project), "-q").exit_code == 0
    return project


@pytest.fixture
def sheet(cli, ready: Path) -> Path:
    out = ready / "exports" / "cara.xlsx"
    result = cli("sheet", "export", "--coder", "cara", "-o", str(out), "-p", str(ready))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        f"Wrote {out}: 10 segment(s) for cara, 0 already reviewed, 3 code column(s).")
    return out


def edit(path: Path, **cells: object) -> Path:
    book = load_workbook(path)
    for ref, value in cells.items():
        book["coding"][ref] = value
    book.save(path)
    return path


def delete_row(path: Path, row: int) -> None:
    book = load_workbook(path)
    book["coding"].delete_rows(row)
    book.save(path)


def import_(cli, ready: Path, path: Path, *extra: str):
    return cli("sheet", "import", str(path), "--coder", "cara", "-p", str(ready), *extra)


def test_export_layout_validation_and_blindness(cli, coded_project: Path) -> None:
    assert cli("run", "-p", str(coded_project), "-q").exit_code == 0
    out = coded_project / "exports" / "ana.xlsx"
    assert cli("sheet", "export", "--coder", "ana", "-o", str(out), "-p",
               str(coded_project)).exit_code == 0
    book = load_workbook(out)
    assert book.sheetnames == ["coding", "codes", "_qualkit"]
    assert book["_qualkit"].sheet_state == "hidden"
    ws = book["coding"]
    assert [c.value for c in ws[1]] == [
        "segment_id", "text_hash", "transcript", "position", "speaker", "context", "text",
        "suggested", "none_apply", "teaching_skills", "clinical_skills", "self_confidence",
        "quote", "memo"]
    # ana's own decisions are filled in (segment 3: teaching; segment 1: none apply) ...
    assert ws["A4"].value == 3 and ws["J4"].value == "x" and ws["I4"].value is None
    assert ws["I2"].value == "x"
    assert ws["H4"].value == "teaching_skills (explained)"
    assert ws["F4"].value == "Moderator: What did you learn from mentoring?"
    # ... nobody else's: ben applied teaching to segment 4, ana did not
    assert ws["J5"].value is None
    rule = ws.data_validations.dataValidation[0]
    assert rule.formula1 == '"x"' and str(rule.sqref) == "I2:M11"


def test_round_trip_records_events_notes_and_is_idempotent(cli, ready: Path, sheet: Path
                                                           ) -> None:
    edit(sheet, J4="x", L6="X", I2="x", K10="x", J10="x", M4="x", N4="-ask ben")
    result = import_(cli, ready, sheet)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ("cara: 4 row(s) with decisions, 5 new decision(s), "
                             "2 memo/quote change(s).\n")
    store = find(ready).open_store()
    assert {s: sorted(c.codes) for s, c in store.codings("cara").items()} == {
        1: [], 3: ["teaching_skills"], 5: ["self_confidence"],
        9: ["clinical_skills", "teaching_skills"]}
    assert {e.origin for e in store.events("cara")} == {"sheet:cara.xlsx"}
    assert store.notes(NoteKind.MEMO, "cara") == {("cara", 3): "-ask ben"}
    assert store.notes(NoteKind.QUOTE, "cara") == {("cara", 3): "1"}
    again = import_(cli, ready, sheet)
    assert again.stdout == "cara: 4 row(s) with decisions, 0 new decision(s), " \
                           "0 memo/quote change(s).\n"
    # a fresh export shows the decisions; unmarking one code changes only that
    out = ready / "exports" / "again.xlsx"
    cli("sheet", "export", "--coder", "cara", "-o", str(out), "-p", str(ready))
    ws = load_workbook(out)["coding"]
    assert ws["N4"].value == "'-ask ben"  # neutralised against formula injection
    edit(out, J10=None)
    assert import_(cli, ready, out).exit_code == 0
    assert store.codings("cara")[9].codes == frozenset({"clinical_skills"})


def test_sorted_rows_are_fine(cli, ready: Path, sheet: Path) -> None:
    book = load_workbook(sheet)
    ws = book["coding"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    for i, row in enumerate(reversed(rows), start=2):
        for j, value in enumerate(row, start=1):
            ws.cell(i, j, value)
    ws["J11"] = "x"  # now segment 1's row
    book.save(sheet)
    assert import_(cli, ready, sheet).exit_code == 0
    assert find(ready).open_store().codings("cara")[1].codes == {"teaching_skills"}


def test_unknown_code_column_gets_did_you_mean(cli, ready: Path, sheet: Path) -> None:
    edit(sheet, J1="teching_skills")
    result = import_(cli, ready, sheet)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {sheet}: 1 problem(s), nothing was applied; fix them and import again, or "
        "pass --partial to apply the valid rows\n"
        "  row 1, column J: unknown code `teching_skills`; did you mean `teaching_skills`?\n")


def test_every_row_problem_is_listed_and_nothing_is_applied(cli, ready: Path, sheet: Path
                                                            ) -> None:
    edit(sheet, J2="x",                      # a valid row ...
         K3="maybe",                         # not a mark
         G4="I explained the lung exam.",    # edited text
         L5="=1+1",                          # a formula
         I6="x", J6="x",                     # none apply and a code
         A7=999,                             # an id that does not exist
         B8="0000000000000000")              # id and text no longer belong together
    delete_row(sheet, 11)                    # segment 10's row
    result = import_(cli, ready, sheet)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1:] == [
        "  row 3, column K (clinical_skills), segment 2: `maybe` is not a mark; type x or "
        "leave it empty",
        "  row 4: the text of segment 3 was edited; only the code, none_apply, quote and memo "
        "cells may change — restore the text",
        "  row 5, column L, segment 4: holds a formula; type a value (x to mark) instead",
        "  row 6, segment 5: marked none_apply and codes (teaching_skills); keep one",
        "  row 7: segment 999 is not in this project (edited id, or a row from another "
        "project?)",
        "  row 8: segment 7 does not match its text hash (were rows or columns sorted "
        "separately, or the id edited?); export a fresh sheet",
        "  2 exported segment(s) have no row (deleted rows?): segment(s) 6, 10; restore them "
        "from the exported file",
    ]
    assert "explained" not in result.stderr  # no transcript text in messages
    assert find(ready).open_store().events("cara") == []


def test_partial_applies_the_valid_rows_and_lists_the_rest(cli, ready: Path, sheet: Path
                                                           ) -> None:
    edit(sheet, J2="x", K3="maybe", I9="x")
    result = import_(cli, ready, sheet, "--partial")
    assert result.exit_code == 0
    assert result.stderr == (
        f"{sheet}: row 3, column K (clinical_skills), segment 2: `maybe` is not a mark; type "
        "x or leave it empty\n")
    assert result.stdout.endswith("; 1 row(s) not applied (listed above).\n")
    assert {s: sorted(c.codes) for s, c in
            find(ready).open_store().codings("cara").items()} == {
        1: ["teaching_skills"], 8: []}


def test_duplicate_rows_and_wrong_coder(cli, ready: Path, sheet: Path) -> None:
    book = load_workbook(sheet)
    ws = book["coding"]
    ws.append([c.value for c in ws[2]])
    book.save(sheet)
    result = import_(cli, ready, sheet)
    assert "  row 12: segment 1 is also on row 2; keep one" in result.stderr
    other = cli("sheet", "import", str(sheet), "--coder", "dan", "-p", str(ready))
    assert other.stderr == (f"Error: {sheet}: was exported for coder cara, not dan; import "
                            "it with --coder cara\n")


def test_not_a_workbook_or_not_a_qualkit_sheet(cli, ready: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.xlsx"
    junk.write_text("hello", encoding="utf-8")
    result = cli("sheet", "import", str(junk), "--coder", "cara", "-p", str(ready))
    assert result.stderr == (f"Error: {junk}: cannot be read (not an .xlsx workbook, or damaged); "
                             "export a fresh sheet with `qualkit sheet export`\n")
    from openpyxl import Workbook

    plain = tmp_path / "plain.xlsx"
    Workbook().save(plain)
    result = cli("sheet", "import", str(plain), "--coder", "cara", "-p", str(ready))
    assert "is not a qualkit coding sheet" in result.stderr
    bad = cli("sheet", "export", "--coder", "cara", "-o", str(tmp_path / "x.csv"), "-p",
              str(ready))
    assert bad.stderr == (f"Error: {tmp_path / 'x.csv'}: the sheet must be an .xlsx file; "
                          "name it x.xlsx\n")


def test_export_never_leaves_a_partial_file(sheet: Path) -> None:
    from qualkit.coding.sheet import _save_beside

    before = sheet.read_bytes()

    def broken(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        _save_beside(sheet, broken)
    assert sheet.read_bytes() == before
    assert [p.name for p in sheet.parent.iterdir()] == ["cara.xlsx"]
