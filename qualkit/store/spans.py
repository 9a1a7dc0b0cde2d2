"""Queries over the exact spans of codings imported from other tools (``coded_spans``).

A REFI-QDA selection codes characters, qualkit codes segments: the segments a selection
touches get the coding in the event log, and the selection's own span is kept here, so an
export gives the other tool back what its coder selected."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, select

from qualkit.model import CodedSpan
from qualkit.store import schema as t
from qualkit.store.base import StoreBase, now


class SpanQueries(StoreBase):
    """Exact coded spans, by transcript."""

    def add_spans(self, conn: Connection, spans: Iterable[CodedSpan]) -> int:
        """Store spans not stored yet (the same span, coder and code is one span); the
        number stored."""
        rows = list(spans)
        if not rows:
            return 0
        have = {(r.transcript_id, r.start, r.end, r.coder, r.code_id) for r in conn.execute(
            select(t.coded_spans.c.transcript_id, t.coded_spans.c.start, t.coded_spans.c.end,
                   t.coded_spans.c.coder, t.coded_spans.c.code_id)
            .where(t.coded_spans.c.transcript_id.in_({s.transcript_id for s in rows})))}
        fresh: dict[tuple[int, int, int, str, str], CodedSpan] = {}
        for span in rows:
            key = (span.transcript_id, span.start, span.end, span.coder, span.code_id)
            if key not in have:
                fresh.setdefault(key, span)
        for coder in {s.coder for s in fresh.values()}:
            if not conn.execute(select(t.coders.c.name).where(t.coders.c.name == coder)
                                ).first():
                conn.execute(t.coders.insert().values(name=coder, created_at=now()))
        if fresh:
            conn.execute(t.coded_spans.insert(), [
                {"transcript_id": s.transcript_id, "start": s.start, "end": s.end,
                 "coder": s.coder, "code_id": s.code_id,
                 "codebook_version": s.codebook_version, "origin": s.origin,
                 "at": s.at.isoformat(timespec="microseconds")} for s in fresh.values()])
        return len(fresh)

    def coded_spans(self, transcript_id: int | None = None) -> list[CodedSpan]:
        """Spans in order of transcript, start, end, coder, code."""
        query = select(t.coded_spans).order_by(
            t.coded_spans.c.transcript_id, t.coded_spans.c.start, t.coded_spans.c.end,
            t.coded_spans.c.coder, t.coded_spans.c.code_id)
        if transcript_id is not None:
            query = query.where(t.coded_spans.c.transcript_id == transcript_id)
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [CodedSpan(transcript_id=r.transcript_id, start=r.start, end=r.end,
                          coder=r.coder, code_id=r.code_id,
                          codebook_version=r.codebook_version, origin=r.origin,
                          at=datetime.fromisoformat(r.at)) for r in rows]

