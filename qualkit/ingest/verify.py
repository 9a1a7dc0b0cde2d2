"""Checking what was read from a speaker-labelled file before anything is stored.

Label detection guesses; a wrong guess used to import with exit 0 as one turn of one
"speaker" (a greeting taken for a label), or fold participants' turns silently into the
interviewer's. So the turns of every labelled text file (plain text, Word, PDF) are
checked against the text they came from, and a reading that looks wrong is refused with
the style the file probably uses and the option that reads it; one that is plausible but
imperfect is imported with a warning that counts what looked odd.

The rules (each has its own refusal test):

- **few turns**: hundreds of words of talk read as one or two turns;
- **talk as a speaker**: a "speaker" whose label reads like talk (lower-case words, more
  than a few words, a greeting);
- **labels inside turns**: lines inside turns that have the shape of a speaker label
  (one of the file's speakers, or a label in capitals, with a time, or a numbered code);
  refused when they are many, counted in a warning when they are few;
- **near-duplicate speakers** (warning only): a rare label spelt almost like a frequent
  one (``PARTTICIPANT 18`` beside ``PARTICIPANT 18``), which is a typo more often than a
  new person.

Only readers of labelled text call this: a REFI-QDA source that is not a transcript is
read as one-voice text without label detection, and a one-voice import has no labels to
check. Messages name lines and counts, never the text, which may identify someone.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qualkit.errors import FileError
from qualkit.ingest.source import Concern
from qualkit.ingest.speakers import (
    GREETINGS,
    TIME_ONLY,
    Label,
    header_label,
    inline_label,
    lower_label,
    strong_label,
)
from qualkit.model import Turn

MIN_WORDS = 200
"""A text of this many words of talk read as one or two turns is refused: no interview
or focus group is two turns long, and a misread one is exactly that."""
MAX_TURNS_FEW = 2
MAX_LABEL_WORDS = 4
"""A label longer than this (``Thank you all for coming``) is talk."""
LEFTOVER_SHARE = 0.1
"""Labels left inside turns refuse the file when they are at least this share of the
turns read; fewer are counted in a warning."""
TYPO_SIMILARITY = 85.0
"""How alike (rapidfuzz ratio, 0 to 100) a rare label must be to a frequent one to be
reported as a probable typo."""
RARE = 2
FREQUENT = 3
MIN_TYPO_LETTERS = 5
"""Short names (``Dan``, ``Dana``) are too alike by chance to call one a typo."""


@dataclass(frozen=True)
class Style:
    """A label style a file may use, described for the user with a made-up example."""

    example: str
    what: str
    pattern: str


STYLES = (
    Style("00:19 PARTICIPANT 12:", "a time, then the label; the talk on the next lines",
          r"^(?P<ts>\d{1,2}:\d{2}(?::\d{2})?)[ \t]+(?P<speaker>[A-Z][\w .-]{0,40}?)"
          r"[ \t]*:?[ \t]*$"),
    Style("[00:01:23] P07: talk", "a time in brackets, the label and a colon",
          r"^[\[(](?P<ts>[\d:.]+)[\])][ \t]*(?P<speaker>[^:\n]{1,40}?):[ \t]*"),
    Style("P07: talk", "the label and a colon before the talk",
          r"^(?P<speaker>[A-Z][\w.-]*(?: [A-Z0-9][\w.-]*){0,3}):[ \t]+"),
    Style("INTERVIEWER", "the label alone on a line; the talk below",
          r"^(?P<speaker>[A-Z][A-Z0-9 .-]{1,40})[ \t]*$"),
)
MIN_STYLE_LINES = 3


def _lines_of(text: str) -> list[tuple[int, str]]:
    out = []
    start = 0
    for line in text.split("\n"):
        out.append((start, line))
        start += len(line) + 1
    return out


def guess_style(text: str) -> tuple[Style, int] | None:
    """The style most lines fit, with how many; None when none fits a few lines."""
    lines = [line for _, line in _lines_of(text)]
    best: tuple[Style, int] | None = None
    for style in STYLES:
        regex = re.compile(style.pattern)
        count = sum(1 for line in lines if regex.match(line))
        if count >= MIN_STYLE_LINES and (best is None or count > best[1]):
            best = (style, count)
    return best


def advice(text: str) -> str:
    """What to do next: the style the file probably uses and the option that reads it."""
    guess = guess_style(text)
    if guess is None:
        return ("start each turn with `Speaker: talk` (for example `P07: I think…`), pass "
                "--speaker-pattern, or --no-speakers for one-voice text")
    style, count = guess
    return (f"the labels probably look like `{style.example}` ({style.what}; {count} lines); "
            f"pass --speaker-pattern '{style.pattern}', or --no-speakers for one-voice text")


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def talk_like(speaker: str) -> bool:
    """A label that reads like talk: lower-case words, many words, or a greeting."""
    words = speaker.split()
    if not words:
        return True
    if len(words) > MAX_LABEL_WORDS or GREETINGS.match(speaker):
        return True
    if lower_label(speaker):
        return False  # `client`, `interviewer 2`: a lower-case label, a style of its own
    return any(w[0].islower() for w in words[1:]) or (
        len(words) > 1 and words[0][0].islower())


def _label_shaped(line: str, known: set[str]) -> Label | None:
    """A label on a line inside a turn: one of the file's speakers, or a label no talk
    has (capitals, a time, a numbered code, a role)."""
    for label in (inline_label(line), header_label(line)):
        if label is not None and (label.speaker.casefold() in known or strong_label(label)):
            return label
    return None


def leftover_labels(text: str, turns: Sequence[Turn]) -> list[int]:
    """Line numbers (from 1) inside turns that have the shape of a speaker label."""
    known = {t.speaker.casefold() for t in turns}
    found = []
    lines = _lines_of(text)
    starts = [offset for offset, _ in lines]
    for turn in turns:
        first = bisect.bisect_right(starts, turn.start)  # lines starting after the talk
        for i in range(first, len(lines)):
            offset, line = lines[i]
            if offset >= turn.end:
                break
            if TIME_ONLY.match(line) or not line.strip():
                continue
            if _label_shaped(line, known) is not None:
                found.append(i + 1)
    return found


def _letters(speaker: str) -> str:
    """A label without its numbers: ``PARTICIPANT 12`` and ``PARTICIPANT 13`` are two
    people of one kind, not a typo of each other."""
    return "".join(c for c in speaker.casefold() if c.isalpha())


def _typos(turns: Sequence[Turn], text: str) -> list[Concern]:
    from rapidfuzz import fuzz

    counts = Counter(t.speaker for t in turns)
    kinds: Counter[str] = Counter()
    for speaker, n in counts.items():
        kinds[_letters(speaker)] += n
    concerns = []
    for speaker, n in counts.items():
        mine = _letters(speaker)
        if n > RARE or len(mine) < MIN_TYPO_LETTERS or kinds[mine] > RARE:
            continue
        for kind, total in kinds.items():
            if (kind != mine and total >= FREQUENT
                    and fuzz.ratio(mine, kind) >= TYPO_SIMILARITY):
                first = next(t for t in turns if t.speaker == speaker)
                concerns.append(Concern(
                    _line_of(text, first.start),
                    f"a speaker label of {_n(n, 'turn')} is spelt almost like the label of "
                    f"{total} other turns; correct it in the file if it is a typo"))
                break
    return concerns


def check_reading(text: str, turns: Sequence[Turn], path: Path) -> list[Concern]:
    """Refuse a reading that looks wrong (a :class:`FileError` naming what looked wrong,
    the style the file probably uses and the option that reads it); return what is odd
    but plausible, for a warning."""
    words = sum(len(text[t.start:t.end].split()) for t in turns)
    speakers = {t.speaker for t in turns}
    if words >= MIN_WORDS and len(turns) <= MAX_TURNS_FEW:
        raise FileError(path, f"{words} words were read as {_n(len(turns), 'turn')} of "
                              f"{_n(len(speakers), 'speaker')}: most speaker labels were "
                              f"not recognised; {advice(text)}",
                        line=_line_of(text, turns[0].start))
    talky = [t for t in turns if talk_like(t.speaker)]
    if talky:
        labels = len({t.speaker for t in talky})
        raise FileError(path, f"{_n(labels, 'speaker label')} of {_n(len(talky), 'turn')} "
                              f"read like talk (lower-case words, more than "
                              f"{MAX_LABEL_WORDS} words, or a greeting); {advice(text)}",
                        line=_line_of(text, talky[0].start))
    leftovers = leftover_labels(text, turns)
    concerns: list[Concern] = []
    if leftovers:
        look = "looks" if len(leftovers) == 1 else "look"
        labels = "a speaker label" if len(leftovers) == 1 else "speaker labels"
        if len(leftovers) >= LEFTOVER_SHARE * len(turns):
            raise FileError(path, f"{_n(len(leftovers), 'line')} inside the "
                                  f"{_n(len(turns), 'turn')} read {look} like {labels}: "
                                  "turns were folded into the ones before them; "
                                  f"{advice(text)}", line=leftovers[0])
        concerns.append(Concern(leftovers[0], f"{_n(len(leftovers), 'line')} inside turns "
                                              f"{look} like a speaker label and "
                                              f"{'was' if look == 'looks' else 'were'} read "
                                              "as talk; check, or pass --speaker-pattern"))
    concerns.extend(_typos(turns, text))
    return concerns
