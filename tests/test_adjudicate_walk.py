"""``qualkit adjudicate --walk``, ``--sheet`` / ``--from-sheet`` and the agreement shown
before and after.

The project is conftest's (see tests/test_agree.py for the table): ana and ben disagree on
three segments, in reading order

    4 P01: ana -                          | ben teaching_skills
    5 P02: ana self_confidence            | ben -
    9 P03: ana clinical, teaching         | ben -

and agree on the other seven (3 teaching, 6 clinical, the rest none apply). Codes are
numbered 1 teaching_skills, 2 clinical_skills, 3 self_confidence.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from qualkit.agreement.adjudication import walk_session
from qualkit.codebook.versions import active_codebook
from qualkit.coding.session import TaggingSession
from qualkit.coding.tui import TaggingApp
from qualkit.model import CONSENSUS, NoteKind, SegmentNote
from qualkit.store import open_store

BY = "adjudication:by:Dr Lee"


@pytest.fixture
def imported(cli, coded_project: Path) -> Path:
    result = cli("run", "-p", str(coded_project), "-q")
    assert result.exit_code == 0, result.stderr
    return coded_project


def walk(project: Path, keys: Sequence[str]) -> tuple[TaggingSession, list[str]]:
    """Open the walk-through at 80x24, take the screen, press the keys, take the screen
    again, quit with q."""
    store = open_store(project / "qualkit.db")
    book = active_codebook(store)
    assert book is not None
    work = walk_session(store, book, "Dr Lee")

    def text(app: TaggingApp) -> str:
        return "\n".join(str(app.query_one(f"#{name}").render())
                         for name in ("header", "context-text", "codes-text", "status"))

    async def run() -> list[str]:
        app = TaggingApp(work)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            screens = [text(app)]
            for key in keys:
                await pilot.press(key)
            await pilot.pause()
            screens.append(text(app))
            await pilot.press("q")
            await pilot.pause()
        return screens

    return work, asyncio.run(run())


def consensus_log(project: Path) -> list[tuple[int, str, str | None, str]]:
    with open_store(project / "qualkit.db") as store:
        return [(e.segment_id, e.action.value, e.code_id, e.origin)
                for e in store.events(CONSENSUS)]


# ------------------------------------------------------------------ the walk-through


def test_walk_settles_two_disagreements_by_key_presses(imported: Path) -> None:
    with open_store(imported / "qualkit.db") as store, store.transaction() as conn:
        store.add_notes(conn, [SegmentNote(4, "ben", NoteKind.MEMO, "explaining = teaching",
                                           datetime.now(UTC))])
    work, (first, _) = walk(imported, ["1", "enter",  # seg 4: teaching, as ben had it
                                       "n"])          # seg 5: none apply, as ben had it
    # Exactly the disagreements, each coder's codes and memo on screen.
    assert "segment 1 of 3" in first and "id 4 ·" in first
    assert "Coders: ana: none apply; ben: teaching_skills" in first
    assert "ben's memo: explaining = teaching" in first
    assert "← ben" in first  # the code line says who applied it
    assert consensus_log(imported) == [(4, "apply", "teaching_skills", BY),
                                       (5, "reviewed_none", None, BY)]
    assert work.reviewed_in_queue() == 2
    # Resumable: the next walk opens on the one left, segment 9, and undo is on record.
    work, (again, after) = walk(imported, ["1", "2", "u"])
    assert "segment 3 of 3" in again and "id 9 ·" in again
    assert "Undone: segment 9 is teaching_skills again (saved)" in after
    assert consensus_log(imported)[2:] == [(9, "apply", "teaching_skills", BY),
                                           (9, "apply", "clinical_skills", BY),
                                           (9, "remove", "clinical_skills", f"{BY}:undo")]
    # c takes one coder's codes: 1 is ana (clinical and teaching), the only change is
    # clinical_skills.
    work, (_, taken) = walk(imported, ["c", "1", "enter"])
    assert "Segment 9: ana's codes (clinical_skills, teaching_skills) (saved)" in taken
    assert consensus_log(imported)[5:] == [(9, "apply", "clinical_skills", BY)]
    with open_store(imported / "qualkit.db") as store:
        assert {s: set(c.codes) for s, c in store.codings(CONSENSUS).items()} == {
            4: {"teaching_skills"}, 5: set(), 9: {"teaching_skills", "clinical_skills"}}
        assert store.codings("ana")[4].codes == frozenset()  # the coders are untouched


def test_walk_needs_a_terminal_and_points_at_the_sheet(cli, imported: Path) -> None:
    result = cli("adjudicate", "-p", str(imported), "--walk", "--coder-name", "Dr Lee")
    assert (result.exit_code, result.stderr) == (2, (
        "Error: `qualkit adjudicate --walk` needs an interactive terminal; without one, "
        "write the disagreements to a sheet with `qualkit adjudicate --sheet FILE.xlsx` and "
        "record it with `qualkit adjudicate --from-sheet FILE.xlsx --coder-name NAME`\n"))
    assert consensus_log(imported) == []


@pytest.mark.parametrize(("args", "message"), [
    (("--walk",), "say who decided with --coder-name NAME"),
    (("--walk", "--sheet", "x.xlsx"), "give only one of --walk, --sheet"),
    (("--walk", "--coder-name", "Lee", "--codes", "teaching_skills"),
     "--codes, --none and --memo are for one SEGMENT; in the walk-through tick codes with "
     "1-9 and write a memo with m, in the sheet mark x and use the memo column"),
    (("--from-sheet", "x.xlsx", "--coder-name", "Lee", "--code", "teaching_skills"),
     "--code is for --walk and --sheet"),
    (("--sheet", "x.xlsx", "--coder-name", "Lee"),
     "--coder-name is asked when the decisions are recorded: `qualkit adjudicate "
     "--from-sheet FILE.xlsx --coder-name NAME`"),
    (("--sheet", "x.xlsx", "--coders", "ana,consensus"),
     "--coders names 'consensus'; choose the coders whose disagreements the consensus "
     "should settle"),
])
def test_walk_and_sheet_errors(cli, imported: Path, args: tuple[str, ...],
                               message: str) -> None:
    result = cli("adjudicate", "-p", str(imported), *args)
    assert (result.exit_code, result.stderr) == (2, f"Error: {message}\n")


# ------------------------------------------------------------------ the sheet route


def mark(path: Path, cells: dict[tuple[int, str], str]) -> None:
    """Type into the exported sheet by (segment id, column name), as a person would."""
    book = load_workbook(path)
    sheet = book["coding"]
    header = [c.value for c in sheet[1]]
    rows = {row[0].value: row[0].row for row in sheet.iter_rows(min_row=2)}
    for (segment, column), value in cells.items():
        sheet.cell(rows[segment], header.index(column) + 1, value)
    book.save(path)


def test_sheet_round_trip_records_the_consensus(cli, imported: Path) -> None:
    out = imported / "exports" / "adjudicate.xlsx"
    result = cli("adjudicate", "-p", str(imported), "--sheet", str(out))
    assert (result.exit_code, result.stdout) == (0, (
        f"Wrote {out}: 3 disagreement(s) of ana, ben for the consensus, 0 already settled; "
        "their codes are in the grey `codes: NAME` columns.\n"
        f"Mark the settled codes with x (none_apply for none), then: qualkit adjudicate "
        f"--from-sheet {out} --coder-name NAME\n"))
    sheet = load_workbook(out)["coding"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows[0]
    assert header[8:11] == ["codes: ana", "codes: ben", "none_apply"]
    assert [(r[0], r[8], r[9]) for r in rows[1:]] == [
        (4, "(none apply)", "teaching_skills"),
        (5, "self_confidence", "(none apply)"),
        (9, "clinical_skills; teaching_skills", "(none apply)")]
    mark(out, {(4, "teaching_skills"): "x", (5, "none_apply"): "x", (9, "memo"): "later"})
    done = cli("adjudicate", "-p", str(imported), "--from-sheet", str(out), "--coder-name",
               "Dr Lee")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        "consensus: 2 row(s) of adjudicate.xlsx with decisions; 2 new decision(s) by "
        "Dr Lee, 1 memo/quote change(s).")
    assert consensus_log(imported) == [(4, "apply", "teaching_skills", BY),
                                       (5, "reviewed_none", None, BY)]
    # Exported again, the sheet is pre-filled with the consensus' decisions.
    cli("adjudicate", "-p", str(imported), "--sheet", str(out))
    again = [[c.value for c in row] for row in load_workbook(out)["coding"].iter_rows()]
    assert [(r[0], r[10], r[11], r[-1]) for r in again[1:]] == [
        (4, None, "x", None), (5, "x", None, None), (9, None, None, "later")]


def test_sheet_with_a_bad_cell_records_nothing(cli, imported: Path) -> None:
    out = imported / "exports" / "adjudicate.xlsx"
    assert cli("adjudicate", "-p", str(imported), "--sheet", str(out)).exit_code == 0
    mark(out, {(4, "teaching_skills"): "x", (5, "none_apply"): "x",
               (5, "self_confidence"): "x", (9, "codes: ana"): "edited, and ignored"})
    result = cli("adjudicate", "-p", str(imported), "--from-sheet", str(out),
                 "--coder-name", "Dr Lee")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {out}: 1 problem(s), nothing was applied; fix them and record the sheet "
        "again\n"
        "  row 3, segment 5: marked none_apply and codes (self_confidence); keep one\n")
    assert consensus_log(imported) == []  # segment 4 was fine, but nothing or everything


# ------------------------------------------------------------------ before and after


def test_agreement_before_and_after_by_hand(cli, imported: Path) -> None:
    """Settle 4 as teaching, 5 as self_confidence, 9 as clinical + teaching (ana's codes
    except on 4).

    Pooled units are (segment, code) pairs, binary; alpha = 1 - (n - 1) o_01 / (n_0 n_1)
    with n = 2 x units values and o_01 the disagreeing units.

    Before, ana/ben over 10 segments (30 units): 4 disagreeing units, n_1 = 5 + 3 = 8,
    n_0 = 52: alpha = 1 - 59*4/(52*8) = 45/104 = .433; agreement 26/30 = .867.

    Only the disagreements settled (3 segments, 9 units, n = 18):
      ana vs consensus: differs on (4, teaching) only; n_1 = 3 + 4 = 7, n_0 = 11:
        alpha = 1 - 17*1/(11*7) = 60/77 = .779; agreement 8/9 = .889.
      ben vs consensus: differs on (5, self), (9, teaching), (9, clinical); n_1 = 1 + 4 = 5,
        n_0 = 13: alpha = 1 - 17*3/(13*5) = 14/65 = .215; agreement 6/9 = .667.

    With the 7 agreed segments accepted too (10 segments, 30 units, n = 60):
      ana: 1 disagreeing unit, n_1 = 5 + 6 = 11, n_0 = 49: alpha = 1 - 59/(49*11) =
        480/539 = .891; agreement 29/30 = .967.
      ben: 3 disagreeing units, n_1 = 3 + 6 = 9, n_0 = 51: alpha = 1 - 59*3/(51*9) =
        94/153 = .614; agreement 27/30 = .900.
    """
    out = imported / "exports" / "adjudicate.xlsx"
    assert cli("adjudicate", "-p", str(imported), "--sheet", str(out)).exit_code == 0
    mark(out, {(4, "teaching_skills"): "x", (5, "self_confidence"): "x",
               (9, "teaching_skills"): "x", (9, "clinical_skills"): "x"})
    first = cli("adjudicate", "-p", str(imported), "--from-sheet", str(out),
                "--coder-name", "Dr Lee")
    assert first.exit_code == 0, first.stderr
    assert first.stdout.splitlines()[1:] == [
        "Agreement of ana, ben (pooled over all codes, 10 segment(s) reviewed by all): "
        "alpha 0.433, percent agreement 0.867.",
        "Each coder against the consensus now, alpha (percent agreement): "
        "ana 0.779 (0.889, 3 segment(s)); ben 0.215 (0.667, 3 segment(s)).",
        "Not in the consensus yet: 7 agreed segment(s) to add with `qualkit adjudicate "
        "--accept-agreed`."]
    assert cli("adjudicate", "-p", str(imported), "--accept-agreed").exit_code == 0
    second = cli("adjudicate", "-p", str(imported), "--from-sheet", str(out),
                 "--coder-name", "Dr Lee")
    assert second.stdout.splitlines() == [
        "consensus: 3 row(s) of adjudicate.xlsx with decisions; 0 new decision(s) by "
        "Dr Lee, 0 memo/quote change(s).",
        "Agreement of ana, ben (pooled over all codes, 10 segment(s) reviewed by all): "
        "alpha 0.433, percent agreement 0.867.",
        "Each coder against the consensus now, alpha (percent agreement): "
        "ana 0.891 (0.967, 10 segment(s)); ben 0.614 (0.900, 10 segment(s))."]


def test_two_adjudicators_keep_their_own_place(imported: Path) -> None:
    """Each person walking the consensus resumes where they stopped, not where the other
    one did (the resume point is kept per adjudicator)."""
    store = open_store(imported / "qualkit.db")
    book = active_codebook(store)
    assert book is not None
    lee = walk_session(store, book, "Dr Lee")
    first = lee.current.id
    lee.none_apply()  # settles the first disagreement and moves on
    second = lee.current.id
    assert second != first
    kim = walk_session(store, book, "Dr Kim")
    assert kim.current.id == second  # the first unsettled one, not Dr Lee's place
    kim.back()
    kim.close()  # Dr Kim stops on the first one
    assert walk_session(store, book, "Dr Kim").current.id == first
    assert walk_session(store, book, "Dr Lee").current.id == second
