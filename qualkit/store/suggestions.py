"""Queries over stored suggestions: one row per transcript and codebook version."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, literal, select

from qualkit.model import (
    Suggestion,
)
from qualkit.store import schema as t
from qualkit.store import suggestion_json
from qualkit.store.base import StoreBase, _bulk_insert, _raw_rows


class SuggestionQueries(StoreBase):
    """Suggestions read, replaced and counted per codebook version."""

    # -- suggestions -------------------------------------------------------------------

    def suggested_transcript_ids(self, version: str, moderators: bool = False) -> set[int]:
        """Transcripts read whole under a codebook version (and with their moderators'
        segments, if ``moderators``): nothing there needs reading again."""
        with self._read() as conn:
            return set(conn.execute(_read_transcripts(version, moderators)).scalars())

    def unsuggested_segment_count(self, version: str, moderators: bool = False) -> int:
        """Segments of the transcripts not yet read under a codebook version."""
        query = (select(func.count()).select_from(t.segments).where(
            t.segments.c.transcript_id.not_in(_read_transcripts(version, moderators))))
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def forget_suggestions(self, conn: Connection, version: str) -> None:
        """Drop a version's suggestions so the next run reads every segment again."""
        conn.execute(delete(t.transcript_suggestions)
                     .where(t.transcript_suggestions.c.codebook_version == version))

    def save_suggestion_rows(self, conn: Connection, version: str,
                             rows: Sequence[tuple[int, bool, str]]) -> None:
        """Store (transcript id, moderators read, suggestions as
        :mod:`qualkit.store.suggestion_json` text) for transcripts read whole, replacing what
        they had under the version."""
        if not rows:
            return
        table = t.transcript_suggestions
        columns = ("transcript_id", "codebook_version", "moderators", "suggestions")
        if conn.dialect.name == "sqlite":  # one statement that replaces, not two
            _bulk_insert(conn, table, columns,
                         [(tid, version, moderators, data) for tid, moderators, data in rows],
                         verb="INSERT OR REPLACE")
            return
        ids = [tid for tid, _, _ in rows]
        conn.execute(delete(table).where(table.c.codebook_version == version,
                                         table.c.transcript_id.in_(ids)))
        _bulk_insert(conn, table, columns,
                     [(tid, version, moderators, data) for tid, moderators, data in rows])

    def save_suggestions(self, conn: Connection, version: str, processed: Sequence[int],
                         found: Sequence[Suggestion]) -> None:
        """Replace the suggestions of the processed segments under one codebook version
        (suggestions made elsewhere than :func:`qualkit.suggest.engine.suggest_project`); their
        transcripts then count as read."""
        by_segment: dict[int, list[Suggestion]] = {seg: [] for seg in processed}
        for s in found:
            by_segment.setdefault(s.segment_id, []).append(s)
        seg = t.segments.c
        owner: dict[int, int] = {}
        ids = list(by_segment)
        for chunk in range(0, len(ids), 10_000):
            owner.update(conn.execute(select(seg.id, seg.transcript_id)
                                      .where(seg.id.in_(ids[chunk:chunk + 10_000])))
                         .tuples().all())
        s = t.transcript_suggestions.c
        rows = []
        for transcript_id in sorted(set(owner.values())):
            old = conn.execute(select(s.moderators, s.suggestions).where(
                s.transcript_id == transcript_id, s.codebook_version == version)).first()
            entries = suggestion_json.entries(old[1]) if old else {}
            entries.update({segment_id: suggestion_json.stored_form(items)
                            for segment_id, items in by_segment.items()
                            if owner.get(segment_id) == transcript_id})
            rows.append((transcript_id, bool(old[0]) if old else False,
                         suggestion_json.from_entries(entries)))
        self.save_suggestion_rows(conn, version, rows)

    def _suggestion_rows(self, version: str, segment_id: int | None = None,
                         with_text: bool = True) -> list[tuple[str, str]]:
        """(suggestions, transcript text) of the transcripts read under a version (only
        the one holding ``segment_id``, if given); text "" without ``with_text``."""
        s = t.transcript_suggestions.c
        text = t.transcripts.c.text if with_text else literal("")
        query = (select(s.suggestions, text)
                 .join_from(t.transcript_suggestions, t.transcripts,
                            t.transcripts.c.id == s.transcript_id)
                 .where(s.codebook_version == version))
        if segment_id is not None:
            query = query.where(s.transcript_id == select(t.segments.c.transcript_id).where(
                t.segments.c.id == segment_id).scalar_subquery())
        with self._read() as conn:
            return _raw_rows(conn, query.order_by(s.transcript_id))

    def suggestions(self, version: str, segment_id: int | None = None) -> list[Suggestion]:
        """Suggestions by segment id, the highest score first within a segment."""
        rows = self._suggestion_rows(version, segment_id)
        if segment_id is not None:
            return [found for data, text in rows
                    for found in suggestion_json.suggestions(
                        segment_id, suggestion_json.entries(data).get(segment_id, []), text)]
        found = [s for data, text in rows for s in suggestion_json.decode(data, text)]
        found.sort(key=lambda s: s.segment_id)  # stable: scores stay in order
        return found

    def suggestion_counts(self, version: str) -> dict[str, int]:
        """Segments the matcher suggested each code for, under one codebook version."""
        counts: Counter[str] = Counter()
        for data, _ in self._suggestion_rows(version, with_text=False):
            for codes in suggestion_json.code_ids(data).values():
                counts.update(codes)
        return dict(counts)

    def suggestion_scores(self, version: str, pairs: Mapping[int, Collection[str]]
                          ) -> tuple[dict[str, int], dict[tuple[int, str], float]]:
        """In one read: :meth:`suggestion_counts`, and the matcher's score of the wanted
        (segment id, code ids) ``pairs``: the evidence a report weighs when it picks an
        illustrative quote, without building a :class:`Suggestion` each."""
        counts: Counter[str] = Counter()
        scores: dict[tuple[int, str], float] = {}
        for data, _ in self._suggestion_rows(version, with_text=False):
            found = suggestion_json.segment_items(data)
            counts.update([item[0] for _, items in found for item in items])
            by_segment = dict(found)
            for seg in by_segment.keys() & pairs.keys():
                wanted = pairs[seg]
                for item in by_segment[seg]:
                    if item[0] in wanted:
                        scores[(seg, item[0])] = float(item[1])
        return dict(counts), scores

    def suggestion_index(self, version: str) -> dict[int, frozenset[str]]:
        """Suggested code ids by segment, without the evidence: what filters need."""
        return {seg: frozenset(codes)
                for data, _ in self._suggestion_rows(version, with_text=False)
                for seg, codes in suggestion_json.code_ids(data).items()}



def _read_transcripts(version: str, moderators: bool) -> Any:
    """The ids of transcripts read under a version (with moderators, if asked)."""
    s = t.transcript_suggestions.c
    query = select(s.transcript_id).where(s.codebook_version == version)
    return query.where(s.moderators.is_(True)) if moderators else query
