"""Selections of a REFI-QDA source onto qualkit's segments, per coder.

A selection codes every segment it overlaps (the rule quotes in a codings CSV follow); its
exact span is kept when it is not exactly one segment, so an export can write it back. A
selection that covers no segment's text is kept as a span and counted; codings on themes
or unknown codes, and empty selections, are counted by kind. REFI-QDA does not say what
a coder read: without qualkit's sidecar, a coder with any coding in a source is taken to
have reviewed all of it.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Mapping

from qualkit.model import Codebook
from qualkit.refi.read import Document, TextSource

Span = tuple[int, int, int, str]
"""A segment: turn index, start, end, speaker."""
DEFAULT_CODER = "imported"


def _overlapped(spans: list[Span], ends: list[int], start: int, end: int) -> list[int]:
    end = max(end, start + 1)
    first = bisect.bisect_right(ends, start)
    found = []
    for i in range(first, len(spans)):
        if spans[i][1] >= end:
            break
        found.append(i)
    return found


class Mapper:
    """Selections of one source onto its segments, per coder."""

    def __init__(self, doc: Document, book: Codebook | None, code_of: Mapping[str, str],
                 themes: set[str], origin: str, counts: dict[str, int]) -> None:
        self.doc, self.book, self.code_of, self.themes = doc, book, code_of, themes
        self.origin = origin
        self.counts = counts
        self.used_notes: set[str] = set()

    def coder(self, *guids: str) -> str:
        for key in guids:
            if key:
                return self.doc.users.get(key) or f"user-{key[:8]}"
        self.counts["codings without a user (recorded as `imported`)"] += 1
        return DEFAULT_CODER

    def map(self, source: TextSource, text_len: int, offsets: list[int], spans: list[Span],
            reviewed: Mapping[str, list[tuple[int, int]]] | None
            ) -> tuple[dict[str, dict[int, frozenset[str]]], dict[tuple[str, int, str], str],
                       list[tuple[str, int, str]], list[tuple[int, int, str, str, str]]]:
        """Segment codings per coder, their origins, memos, and the exact spans worth
        keeping (those that are not exactly one segment)."""
        ends = [s[2] for s in spans]
        raw_len = len(offsets) - 1
        wanted: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
        origins: dict[tuple[str, int, str], str] = {}
        memos: list[tuple[str, int, str]] = []
        exact: list[tuple[int, int, str, str, str]] = []
        for selection in source.selections:
            if selection.end > raw_len:
                self.counts["adjusted:selections ending past their text: cut at its end"] += 1
            if selection.start < 0:
                self.counts["adjusted:selections starting before their text: moved to "
                            "its start"] += 1
            a = offsets[min(max(selection.start, 0), raw_len)]
            b = offsets[min(max(selection.end, 0), raw_len)]
            if b <= a:
                self.counts["empty selections (no characters between start and end)"] += 1
                continue
            hit = _overlapped(spans, ends, a, b) if a < text_len else []
            whole = len(hit) == 1 and spans[hit[0]][1] == a and spans[hit[0]][2] == b
            if not hit and selection.codings:
                self.counts["outside"] += 1
            where = f"{self.origin}@{selection.start}-{selection.end}"
            for user, code_guid in selection.codings:
                coder = self.coder(user, selection.user)
                code = self.code_of.get(code_guid)
                if code is None:
                    self.counts["codings on themes or unknown codes" if code_guid in
                                self.themes or self.book is None else
                                "codings on codes not in the codebook"] += 1
                    continue
                self.counts["codings"] += 1
                if not whole:
                    exact.append((a, b, coder, code, where))
                for i in hit:
                    wanted[coder][i].add(code)
                    origins.setdefault((coder, i, code), where)
            if not hit:
                with_text = [g for g in selection.notes
                             if (note := self.doc.notes.get(g)) is not None and note.text]
                self.used_notes.update(with_text)
                if with_text:
                    self.counts["memos on selections covering no segment's text (a memo "
                                "belongs to a segment)"] += len(with_text)
                continue
            for note_guid in selection.notes:
                note = self.doc.notes.get(note_guid)
                if note is None or not note.text:
                    continue
                self.used_notes.add(note_guid)
                users = [u for u, _ in selection.codings]
                memos.append((self.coder(note.user, selection.user, *users), hit[0],
                              note.text))
        state: dict[str, dict[int, frozenset[str]]] = {}
        if reviewed is not None:
            for coder in set(reviewed) | set(wanted):
                indices = {i for a, b in reviewed.get(coder, []) for i in range(a, b + 1)}
                indices |= set(wanted.get(coder, {}))
                state[coder] = {i: frozenset(wanted.get(coder, {}).get(i, ()))
                                for i in sorted(indices)}
        else:
            for coder, coded in wanted.items():
                state[coder] = {i: frozenset(coded.get(i, ())) for i in range(len(spans))}
        return state, origins, memos, exact
