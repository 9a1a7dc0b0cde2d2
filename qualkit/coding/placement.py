"""Finding a coder's quote in a transcript, as people actually quote.

Researchers do not copy passages byte for byte: they re-wrap lines, straighten quotes,
change case, cut words out (``…``, ``...``, ``[...]``), insert clarifications
(``[the tool]``), run a passage across the interviewer's interjection, and sometimes edit a
few words. Each of those is a rule here, tried from the strictest to the loosest so that a
quote is placed by the first rule that explains it:

1. **verbatim**: letters and digits compared case-folded; every run of whitespace and
   punctuation (curly quotes, dashes, ellipses) counts as one space. Speaker labels and the
   text between turns are not part of what is searched, so a quote that crosses a label is
   found and split across the turns it covers.
2. **gaps**: the quote cut at ``…``, ``...``, ``[...]`` and at bracketed insertions; the
   pieces must appear in order within one turn.
3. **anchored**: for long quotes, runs of six words found verbatim and in order, with
   transcript text the quote lacks allowed between them (PDF page and line numbers,
   timestamps, a skipped interjection); scored by the share of the quote's words found.
4. **approximate**: a rapidfuzz alignment (``partial_ratio``) of the whole quote, accepted at
   or above ``min_score`` (default :data:`MIN_SCORE`) and reported with its score. Quotes
   shorter than :data:`MIN_FUZZY_WORDS` words are never placed approximately: short text
   aligns somewhere in any transcript.

A quote found more than once is placed by a hint (:class:`Hint`: the line it starts on,
the turn's timestamp, which occurrence, or a segment id) or refused with the candidate
lines. Nothing here reads or logs the text beyond returning offsets.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qualkit.model import Segment, Transcript, Turn

MIN_SCORE = 90.0
MIN_FUZZY_WORDS = 4
ANCHOR = 6  # words per verbatim run of the anchored rule
MAX_SKIP = 1000  # transcript characters the anchored rule lets a quote skip between runs

GAP = re.compile(r"\[\s*(?:\.{2,}|…)\s*\]|\(\s*(?:\.{2,}|…)\s*\)|\.{3,}|…|\[[^\]]*\]")
TIME = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,]\d+)?$")


@dataclass(frozen=True)
class Hint:
    """What a row says about where its quote is, for quotes found more than once."""

    line: int | None = None
    time: str | None = None
    occurrence: int | None = None
    segment: int | None = None

    @property
    def any(self) -> bool:
        return any(v is not None for v in (self.line, self.time, self.occurrence, self.segment))


@dataclass(frozen=True)
class Placed:
    """Where a quote is: one span per turn it covers, how it was found and the score."""

    spans: tuple[tuple[int, int], ...]
    rule: str  # "verbatim", "with gaps", "anchored" or "approximate"
    score: float = 100.0
    turns: int = 1


@dataclass(frozen=True)
class Refused:
    """Why a quote could not be placed: a reason fit for a user, without the quote."""

    reason: str


class Source:
    """One transcript folded for matching, with the way back to real offsets.

    ``folded`` holds the turns' talk only (labels and timestamps left out), lower-cased,
    with every run of non-alphanumeric characters as one space; ``offsets[i]`` is the
    transcript offset of ``folded[i]`` and ``turn_of[i]`` the index of its turn.
    """

    def __init__(self, transcript: Transcript, turns: Sequence[Turn],
                 segments: Sequence[Segment]) -> None:
        self.transcript = transcript
        self.turns = list(turns)
        self.segments = list(segments)
        self.speakers = sorted({t.speaker for t in self.turns}, key=len, reverse=True)
        chars: list[str] = []
        self.offsets: list[int] = []
        self.turn_of: list[int] = []
        text = transcript.text
        for n, turn in enumerate(self.turns):
            if chars and chars[-1] != " ":
                chars.append(" ")
                self.offsets.append(turn.start)
                self.turn_of.append(n)
            for i in range(turn.start, turn.end):
                ch = text[i]
                if ch.isalnum():
                    low = ch.lower()
                    chars.append(low if len(low) == 1 else ch)
                elif chars and chars[-1] != " ":
                    chars.append(" ")
                else:
                    continue
                self.offsets.append(i)
                self.turn_of.append(n)
        self.folded = "".join(chars)
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    # -- offsets ---------------------------------------------------------------------
    def spans(self, start: int, end: int) -> tuple[tuple[int, int], ...]:
        """Folded [start, end) as transcript spans, one per turn (labels left out)."""
        while start < end and self.folded[start] == " ":
            start += 1
        while end > start and self.folded[end - 1] == " ":
            end -= 1
        found: list[tuple[int, int]] = []
        i = start
        while i < end:
            turn = self.turn_of[i]
            j = i
            while j + 1 < end and self.turn_of[j + 1] == turn:
                j += 1
            last = j
            while last > i and self.folded[last] == " ":
                last -= 1
            found.append((self.offsets[i], self.offsets[last] + 1))
            i = j + 1
            while i < end and self.folded[i] == " ":
                i += 1
        return tuple(found)

    def line(self, offset: int) -> int:
        """1-based line of the normalised transcript text."""
        return bisect.bisect_right(self._line_starts, offset)

    def segments_in(self, span: tuple[int, int]) -> list[Segment]:
        starts = [s.start for s in self.segments]
        i = max(bisect.bisect_right(starts, span[0]) - 1, 0)
        found = []
        while i < len(self.segments) and self.segments[i].start < span[1]:
            if self.segments[i].end > span[0]:
                found.append(self.segments[i])
            i += 1
        return found


def fold(text: str) -> str:
    """A quote folded the way :class:`Source` folds a transcript."""
    out: list[str] = []
    for ch in text:
        if ch.isalnum():
            low = ch.lower()
            out.append(low if len(low) == 1 else ch)
        elif out and out[-1] != " ":
            out.append(" ")
    return "".join(out).strip()


def _without_labels(quote: str, speakers: Sequence[str]) -> str:
    """The quote with speaker labels (``Dan:``, ``[00:01:02] P03:``) taken out."""
    if not speakers:
        return quote
    names = "|".join(re.escape(s) for s in speakers)
    label = re.compile(rf"(?:\[?\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:[.,]\d+)?\]?\s*)?"
                       rf"(?<![\w])(?:{names})\s*:(?=\s|$)")
    return label.sub(" ", quote)


def _occurrences(haystack: str, needle: str, lo: int = 0, hi: int | None = None) -> list[int]:
    """Starts of ``needle`` in ``haystack[lo:hi]``; whole-word matches when there are any."""
    hi = len(haystack) if hi is None else hi
    found = []
    start = haystack.find(needle, lo, hi)
    while start != -1:
        found.append(start)
        start = haystack.find(needle, start + 1, hi)

    def whole(s: int) -> bool:
        end = s + len(needle)
        return ((s == 0 or haystack[s - 1] == " ")
                and (end == len(haystack) or haystack[end] == " "))

    words = [s for s in found if whole(s)]
    return words or found


def place(source: Source, quote: str, speaker: str = "", hint: Hint | None = None,
          min_score: float = MIN_SCORE) -> Placed | Refused:
    """Place one quote in one transcript by the first rule that explains it."""
    hint = hint or Hint()
    cleaned = _without_labels(quote, source.speakers)
    whole = fold(cleaned)
    if not whole:
        return Refused("the quote has no letters or digits")
    candidates = [(s, s + len(whole)) for s in _occurrences(source.folded, whole)]
    candidates = _by_speaker(source, candidates, speaker)
    if candidates:
        return _choose(source, candidates, "verbatim", 100.0, hint, speaker)
    pieces = [p for p in (fold(x) for x in GAP.split(cleaned)) if p]
    if len(pieces) > 1 or (pieces and pieces[0] != whole):
        chained = _by_speaker(source, _chains(source, pieces, min_score), speaker)
        if chained:
            return _choose(source, chained, "with gaps", 100.0, hint, speaker)
    joined = " ".join(pieces)
    short = len(joined.split()) < MIN_FUZZY_WORDS
    if not short:
        found = _anchored(source, joined, min_score)
        if found is not None:
            kept = _by_speaker(source, [found[:2]], speaker)
            if kept:
                return _choose(source, kept, "anchored", found[2], hint, speaker)
        found = _align(source, joined, min_score)
        if found is not None:
            start, end, score = found
            kept = _by_speaker(source, [(start, end)], speaker)
            if kept:
                return _choose(source, kept, "approximate", score, hint, speaker)
    if speaker:
        spans = [sp for s in _occurrences(source.folded, whole)
                 for sp in source.spans(s, s + len(whole))]
        if not spans:
            elsewhere = place(source, quote, "", Hint(occurrence=1), min_score)
            spans = list(elsewhere.spans) if isinstance(elsewhere, Placed) else []
        if spans:
            who = sorted({t.speaker for t in source.turns
                          if any(t.start < b and a < t.end for a, b in spans)})
            return Refused(f"quote found in {source.transcript.name}, but in the turns of "
                           f"{', '.join(who)}, not {speaker}; fix the speaker column")
    if short:
        return Refused(_not_found(source, speaker) + "; copy it from the transcript (a quote "
                       f"under {MIN_FUZZY_WORDS} words must match exactly, whitespace, case "
                       "and punctuation aside)")
    best = _align(source, joined, 0.0)
    closest = f"the closest passage scores {best[2]:.0f} (< {min_score:.0f}); " if best else ""
    return Refused(_not_found(source, speaker) + f"; {closest}copy the quote from the "
                   "transcript, or lower --min-score")


def _not_found(source: Source, speaker: str) -> str:
    where = source.transcript.name + (f" ({speaker}'s turns)" if speaker else "")
    return f"quote not found in {where}"


def _by_speaker(source: Source, spans: list[tuple[int, int]], speaker: str
                ) -> list[tuple[int, int]]:
    if not speaker:
        return spans
    return [(a, b) for a, b in spans
            if any(source.turns[source.turn_of[i]].speaker == speaker
                   for i in range(a, min(b, len(source.folded))))]


def _chains(source: Source, pieces: list[str], min_score: float) -> list[tuple[int, int]]:
    """Spans where every piece appears, in order, inside the first piece's turn."""
    found = []
    for first in _occurrences(source.folded, pieces[0]):
        turn = source.turn_of[first]
        hi = first
        while hi < len(source.folded) and source.turn_of[hi] == turn:
            hi += 1
        end = first + len(pieces[0])
        for piece in pieces[1:]:
            nxt = _occurrences(source.folded, piece, end, hi)
            if nxt:
                end = nxt[0] + len(piece)
                continue
            aligned = (_align_in(source.folded, piece, end, hi, min_score)
                       if len(piece.split()) >= MIN_FUZZY_WORDS else None)
            if aligned is None:
                break
            end = aligned[1]
        else:
            found.append((first, end))
    return found


