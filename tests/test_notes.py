"""Memos and illustrative-quote marks: a log of their own, the latest note per coder wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from qualkit.model import NoteKind, SegmentNote
from qualkit.project import find

pytestmark = pytest.mark.usefixtures("store_backend")  # SQLite, then PostgreSQL

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def note(segment: int, kind: NoteKind, value: str, minutes: int, coder: str = "ana"
         ) -> SegmentNote:
    return SegmentNote(segment_id=segment, coder=coder, kind=kind, value=value,
                       at=T0 + timedelta(minutes=minutes))


def test_latest_note_wins_and_empty_clears(cli, project: Path) -> None:
    assert cli("import", "--project", str(project)).exit_code == 0
    store = find(project).open_store()
    first, second = (s.id for s in store.segments()[:2])
    with store.transaction() as conn:
        store.add_notes(conn, [
            note(first, NoteKind.QUOTE, "1", 1),
            note(second, NoteKind.QUOTE, "1", 2),
            note(second, NoteKind.QUOTE, "", 3),          # unmarked again
            note(first, NoteKind.MEMO, "ask ben", 4),
            note(first, NoteKind.MEMO, "settled", 5),
            note(first, NoteKind.QUOTE, "1", 6, coder="ben"),
        ])
    assert store.notes(NoteKind.QUOTE) == {("ana", first): "1", ("ben", first): "1"}
    assert store.notes(NoteKind.QUOTE, coder="ana") == {("ana", first): "1"}
    assert store.notes(NoteKind.MEMO) == {("ana", first): "settled"}
    with store.transaction() as conn:
        store.add_notes(conn, [note(first, NoteKind.MEMO, "", 7)])
    assert store.notes(NoteKind.MEMO) == {}


def test_memos_from_a_coders_file_count_as_memos(cli, coded_project: Path) -> None:
    codings = coded_project / "codings" / "ana.csv"
    text = codings.read_text(encoding="utf-8").replace(
        "a few weeks.,self_confidence,", "a few weeks.,self_confidence,good quote")
    codings.write_text(text, encoding="utf-8")
    assert cli("run", "--project", str(coded_project)).exit_code == 0
    memos = find(coded_project).open_store().notes(NoteKind.MEMO, coder="ana")
    assert list(memos.values()) == ["good quote"]
