"""The privacy gate: identifiable data is stopped before it reaches the store.

Transcripts are meant to arrive pseudonymised. The gate looks for what slips through most
often — e-mail addresses, phone numbers, and speakers missing from the roster (usually a
real name used as a label) — and reports where (line, column and kind), never what: the
finding itself is the identifiable data.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from qualkit.model import Turn

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
PHONE = re.compile(r"(?<![\w:])(?:\+\d{1,3}[ .-]?)?(?:\(?\d{2,4}\)?[ .-]?){2,4}\d{3,4}(?![\w:])")


@dataclass(frozen=True)
class Finding:
    kind: str
    line: int
    column: int


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def scan(text: str, turns: Sequence[Turn], roster: Collection[str]) -> list[Finding]:
    """Every suspected identifier, in text order."""
    found: list[tuple[int, str]] = []
    for pattern, kind in ((EMAIL, "an e-mail address"), (PHONE, "a phone number")):
        for match in pattern.finditer(text):
            digits = sum(ch.isdigit() for ch in match.group())
            if kind == "a phone number" and digits < 8:
                continue
            found.append((match.start(), kind))
    if roster:
        for turn in turns:
            if turn.speaker not in roster:
                label = text.rfind(turn.speaker, 0, turn.start)
                found.append((max(label, 0), "a speaker missing from participants.csv"))
    return [Finding(kind, *_line_col(text, offset)) for offset, kind in sorted(found)]