def _anchored(source: Source, quote: str, min_score: float) -> tuple[int, int, float] | None:
    """The quote as runs of :data:`ANCHOR` words found verbatim, in order, each within
    :data:`MAX_SKIP` characters (or the quote's length) of the previous one; scored by the
    share of the quote's words so found.

    This is how a quote survives text the transcript has and the quote lacks — page numbers
    and line numbers from a PDF, timestamps, an interjection the coder left out — which an
    alignment of the whole quote scores as errors.
    """
    words = quote.split()
    if len(words) < 2 * ANCHOR:
        return None
    windows = [" ".join(words[i:i + ANCHOR]) for i in range(0, len(words), ANCHOR)]
    sizes = [len(w.split()) for w in windows]
    total = len(words)
    skip = max(MAX_SKIP, len(quote))
    folded = source.folded
    found = [_occurrences(folded, w) for w in windows]
    best: tuple[int, int, float] | None = None
    for i, starts in enumerate(found):
        if sum(sizes[i:]) * 100 / total < min_score:
            break
        for first in starts[:50]:
            matched, end = sizes[i], first + len(windows[i])
            for j in range(i + 1, len(windows)):
                k = bisect.bisect_left(found[j], end)
                if k < len(found[j]) and found[j][k] <= end + skip:
                    matched += sizes[j]
                    end = found[j][k] + len(windows[j])
            score = matched * 100 / total
            if score >= min_score and (best is None or score > best[2]):
                best = (first, end, score)
    return best


