"""The vocabulary of qualkit as immutable records.

One name per concept, the same in code, CLI, docs and tests (see the README's glossary).
Records are frozen so that a value read from the store can be passed around without anyone
changing it behind the store's back; derived state (what a coder has currently applied) is
computed from the append-only event log in :mod:`qualkit.decisions`, never stored beside it.

Offsets are Unicode code points into the normalised transcript text, end exclusive —
exactly what REFI-QDA ``PlainTextSelection`` positions need.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[tuple[tuple[int, int | str], ...], str]:
    """Sort key that orders ``FG2`` before ``FG10`` and ``P9`` before ``P10``: transcript
    names carry numbers, and researchers read them in that order, not the text order
    (1, 10, 11, …, 2). Digits compare as numbers, letters without case; the name itself
    breaks ties (``p1``, ``P1``), so the order never depends on the input's."""
    parts = _DIGITS.split(name.casefold())
    return tuple((0, int(p)) if i % 2 else (1, p) for i, p in enumerate(parts) if p), name


CONSENSUS = "consensus"
"""The coder name under which an adjudicated, agreed version is recorded."""


class Unit(StrEnum):
    """What a segment is: the granularity at which codes are decided."""

    SENTENCE = "sentence"
    TURN = "turn"


class CodingAction(StrEnum):
    """The closed set of things a coder can record about a segment.

    ``REVIEWED_NONE`` exists because "looked at it, nothing applies" is data (a "no" in
    agreement statistics) while a segment nobody looked at is missing data.
    """

    APPLY = "apply"
    REMOVE = "remove"
    REVIEWED_NONE = "reviewed_none"
    # Withdraws every decision on the segment: back to "not reviewed" (missing data). What
    # undoing a coder's first decision on a segment records, since the log is never edited.
    UNREVIEW = "unreview"


class NoteKind(StrEnum):
    """What a coder can note on a segment beside a decision.

    Notes are not coding: a memo or a quote mark never makes a segment "reviewed", so they
    live in their own append-only log (the latest note of a kind per coder and segment is
    the current one) rather than in the coding log that agreement is computed from.
    """

    MEMO = "memo"  # value: the memo text; "" clears it
    QUOTE = "quote"  # value: "1" marks the segment as an illustrative quote, "" unmarks it


class MatchKind(StrEnum):
    """How a piece of suggestion evidence matched the text."""

    LEMMA = "lemma"
    DERIVATION = "derivation"
    PHRASE = "phrase"
    PATTERN = "pattern"
    FUZZY = "fuzzy"


class SuggestionKind(StrEnum):
    """Where a suggestion comes from: the codebook's keywords, or a model trained on a
    coder's decisions (:mod:`qualkit.suggest.learn`)."""

    KEYWORD = "keyword"
    LEARNED = "learned"


@dataclass(frozen=True)
class Participant:
    """A pseudonymous speaker; attributes come from ``participants.csv``."""

    name: str
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def role(self) -> str:
        return self.attributes.get("role", "")


@dataclass(frozen=True)
class Transcript:
    """One source document as normalised text (line endings and Unicode normalised once)."""

    id: int
    name: str
    text: str
    sha256: str
    source: str
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Turn:
    """One speaker's contiguous talk; ``start``/``end`` span the talk, not the label."""

    transcript_id: int
    index: int
    speaker: str
    start: int
    end: int
    timestamp: str | None = None


@dataclass(frozen=True)
class Segment:
    """The unit of coding. ``text == transcript.text[start:end]`` always holds."""

    id: int
    transcript_id: int
    turn_index: int
    index: int
    start: int
    end: int
    text: str
    speaker: str


@dataclass(frozen=True)
class Code:
    """A codable category of a codebook, with what a coder needs to apply it consistently."""

    id: str
    name: str
    theme_id: str
    definition: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    color: str | None = None
    # spaCy token patterns for what keywords cannot express, each as JSON text (a list of
    # token dicts: ``json.loads`` it for ``Matcher.add``); text keeps the record hashable.
    patterns: tuple[str, ...] = ()
    # A sub-code's parent code; None for a code directly under its theme.
    parent_id: str | None = None
    # Earlier ids of this code: codings made under them count as this code.
    renamed_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class Theme:
    """A grouping of codes; themes themselves are not codable.

    ``codes`` lists every code of the theme, sub-codes included, in reading order (a parent
    before its sub-codes), so code that only needs the codable categories can ignore nesting.
    """

    id: str
    name: str
    definition: str = ""
    codes: tuple[Code, ...] = ()
    color: str | None = None


@dataclass(frozen=True)
class Codebook:
    """A deductive codebook; ``version`` is the hash of its content and is its identity."""

    name: str
    version: str
    label: str
    unit: Unit
    themes: tuple[Theme, ...]
    description: str = ""
    authors: tuple[str, ...] = ()

    @property
    def codes(self) -> tuple[Code, ...]:
        return tuple(code for theme in self.themes for code in theme.codes)

    def code(self, code_id: str) -> Code:
        for code in self.codes:
            if code.id == code_id:
                return code
        raise KeyError(code_id)


@dataclass(frozen=True)
class Evidence:
    """Why a code was suggested: the codebook term and the words it matched.

    ``negated`` marks a match under a negation ("I didn't feel confident"); ``context``
    marks a match in a neighbouring sentence of the same turn rather than the segment.
    """

    term: str
    matched: str
    kind: MatchKind
    start: int
    end: int
    negated: bool = False
    context: bool = False


@dataclass(frozen=True)
class Suggestion:
    """A machine proposal for one code on one segment. Never counted as coding."""

    segment_id: int
    code_id: str
    score: float
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class LearnedSuggestion:
    """A proposal by the model trained on ``coder``'s decisions. Never counted as coding.

    ``probability`` is the model's, for this code on this segment; ``features`` are the
    (name, weight) of the features that weighed most for it here; ``similar`` the ids of
    the segments the coder gave this code that read most like this one.
    """

    segment_id: int
    code_id: str
    coder: str
    probability: float
    features: tuple[tuple[str, float], ...] = ()
    similar: tuple[int, ...] = ()

    @property
    def kind(self) -> SuggestionKind:
        return SuggestionKind.LEARNED


@dataclass(frozen=True)
class CodingEvent:
    """One entry of the append-only coding log: who decided what, when, and how."""

    segment_id: int
    coder: str
    action: CodingAction
    code_id: str | None
    codebook_version: str
    origin: str
    at: datetime
    memo: str | None = None


@dataclass(frozen=True)
class CodedSpan:
    """The exact characters a coder coded in another tool (a REFI-QDA selection), kept
    beside the segment codings derived from it so an export writes the same span back.

    ``start``/``end`` are code points into the normalised text, end exclusive; the span
    may cover a speaker label, a header or text outside any segment."""

    transcript_id: int
    start: int
    end: int
    coder: str
    code_id: str
    codebook_version: str
    origin: str
    at: datetime


@dataclass(frozen=True)
class Coding:
    """A coder's current decision on a segment, derived from the event log.

    ``codes`` empty means "reviewed, none apply"; a segment with no :class:`Coding` for a
    coder was not reviewed by that coder.
    """

    segment_id: int
    coder: str
    codes: frozenset[str]


@dataclass(frozen=True)
class SegmentNote:
    """One entry of the note log: a memo or an illustrative-quote mark, by a coder."""

    segment_id: int
    coder: str
    kind: NoteKind
    value: str
    at: datetime
