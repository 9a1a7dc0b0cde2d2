"""How a segment's suggestions are written in the store: one JSON text per segment.

One row per segment (rather than one per suggestion, with the processed segments in a
second table) is what makes storing a suggest run cheap: a million-word corpus has some
ninety thousand segments and over three hundred thousand suggestions. The text is
``[[code_id, score, [[term, kind, negated, context, start, end, matched], ...]], ...]``
in any order (reading sorts by score), exactly as ``json.dumps`` writes it with
``ensure_ascii=False`` and ``separators=(",", ":")``, negated and context as 0 or 1 (a
tenth fewer bytes in all than false and true); an empty list for a segment read without a
suggestion.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence

from qualkit.model import Evidence, MatchKind, Suggestion

Found = tuple[int, int, str, str, bool, bool, str]
"""(start, end, term, kind (a MatchKind value), negated, context, head): evidence while a
run is in flight, with
offsets into the transcript; :class:`Evidence` is made only for what is read back. The
head is :func:`head` of the suggestion this evidence makes when it is its code's only
one, made once per keyword by the matcher for a match of one word ("" otherwise: it is
then looked up)."""
Scored = Sequence[tuple[str, float, Sequence[Found]]]
"""(code id, score, evidence kept) per suggested code of one segment."""

_encode = json.JSONEncoder(ensure_ascii=False).encode


class _Strings(dict[str, str]):
    """JSON string literals, each encoded once: the same terms and matched words recur
    hundreds of thousands of times in a corpus."""

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


def single(code_id: str, score: float, found: Found, text: str, offset: int) -> str:
    """A suggestion with one piece of evidence, as :func:`item` writes it."""
    a, b, term, kind, negated, ctx, start = found
    return (f"{start or _HEADS[code_id, score, term, kind, negated, ctx]}{a},{b},"
            f"{_STRINGS[text[a - offset:b - offset]]}]]]")


def segment(text: str, offset: int, evidence: dict[str, list[Found]],
            weight: Mapping[tuple[str, bool, bool], float],
            rank: Callable[[list[Found]], tuple[float, list[Found]]]) -> tuple[str, int]:
    """A segment's suggestions as stored, from its evidence by code, and how many there
    are. A code with one piece of evidence (most) scores its ``weight`` by (kind,
    negated, context); ``rank`` gives the score and the evidence kept of the others.
    This runs for every segment of a corpus, so the common case is written from cached
    pieces, without a call per suggestion."""
    if not evidence:
        return "[]", 0
    if len(_STRINGS) > 200_000:  # a bound on the caches, for a corpus of endless new words
        _STRINGS.clear()
        _HEADS.clear()
    parts = []
    for code_id, items in evidence.items():
        if len(items) == 1:
            a, b, _, kind, negated, ctx, start = items[0]
            if start:  # one word (\w+), which JSON writes as it is: nothing to escape
                parts.append(f'{start}{a},{b},"{text[a - offset:b - offset]}"]]]')
                continue
            parts.append(single(code_id, weight[kind, negated, ctx], items[0], text, offset))
        else:
            score, kept = rank(items)
            parts.append(item(code_id, score, kept, text, offset))
    return "[" + ",".join(parts) + "]", len(parts)


def item(code_id: str, score: float, kept: Sequence[Found], text: str, offset: int) -> str:
    """One suggestion, as an element of the stored list; ``text`` is the segment's text
    and ``offset`` where it starts in its transcript (evidence offsets are the
    transcript's)."""
    if len(kept) == 1:
        return single(code_id, score, kept[0], text, offset)
    s = _STRINGS
    return (f"[{s[code_id]},{score!r},[" + ",".join(
        f'[{s[term]},"{kind}",{_BOOL[negated]},{_BOOL[ctx]},{a},{b},'
        f"{s[text[a - offset:b - offset]]}]" for a, b, term, kind, negated, ctx, _ in kept)
        + "]]")


def encode(text: str, offset: int, scored: Scored) -> str:
    """A segment's suggestions as stored."""
    return "[" + ",".join(item(code_id, score, kept, text, offset)
                          for code_id, score, kept in scored) + "]"


def decode(segment_id: int, data: str) -> list[Suggestion]:
    """What :func:`encode` wrote, read back, the highest score first (ties by code)."""
    found = [Suggestion(segment_id=segment_id, code_id=code_id, score=score,
                       evidence=tuple(Evidence(term, matched, MatchKind(kind), a, b,
                                               bool(negated), bool(ctx))
                                      for term, kind, negated, ctx, a, b, matched in items))
            for code_id, score, items in json.loads(data)]
    found.sort(key=lambda s: (-s.score, s.code_id))
    return found


def code_ids(data: str) -> list[str]:
    """The suggested code ids alone, for filters and counts."""
    return [item[0] for item in json.loads(data)]


def from_suggestions(found: Sequence[Suggestion]) -> str:
    """Suggestions made elsewhere (tests, benchmarks) in the stored form."""
    ordered = sorted(found, key=lambda s: (-s.score, s.code_id))
    return json.dumps([[s.code_id, s.score,
                        [[e.term, e.kind.value, int(e.negated), int(e.context), e.start,
                          e.end, e.matched] for e in s.evidence]] for s in ordered],
                      ensure_ascii=False, separators=(",", ":"))
