"""How a segment's suggestions are written in the store: one JSON text per segment.

One row per segment (rather than one per suggestion, with the processed segments in a
second table) is what makes storing a suggest run cheap: a million-word corpus has some
ninety thousand segments and over three hundred thousand suggestions. The text is
``[[code_id, score, [[term, matched, kind, start, end, negated, context], ...]], ...]``
in any order (reading sorts by score), exactly as ``json.dumps`` writes it with
``ensure_ascii=False`` and ``separators=(",", ":")``; an empty list for a segment read
without a suggestion.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from qualkit.model import Evidence, MatchKind, Suggestion

Found = tuple[int, int, str, str, bool, bool]
"""(start, end, term, kind (a MatchKind value), negated, context): evidence while a run
is in flight, with
offsets into the transcript; :class:`Evidence` is made only for what is read back."""
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
_FLAGS = {(False, False): "false,false]", (True, False): "true,false]",
          (False, True): "false,true]", (True, True): "true,true]"}


def item(code_id: str, score: float, kept: Sequence[Found], text: str, offset: int) -> str:
    """One suggestion, as an element of the stored list; ``text`` is the segment's text
    and ``offset`` where it starts in its transcript (evidence offsets are the
    transcript's)."""
    s = _STRINGS
    if len(s) > 200_000:  # a bound on the cache, for a corpus of endless new words
        s.clear()
    if len(kept) == 1:  # most suggestions
        a, b, term, kind, negated, ctx = kept[0]
        return (f'[{s[code_id]},{score!r},[[{s[term]},{s[text[a - offset:b - offset]]},'
                f'"{kind}",{a},{b},{_FLAGS[negated, ctx]}]]')
    return (f"[{s[code_id]},{score!r},[" + ",".join(
        f'[{s[term]},{s[text[a - offset:b - offset]]},"{kind}",{a},{b},'
        f"{_FLAGS[negated, ctx]}" for a, b, term, kind, negated, ctx in kept) + "]]")


def encode(text: str, offset: int, scored: Scored) -> str:
    """A segment's suggestions as stored."""
    return "[" + ",".join(item(code_id, score, kept, text, offset)
                          for code_id, score, kept in scored) + "]"


def decode(segment_id: int, data: str) -> list[Suggestion]:
    """What :func:`encode` wrote, read back, the highest score first (ties by code)."""
    found = [Suggestion(segment_id=segment_id, code_id=code_id, score=score,
                       evidence=tuple(Evidence(term, matched, MatchKind(kind), a, b,
                                               bool(negated), bool(ctx))
                                      for term, matched, kind, a, b, negated, ctx in items))
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
                        [[e.term, e.matched, e.kind.value, e.start, e.end, e.negated,
                          e.context] for e in s.evidence]] for s in ordered],
                      ensure_ascii=False, separators=(",", ":"))
