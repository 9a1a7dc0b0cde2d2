"""Queries over coders' decisions: the append-only coding log, notes, audit trail."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, func, insert, select

from qualkit.decisions import fold
from qualkit.model import (
    Coding,
    CodingEvent,
    NoteKind,
    SegmentNote,
)
from qualkit.store import schema as t
from qualkit.store.base import CODE_RENAMES, StoreBase, _event, _raw_rows, now


class CodingQueries(StoreBase):
    """Coders, their decisions and notes, read whole or in bulk."""

    # -- coders and the coding log -----------------------------------------------------

    def coders(self) -> list[str]:
        with self._read() as conn:
            return list(conn.execute(select(t.coders.c.name).order_by(t.coders.c.name))
                        .scalars())

    def ensure_coder(self, conn: Connection, name: str) -> None:
        if conn.execute(select(t.coders.c.name).where(t.coders.c.name == name)).first():
            return
        if conn.dialect.name == "postgresql":  # two coders' first decisions at once
            from sqlalchemy.dialects.postgresql import insert as upsert

            conn.execute(upsert(t.coders).values(name=name, created_at=now())
                         .on_conflict_do_nothing())
            return
        conn.execute(insert(t.coders).values(name=name, created_at=now()))

    def append_events(self, conn: Connection, events: Sequence[CodingEvent]) -> None:
        """Append to the log; events are never updated or deleted."""
        for coder in {e.coder for e in events}:
            self.ensure_coder(conn, coder)
        if events:
            conn.execute(insert(t.coding_events), [
                {"segment_id": e.segment_id, "coder": e.coder, "action": e.action.value,
                 "code_id": e.code_id, "codebook_version": e.codebook_version,
                 "origin": e.origin, "at": e.at.isoformat(timespec="microseconds"),
                 "memo": e.memo} for e in events])

    def events(self, coder: str | None = None) -> list[CodingEvent]:
        query = select(t.coding_events).order_by(t.coding_events.c.seq)
        if coder is not None:
            query = query.where(t.coding_events.c.coder == coder)
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [_event(r) for r in rows]

    def codings(self, coder: str) -> dict[int, Coding]:
        """A coder's current decisions by segment id; unreviewed segments are absent.

        Codes renamed by the active codebook (``renamed_from``) count under their new ids:
        the log keeps the id each decision was made under, and the rename map the project
        stored when that codebook was loaded is applied here, before folding, so a removal
        under the new id cancels an apply under the old one."""
        events = self.events(coder)
        renames = json.loads(self.setting(CODE_RENAMES) or "{}")
        if renames:
            events = [replace(e, code_id=renames.get(e.code_id, e.code_id))
                      if e.code_id in renames else e for e in events]
        return {seg: coding for (_, seg), coding in fold(events).items()}

    # -- bulk reads for analysis (reports at 100k segments) --------------------------------

    def segment_rows(self) -> list[tuple[int, int, int, int, int, int, str]]:
        """(id, transcript id, turn index, index, start, end, speaker) of every segment.

        Plain rows without text, for building tables in bulk: making a :class:`Segment`
        (and slicing its text) per segment costs more than the whole analysis."""
        s = t.segments.c
        query = select(s.id, s.transcript_id, s.turn_idx, s.idx, s.start, s.end, s.speaker)
        with self._read() as conn:
            return _raw_rows(conn, query)

    def coding_log(self, coder: str) -> list[tuple[int, int, str, str | None, str]]:
        """(seq, segment id, action, code id, origin) of a coder's events in log order:
        the log as plain rows, for folding in bulk (see :func:`qualkit.decisions.fold`)."""
        e = t.coding_events.c
        query = (select(e.seq, e.segment_id, e.action, e.code_id, e.origin)
                 .where(e.coder == coder).order_by(e.seq))
        with self._read() as conn:
            return _raw_rows(conn, query)

    def coding_versions(self, coder: str | None = None) -> set[str]:
        """The codebook versions the coding log (of one coder, or everyone) was made under."""
        query = select(t.coding_events.c.codebook_version).distinct()
        if coder is not None:
            query = query.where(t.coding_events.c.coder == coder)
        with self._read() as conn:
            return set(conn.execute(query).scalars())

    # -- notes: memos and illustrative-quote marks -------------------------------------

    def add_notes(self, conn: Connection, notes: Sequence[SegmentNote]) -> None:
        """Append memos or quote marks; like the coding log, notes are never rewritten."""
        for coder in {n.coder for n in notes}:
            self.ensure_coder(conn, coder)
        if notes:
            conn.execute(insert(t.segment_notes), [
                {"segment_id": n.segment_id, "coder": n.coder, "kind": n.kind.value,
                 "value": n.value, "at": n.at.isoformat(timespec="microseconds")}
                for n in notes])

    def notes(self, kind: NoteKind, coder: str | None = None) -> dict[tuple[str, int], str]:
        """The current note of one kind per (coder, segment): the latest, if not cleared.

        Memos written on coding events (a coder's file, an adjudication) count too, in time
        order with the note log, so a memo is found wherever it was written."""
        query = (select(t.segment_notes.c.segment_id, t.segment_notes.c.coder,
                        t.segment_notes.c.value, t.segment_notes.c.at)
                 .where(t.segment_notes.c.kind == kind.value))
        if coder is not None:
            query = query.where(t.segment_notes.c.coder == coder)
        with self._read() as conn:
            rows = [(r.at, 1, r.coder, r.segment_id, r.value)
                    for r in conn.execute(query.order_by(t.segment_notes.c.seq))]
            if kind is NoteKind.MEMO:
                memos = (select(t.coding_events.c.segment_id, t.coding_events.c.coder,
                                t.coding_events.c.memo, t.coding_events.c.at)
                         .where(t.coding_events.c.memo.is_not(None))
                         .order_by(t.coding_events.c.seq))
                if coder is not None:
                    memos = memos.where(t.coding_events.c.coder == coder)
                rows += [(r.at, 0, r.coder, r.segment_id, r.memo)
                         for r in conn.execute(memos)]
        current: dict[tuple[str, int], str] = {}
        for _, _, who, segment_id, value in sorted(rows, key=lambda r: (r[0], r[1])):
            current[(who, segment_id)] = value
        return {key: value for key, value in current.items() if value}

    # -- the tagging session and the audit trail ---------------------------------------

    def segment_events(self, segment_id: int) -> list[CodingEvent]:
        """Every coder's events on one segment, in log order (the segment's history)."""
        query = (select(t.coding_events).where(t.coding_events.c.segment_id == segment_id)
                 .order_by(t.coding_events.c.seq))
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [_event(r) for r in rows]

    def segment_note_log(self, segment_id: int) -> list[SegmentNote]:
        """Every coder's memos and quote marks on one segment, in log order."""
        query = (select(t.segment_notes).where(t.segment_notes.c.segment_id == segment_id)
                 .order_by(t.segment_notes.c.seq))
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [SegmentNote(segment_id=r.segment_id, coder=r.coder, kind=NoteKind(r.kind),
                            value=r.value, at=datetime.fromisoformat(r.at)) for r in rows]

    def coder_activity(self) -> dict[str, tuple[int, int, str | None]]:
        """(coding events, notes, last time active) per coder, in name order."""
        events = (select(t.coding_events.c.coder, func.count(), func.max(t.coding_events.c.at))
                  .group_by(t.coding_events.c.coder))
        notes = (select(t.segment_notes.c.coder, func.count(), func.max(t.segment_notes.c.at))
                 .group_by(t.segment_notes.c.coder))
        with self._read() as conn:
            by_events = {r[0]: (int(r[1]), r[2]) for r in conn.execute(events)}
            by_notes = {r[0]: (int(r[1]), r[2]) for r in conn.execute(notes)}
            names = list(conn.execute(select(t.coders.c.name).order_by(t.coders.c.name))
                         .scalars())
        result: dict[str, tuple[int, int, str | None]] = {}
        for name in names:
            n_events, last_event = by_events.get(name, (0, None))
            n_notes, last_note = by_notes.get(name, (0, None))
            last = max((x for x in (last_event, last_note) if x), default=None)
            result[name] = (n_events, n_notes, last)
        return result
