"""Queries over learned suggestions: one row per transcript, codebook version and coder.

Stored apart from the keyword engine's suggestions because they are replaced at another
rhythm (each ``suggest --learn-from`` run, or a retraining while tagging) and belong to
one coder's model. A transcript's text is

``[[segment_id, [[code_id, probability, [[feature, weight], ...], [similar ids]], ...]],
...]``

with only the segments that have a learned suggestion, in reading order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from qualkit.model import LearnedSuggestion
from qualkit.store import schema as t
from qualkit.store.base import StoreBase, _bulk_insert, now


def encode(found: Sequence[LearnedSuggestion]) -> str:
    """One transcript's learned suggestions as stored (segments in the order given)."""
    by_segment: dict[int, list[list[object]]] = {}
    for s in found:
        by_segment.setdefault(s.segment_id, []).append(
            [s.code_id, s.probability, [[name, weight] for name, weight in s.features],
             list(s.similar)])
    return json.dumps([[seg, items] for seg, items in by_segment.items()],
                      ensure_ascii=False, separators=(",", ":"))


def encode_probabilities(found: Sequence[tuple[int, Sequence[tuple[str, float]]]]) -> str:
    """One transcript's learned suggestions without evidence (``suggest --learn-from``
    computes it when a suggestion is shown), from (segment id, [(code, probability)])."""
    return json.dumps([[seg, [[code, p, [], []] for code, p in items]]
                       for seg, items in found], ensure_ascii=False, separators=(",", ":"))


def decode(data: str, coder: str) -> list[LearnedSuggestion]:
    return [LearnedSuggestion(segment_id=seg, code_id=code, coder=coder,
                              probability=probability,
                              features=tuple((name, weight) for name, weight in features),
                              similar=tuple(similar))
            for seg, items in json.loads(data)
            for code, probability, features, similar in items]


class LearnedQueries(StoreBase):
    """Learned suggestions saved, read and summarised per codebook version and coder."""

    def forget_learned(self, conn: Connection, version: str, coder: str) -> None:
        """Forget a coder's learned suggestions, run and model under a version: a new run
        follows (:meth:`save_learned_rows`, :meth:`save_learned_model`,
        :meth:`save_learned_run`) in the same transaction."""
        self.ensure_coder(conn, coder)  # type: ignore[attr-defined]
        for table in (t.learned_suggestions, t.learned_runs, t.learned_models):
            conn.execute(delete(table).where(table.c.codebook_version == version,
                                             table.c.coder == coder))

    def save_learned_run(self, conn: Connection, version: str, coder: str,
                         summary: Mapping[str, Any]) -> None:
        """Record what a run was trained on and read (once its rows are written: a
        coder on a team's server may insert a run, not update one)."""
        conn.execute(insert(t.learned_runs).values(codebook_version=version, coder=coder,
                                                   trained_at=now(), summary=dict(summary)))

    def save_learned_rows(self, conn: Connection, version: str, coder: str,
                          rows: Sequence[tuple[int, str]]) -> None:
        """Store (transcript id, :func:`encode` text) rows of one run."""
        _bulk_insert(conn, t.learned_suggestions,
                     ("transcript_id", "codebook_version", "coder", "suggestions"),
                     [(tid, version, coder, data) for tid, data in rows])

    def save_learned_model(self, conn: Connection, version: str, coder: str,
                           meta: Mapping[str, Any], arrays: bytes) -> None:
        """Keep the model of a run (:mod:`qualkit.suggest.model_file`), after
        :meth:`replace_learned` in the same transaction: evidence is computed from it when
        a suggestion is shown."""
        conn.execute(insert(t.learned_models).values(
            codebook_version=version, coder=coder, trained_at=now(), meta=dict(meta),
            arrays=arrays))

    def learned_model(self, version: str, coder: str
                      ) -> tuple[dict[str, Any], bytes] | None:
        """(meta, .npz bytes) of the model behind a coder's learned suggestions; None for a
        project whose suggestions were stored before models were kept."""
        m = t.learned_models.c
        with self._read() as conn:
            row = conn.execute(select(m.meta, m.arrays).where(
                m.codebook_version == version, m.coder == coder)).first()
        return (dict(row[0]), bytes(row[1])) if row else None

    def learned_run(self, version: str, coder: str) -> dict[str, Any] | None:
        """What a coder's stored learned suggestions were trained on (None: no run)."""
        r = t.learned_runs.c
        with self._read() as conn:
            row = conn.execute(select(r.trained_at, r.summary).where(
                r.codebook_version == version, r.coder == coder)).first()
        return {"trained_at": row[0], **row[1]} if row else None

    def learned_coders(self, version: str) -> list[str]:
        r = t.learned_runs.c
        with self._read() as conn:
            return list(conn.execute(select(r.coder).where(r.codebook_version == version)
                                     .order_by(r.coder)).scalars())

    def learned_suggestions(self, version: str, coder: str | None = None,
                            segment_id: int | None = None) -> list[LearnedSuggestion]:
        """Learned suggestions by segment, the most probable first within a segment (of
        every coder's model unless ``coder`` is given)."""
        s = t.learned_suggestions.c
        query = select(s.coder, s.suggestions).where(s.codebook_version == version)
        if coder is not None:
            query = query.where(s.coder == coder)
        if segment_id is not None:
            query = query.where(s.transcript_id == select(t.segments.c.transcript_id).where(
                t.segments.c.id == segment_id).scalar_subquery())
        with self._read() as conn:
            rows = conn.execute(query.order_by(s.transcript_id, s.coder)).all()
        found = [x for who, data in rows for x in decode(data, who)
                 if segment_id is None or x.segment_id == segment_id]
        found.sort(key=lambda x: (x.segment_id, -x.probability, x.code_id, x.coder))
        return found

    def learned_probabilities(self, version: str, coder: str) -> dict[int, dict[str, float]]:
        """The model's probability per code, by segment, for the suggestions it made: what
        a report can rank quotes by (how typical of the code a segment reads)."""
        out: dict[int, dict[str, float]] = {}
        for x in self.learned_suggestions(version, coder):
            out.setdefault(x.segment_id, {})[x.code_id] = x.probability
        return out
