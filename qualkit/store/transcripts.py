"""Queries over transcripts, their turns and segments, participants and codebooks."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from qualkit.model import (
    Participant,
    Segment,
    Transcript,
    Turn,
    natural_key,
)
from qualkit.store import schema as t
from qualkit.store.base import StoreBase, _bulk_insert, _raw_rows, _transcript, now

_TRANSCRIPT_TEXT = select(t.transcripts.c.text).where(
    t.transcripts.c.id == bindparam("transcript"))
_SEGMENT_SPANS = (select(t.segments.c.id, t.segments.c.turn_idx, t.segments.c.idx,
                         t.segments.c.start, t.segments.c.end, t.segments.c.speaker)
                  .where(t.segments.c.transcript_id == bindparam("transcript"))
                  .order_by(t.segments.c.idx))


class TranscriptQueries(StoreBase):
    """What was imported: transcripts, turns, segments, participants, codebooks."""

    def transcripts(self) -> list[Transcript]:
        with self._read() as conn:
            rows = conn.execute(select(t.transcripts)).all()
        return sorted((_transcript(r) for r in rows), key=lambda tr: natural_key(tr.name))

    def transcript(self, name: str) -> Transcript | None:
        with self._read() as conn:
            row = conn.execute(select(t.transcripts).where(t.transcripts.c.name == name)
                               ).first()
        return _transcript(row) if row else None

    def add_transcript(self, conn: Connection, *, name: str, source: str, sha256: str,
                       text: str, attributes: dict[str, str], turns: Iterable[Turn],
                       spans: Iterable[tuple[int, int, int, str]],
                       batch: int = 5000) -> int:
        """Store a transcript with its turns and segments (turn index, start, end, speaker).

        Turns and segments may be generators; they are inserted ``batch`` rows at a time so
        a long transcript is never held twice in memory."""
        tid = conn.execute(insert(t.transcripts).values(
            name=name, source=source, sha256=sha256, text=text, attributes=attributes,
            imported_at=now())).inserted_primary_key[0]
        turn_rows = ((tid, turn.index, turn.speaker, turn.start, turn.end, turn.timestamp)
                     for turn in turns)
        segment_rows = ((tid, turn_idx, i, start, end, speaker)
                        for i, (turn_idx, start, end, speaker) in enumerate(spans))
        for table, columns, rows in (
                (t.turns, ("transcript_id", "idx", "speaker", "start", "end", "timestamp"),
                 turn_rows),
                (t.segments, ("transcript_id", "turn_idx", "idx", "start", "end", "speaker"),
                 segment_rows)):
            while chunk := list(islice(rows, batch)):
                _bulk_insert(conn, table, columns, chunk)
        return int(tid)

    def set_transcript_attributes(self, conn: Connection, transcript_id: int,
                                  attributes: dict[str, str]) -> None:
        conn.execute(update(t.transcripts).where(t.transcripts.c.id == transcript_id)
                     .values(attributes=attributes))

    def transcript_counts(self) -> dict[str, tuple[int, str, int, int, int]]:
        """(id, source, turns, segments, distinct speakers) by transcript name, in natural
        name order, without loading the texts."""
        with self._read() as conn:
            turns = dict(conn.execute(
                select(t.turns.c.transcript_id, func.count())
                .group_by(t.turns.c.transcript_id)).all())
            speakers = dict(conn.execute(
                select(t.turns.c.transcript_id, func.count(t.turns.c.speaker.distinct()))
                .group_by(t.turns.c.transcript_id)).all())
            segments = dict(conn.execute(
                select(t.segments.c.transcript_id, func.count())
                .group_by(t.segments.c.transcript_id)).all())
            rows = conn.execute(select(t.transcripts.c.id, t.transcripts.c.name,
                                       t.transcripts.c.source)).all()
        rows.sort(key=lambda r: natural_key(r.name))
        return {r.name: (r.id, r.source, int(turns.get(r.id, 0)), int(segments.get(r.id, 0)),
                         int(speakers.get(r.id, 0))) for r in rows}

    def delete_transcript(self, conn: Connection, transcript_id: int) -> None:
        conn.execute(delete(t.transcripts).where(t.transcripts.c.id == transcript_id))

    def turns(self, transcript_id: int) -> list[Turn]:
        with self._read() as conn:
            rows = conn.execute(select(t.turns).where(t.turns.c.transcript_id == transcript_id)
                                .order_by(t.turns.c.idx)).all()
        return [Turn(transcript_id=r.transcript_id, index=r.idx, speaker=r.speaker,
                     start=r.start, end=r.end, timestamp=r.timestamp) for r in rows]

    def segments(self, transcript_ids: Iterable[int] | None = None) -> list[Segment]:
        """Segments in reading order (transcript name, position), with their text."""
        if transcript_ids is None:
            return self._segments(None)
        return self._segments(t.segments.c.transcript_id.in_(list(transcript_ids)))

    def _segments(self, condition: Any) -> list[Segment]:
        # Each transcript's text is read once and sliced; joining it onto every segment row
        # would copy the whole text per segment.
        query = select(t.segments).order_by(t.segments.c.transcript_id, t.segments.c.idx)
        if condition is not None:
            query = query.where(condition)
        with self._read() as conn:
            rows = conn.execute(query).all()
            ids = sorted({r.transcript_id for r in rows})
            owners = conn.execute(select(t.transcripts.c.id, t.transcripts.c.name,
                                         t.transcripts.c.text)
                                  .where(t.transcripts.c.id.in_(ids))).all() if ids else []
        texts = {o.id: o.text for o in owners}
        names = {o.id: o.name for o in owners}
        segments = [Segment(id=r.id, transcript_id=r.transcript_id, turn_index=r.turn_idx,
                            index=r.idx, start=r.start, end=r.end,
                            text=texts[r.transcript_id][r.start:r.end], speaker=r.speaker)
                    for r in rows]
        order = {tid: natural_key(name) for tid, name in names.items()}
        segments.sort(key=lambda s: (order[s.transcript_id], s.index))
        return segments

    def segment_count(self) -> int:
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(t.segments)).scalar_one())

    def segment_counts(self) -> dict[int, int]:
        """Segments per transcript id (to batch whole transcripts without reading them)."""
        s = t.segments.c
        with self._read() as conn:
            rows = conn.execute(select(s.transcript_id, func.count())
                                .group_by(s.transcript_id)).all()
        return {int(tid): int(n) for tid, n in rows}

    def transcript_ids(self) -> list[int]:
        """Transcript ids in reading order (natural order of their names)."""
        with self._read() as conn:
            rows = conn.execute(select(t.transcripts.c.id, t.transcripts.c.name)).all()
        return [r.id for r in sorted(rows, key=lambda r: natural_key(r.name))]

    def segment_spans(self, transcript_id: int
                      ) -> tuple[str, list[tuple[int, int, int, int, int, str]]]:
        """A transcript's text and its segments as plain (id, turn index, index, start,
        end, speaker) rows in reading order: one transcript at a time keeps memory flat
        when every segment of a corpus is read."""
        with self._read() as conn:
            ((text,),) = _raw_rows(conn, _TRANSCRIPT_TEXT, {"transcript": transcript_id})
            rows = _raw_rows(conn, _SEGMENT_SPANS, {"transcript": transcript_id})
        return text, rows

    def segment_ids(self, conn: Connection, transcript_id: int) -> list[int]:
        """A transcript's segment ids in reading order, inside a transaction that may have
        just stored them (another connection would not see them yet)."""
        return list(conn.execute(select(t.segments.c.id)
                                 .where(t.segments.c.transcript_id == transcript_id)
                                 .order_by(t.segments.c.idx)).scalars())

    def segment(self, segment_id: int) -> Segment | None:
        found = [s for s in self._segments(t.segments.c.id == segment_id)]
        return found[0] if found else None

    def count_codings_on(self, transcript_id: int) -> tuple[int, int]:
        """(events, coders) recorded on a transcript's segments."""
        query = (select(func.count(), func.count(t.coding_events.c.coder.distinct()))
                 .select_from(t.coding_events.join(
                     t.segments, t.coding_events.c.segment_id == t.segments.c.id))
                 .where(t.segments.c.transcript_id == transcript_id))
        with self._read() as conn:
            events, coders = conn.execute(query).one()
        return int(events), int(coders)

    # -- participants ----------------------------------------------------------------

    def replace_participants(self, conn: Connection, people: Iterable[Participant]) -> None:
        conn.execute(delete(t.participants))
        rows = [{"name": p.name, "attributes": dict(p.attributes)} for p in people]
        if rows:
            conn.execute(insert(t.participants), rows)

    def merge_participants(self, conn: Connection, people: Iterable[Participant]) -> None:
        """Add speakers found in a transcript file (a spreadsheet's respondents) or named
        moderators; the roster's attributes win where both give one (an empty cell gives
        none)."""
        for person in people:
            row = conn.execute(select(t.participants.c.attributes)
                               .where(t.participants.c.name == person.name)).first()
            if row is None:
                conn.execute(insert(t.participants).values(name=person.name,
                                                           attributes=dict(person.attributes)))
            else:
                merged = {**dict(person.attributes),
                          **{k: v for k, v in dict(row.attributes).items() if v}}
                merged = {**dict(row.attributes), **merged}  # keep the roster's columns
                if merged != row.attributes:
                    conn.execute(update(t.participants)
                                 .where(t.participants.c.name == person.name)
                                 .values(attributes=merged))

    def participants(self) -> dict[str, Participant]:
        with self._read() as conn:
            rows = conn.execute(select(t.participants)).all()
        return {r.name: Participant(r.name, r.attributes) for r in rows}

    # -- codebooks -----------------------------------------------------------------

    def save_codebook(self, conn: Connection, *, version: str, name: str, label: str,
                      content: dict[str, Any], source: str) -> bool:
        """Record a codebook version; False when that exact content was already stored."""
        exists = conn.execute(select(t.codebooks.c.version)
                              .where(t.codebooks.c.version == version)).first()
        if exists:
            return False
        conn.execute(insert(t.codebooks).values(version=version, name=name, label=label,
                                                content=content, source=source,
                                                loaded_at=now()))
        return True

    def codebook_content(self, version: str) -> dict[str, Any] | None:
        with self._read() as conn:
            return conn.execute(select(t.codebooks.c.content)
                                .where(t.codebooks.c.version == version)).scalar_one_or_none()
