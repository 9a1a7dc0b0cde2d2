"""What the tagging screen shows, as plain records: the session fills them, the terminal UI
(and the adjudication walk) draws them, and neither needs the other to be read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from qualkit.model import Code, Evidence, Segment


@dataclass(frozen=True)
class Filters:
    """Which segments the session walks through; all empty means every segment."""

    transcript: str | None = None
    code: str | None = None  # suggested for the segment, or applied by this coder
    suggested_only: bool = False

    def describe(self) -> str:
        parts = []
        if self.transcript:
            parts.append(f"transcript {self.transcript}")
        if self.code:
            parts.append(f"code {self.code}")
        if self.suggested_only:
            parts.append("suggested only")
        return ", ".join(parts)


@dataclass(frozen=True)
class CodeLine:
    """One numbered code as the screen lists it."""

    number: int
    code: Code
    ticked: bool
    suggested: bool
    score: float = 0.0
    evidence: tuple[Evidence, ...] = ()
    others: tuple[str, ...] = ()  # coders (shown only when not blind) who applied it
    learned: float | None = None  # the probability, if this coder's model suggests it
    needs_examples: bool = False  # this coder's model abstains on the code


@dataclass(frozen=True)
class TurnView:
    speaker: str
    before: str  # the turn's text before the segment ("" for context turns)
    segment: str  # the segment itself ("" for context turns)
    after: str  # the turn's text after the segment (the whole text of a context turn)


@dataclass(frozen=True)
class View:
    """Everything the screen shows for the current segment."""

    segment: Segment
    transcript: str
    group: str
    position: int  # 1-based, in the filtered queue
    total: int
    reviewed: int  # segments of the queue this coder has reviewed
    previous_turn: TurnView | None
    turn: TurnView
    next_turn: TurnView | None
    codes: tuple[CodeLine, ...]
    decided: bool
    pending: bool  # ticks shown are preselected suggestions, not yet a decision
    memo: str
    quote: bool
    others: Mapping[str, frozenset[str] | None] = field(default_factory=dict)
    others_memos: Mapping[str, str] = field(default_factory=dict)  # non-empty memos only