def _align(source: Source, needle: str, min_score: float) -> tuple[int, int, float] | None:
    return _align_in(source.folded, needle, 0, len(source.folded), min_score)


def _align_in(haystack: str, needle: str, lo: int, hi: int, min_score: float
              ) -> tuple[int, int, float] | None:
    """The best approximate alignment of ``needle`` in ``haystack[lo:hi]``, snapped to
    whole words."""
    from rapidfuzz import fuzz

    part = haystack[lo:hi]
    if not part.strip():
        return None
    found = fuzz.partial_ratio_alignment(needle, part, score_cutoff=min_score)
    if found is None or found.score < min_score:
        return None
    start, end = lo + found.dest_start, lo + found.dest_end
    while start > lo and haystack[start - 1] != " ":
        start -= 1
    while end < hi and haystack[end - 1] != " " and haystack[end] != " ":
        end += 1
    return start, end, float(found.score)


def _choose(source: Source, candidates: list[tuple[int, int]], rule: str, score: float,
            hint: Hint, speaker: str) -> Placed | Refused:
    options = [source.spans(a, b) for a, b in candidates]
    options = [o for o in options if o]
    if len(options) > 1 and hint.any:
        options = _narrow(source, options, hint)
        if not options:
            return Refused(f"none of the quote's places in {source.transcript.name} fits "
                           "the row's line, time, occurrence or segment; check them")
    if len(options) > 1:
        lines = ", ".join(str(source.line(o[0][0])) for o in options[:10])
        more = " …" if len(options) > 10 else ""
        where = source.transcript.name + (f" ({speaker}'s turns)" if speaker else "")
        return Refused(f"quote occurs {len(options)} times in {where} (lines {lines}{more}); "
                       "add a line, time, occurrence or segment column to choose, or quote "
                       "a longer passage")
    spans = options[0]
    return Placed(spans=spans, rule=rule, score=round(score, 1), turns=len(spans))


def _narrow(source: Source, options: list[tuple[tuple[int, int], ...]], hint: Hint
            ) -> list[tuple[tuple[int, int], ...]]:
    if hint.occurrence is not None:
        n = hint.occurrence
        return [options[n - 1]] if 1 <= n <= len(options) else []
    if hint.segment is not None:
        return [o for o in options
                if any(s.id == hint.segment for sp in o for s in source.segments_in(sp))]
    if hint.line is not None:
        return [o for o in options
                if source.line(o[0][0]) <= hint.line <= source.line(o[-1][1] - 1)]
    wanted = seconds(hint.time or "")
    if wanted is None:
        return []
    kept = []
    for option in options:
        turns = {source.turn_of[i] for i in range(len(source.folded))
                 if option[0][0] <= source.offsets[i] < option[-1][1]}
        if any(seconds(source.turns[t].timestamp or "") == wanted for t in turns):
            kept.append(option)
    return kept


def seconds(value: str) -> float | None:
    """``[01:02:03]``, ``1:02:03``, ``02:03`` or ``00:02:03.500`` as whole seconds."""
    match = TIME.match(value.strip().strip("[]()"))
    if not match:
        return None
    hours, minutes, secs = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs)
