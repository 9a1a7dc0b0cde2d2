"""How suggestions are written in the store: one JSON text per transcript read.

One row per transcript and codebook version (rather than one per segment or per
suggestion) is what makes storing a suggest run cheap: a ten-million-word corpus has
nearly a million segments and three million suggestions, and SQLite's cost grows with
rows as much as with bytes. The row exists once the whole transcript has been read, so it
is also the mark that nothing there needs reading again. Its text is

``[[segment_id, [[code_id, score, [[term, kind, negated, context, start, end], ...]],
...]], ...]``

with only the segments that have a suggestion, in reading order; suggestions in any
order (reading sorts by score); negated and context as 0 or 1; start and end the
evidence's offsets in the transcript, so the matched words are the transcript's text
between them and need not be stored. It is exactly what ``json.dumps`` writes with
``ensure_ascii=False`` and ``separators=(",", ":")``.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from qualkit.model import Evidence, MatchKind, Suggestion

Found = tuple[int, int, str, str, bool, bool, str]
"""(start, end, term, kind (a MatchKind value), negated, context, part): evidence while a
run is in flight, with offsets into the transcript; :class:`Evidence` is made only for
what is read back. The part is :func:`single`'s text for the suggestion this evidence
makes when it is its code's only one, made by the matcher for a match of one word from a
:func:`head` it makes once per keyword ("" otherwise: it is then written here)."""
Stored = list[list[object]]
"""One segment's suggestions as :func:`json.loads` reads them back."""

_encode = json.JSONEncoder(ensure_ascii=False).encode


class _Strings(dict[str, str]):
    """JSON string literals, each encoded once: the same codes and terms recur hundreds of
    thousands of times in a corpus."""

    def __missing__(self, key: str) -> str:
        value = self[key] = _encode(key)
        return value


_STRINGS = _Strings()
_BOOL = {False: "0", True: "1"}


def head(code_id: str, score: float, term: str, kind: str, negated: bool, ctx: bool) -> str:
    """The fixed start of a one-evidence suggestion, up to its offsets."""
    return (f"[{_encode(code_id)},{score!r},[[{_encode(term)},"
            f'"{kind}",{_BOOL[negated]},{_BOOL[ctx]},')


class _Heads(dict[tuple[str, float, str, str, bool, bool], str]):
    """:func:`head` by its arguments: the few thousand combinations a corpus has."""

    def __missing__(self, key: tuple[str, float, str, str, bool, bool]) -> str:
        value = self[key] = head(*key)
        return value


_HEADS = _Heads()


def single(code_id: str, score: float, found: Found) -> str:
    """A suggestion with one piece of evidence, as :func:`item` writes it."""
    a, b, term, kind, negated, ctx, part = found
    return part or f"{_HEADS[code_id, score, term, kind, negated, ctx]}{a},{b}]]]"


def segment(segment_id: int, evidence: dict[str, list[Found]],
            weight: Mapping[tuple[str, bool, bool], float],
            rank: Callable[[list[Found]], tuple[float, list[Found]]]) -> str:
    """A segment's entry in its transcript's row, from its evidence by code ("" for
    none). A code with one piece of evidence (most) scores its ``weight`` by (kind,
    negated, context); ``rank`` gives the score and the evidence kept of the others.
    This runs for every segment of a corpus, so the common case is written from cached
    pieces, without a call per suggestion."""
    if not evidence:
        return ""
    if len(_HEADS) > 200_000:  # a bound on the caches, for a codebook of endless terms
        _STRINGS.clear()
        _HEADS.clear()
    parts = []
    for code_id, items in evidence.items():
        if len(items) == 1:
            part = items[0][6]
            if part:  # Python 3.11 runs a comprehension as a call: a loop costs less here
                parts.append(part)
                continue
        parts.append(_other(code_id, items, weight, rank))
    return f"[{segment_id},[{','.join(parts)}]]"


def _other(code_id: str, items: list[Found], weight: Mapping[tuple[str, bool, bool], float],
           rank: Callable[[list[Found]], tuple[float, list[Found]]]) -> str:
    """A suggestion :func:`segment` cannot write from its evidence's part alone."""
    if len(items) == 1:
        _, _, _, kind, negated, ctx, _ = items[0]
        return single(code_id, weight[kind, negated, ctx], items[0])
    score, kept = rank(items)
    return item(code_id, score, kept)


def item(code_id: str, score: float, kept: Sequence[Found]) -> str:
    """One suggestion, as an element of a segment's list."""
    if len(kept) == 1:
        return single(code_id, score, kept[0])
    s = _STRINGS
    return (f"[{s[code_id]},{score!r},[" + ",".join(
        f'[{s[term]},"{kind}",{_BOOL[negated]},{_BOOL[ctx]},{a},{b}]'
        for a, b, term, kind, negated, ctx, _ in kept) + "]]")


def transcript(entries: Iterable[str]) -> str:
    """A transcript's row from its segments' entries (empty ones left out)."""
    return "[" + ",".join(e for e in entries if e) + "]"


def _loads(data: str) -> list[list[Any]]:
    """``json.loads`` with the cyclic garbage collector paused: a transcript's row makes
    tens of thousands of lists at once, which set off collections that can find nothing
    (JSON makes no cycles) and made counting a corpus's suggestions five times slower."""
    if not gc.isenabled():
        return json.loads(data)  # type: ignore[no-any-return]
    gc.disable()
    try:
        return json.loads(data)  # type: ignore[no-any-return]
    finally:
        gc.enable()


def segment_items(data: str) -> list[list[Any]]:
    """A transcript's row read back as stored: ``[segment_id, items]`` pairs in reading
    order (no dictionary built, for a pass over every suggestion)."""
    return _loads(data)


def entries(data: str) -> dict[int, Stored]:
    """A transcript's row read back: each segment's suggestions by segment id."""
    return {segment_id: items for segment_id, items in _loads(data)}


def suggestions(segment_id: int, items: Stored, text: str) -> list[Suggestion]:
    """One segment's stored suggestions, the highest score first (ties by code);
    ``text`` is its transcript's, which holds the matched words."""
    found = [Suggestion(segment_id=segment_id, code_id=code_id, score=score,
                        evidence=tuple(Evidence(term, text[a:b], MatchKind(kind), a, b,
                                                bool(negated), bool(ctx))
                                       for term, kind, negated, ctx, a, b in evidence))
             for code_id, score, evidence in items]  # type: ignore[misc]
    found.sort(key=lambda s: (-s.score, s.code_id))
    return found


def decode(data: str, text: str) -> list[Suggestion]:
    """A transcript's row read back, by segment in reading order."""
    return [s for segment_id, items in _loads(data)
            for s in suggestions(segment_id, items, text)]


def code_ids(data: str) -> dict[int, list[str]]:
    """The suggested code ids alone by segment, for filters and counts."""
    return {segment_id: [item[0] for item in items] for segment_id, items in _loads(data)}


def stored_form(found: Sequence[Suggestion]) -> Stored:
    """Suggestions made elsewhere (tests, benchmarks), as :func:`entries` reads them."""
    return [[s.code_id, s.score, [[e.term, e.kind.value, int(e.negated), int(e.context),
                                   e.start, e.end] for e in s.evidence]]
            for s in sorted(found, key=lambda s: (-s.score, s.code_id))]


def from_entries(by_segment: Mapping[int, Stored]) -> str:
    """A transcript's row from suggestions by segment id in :func:`entries`' form."""
    return json.dumps([[seg, items] for seg, items in sorted(by_segment.items()) if items],
                      ensure_ascii=False, separators=(",", ":"))
