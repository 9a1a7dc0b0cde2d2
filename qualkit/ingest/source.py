"""What every reader returns: one transcript as normalised text, its turns, and the way
back from an offset to a place in the original file.

Structured formats (captions, Word, spreadsheets) are rendered into the same plain shape
a researcher would type — ``[00:01:23] Speaker: talk``, one turn per paragraph — so the
stored text reads the same whatever the source was, and offsets point into it. The
:class:`Locator` maps an offset back to the line, paragraph or row of the original file,
which is what a privacy finding must name for the researcher to fix it there.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from qualkit.model import Turn


@dataclass(frozen=True)
class ReadOptions:
    """How to read transcript files; every field maps to an option of ``qualkit import``."""

    encoding: str | None = None
    speaker_pattern: str | None = None
    no_speakers: bool = False
    speaker_column: str | None = None
    text_column: str | None = None


@dataclass(frozen=True)
class Place:
    """Where in the original file: ``unit`` is line, paragraph or row."""

    line: int
    column: int | None = None
    unit: str = "line"

    def describe(self, path: str) -> str:
        if self.unit == "line":
            return f"{path}:{self.line}" + (f":{self.column}" if self.column else "")
        return f"{path} ({self.unit} {self.line})"


class Locator:
    """Offsets of the normalised text to places in the file it was read from."""

    def __init__(self, text: str, unit: str = "line",
                 marks: list[tuple[int, int]] | None = None) -> None:
        self.text = text
        self.unit = unit
        self.marks = marks  # (offset in text, line/paragraph/row in the file); None: same

    def place(self, offset: int) -> Place:
        if self.marks is None:
            line = self.text.count("\n", 0, offset) + 1
            column = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
            return Place(line, column if self.unit == "line" else None, self.unit)
        i = bisect.bisect_right(self.marks, (offset, float("inf"))) - 1
        return Place(self.marks[max(i, 0)][1] if self.marks else 1, None, self.unit)


@dataclass(frozen=True)
class Source:
    """One transcript read from a file, before segmentation."""

    path: Path
    format: str
    text: str
    sha256: str
    turns: tuple[Turn, ...]
    locator: Locator
    labelled: bool = True
    """False for one-voice text (``--no-speakers``): no speaker labels to check."""
    style: str = ""
    participants: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Attributes of speakers found in the file itself (spreadsheet columns)."""
    concerns: tuple[Concern, ...] = ()
    """What looked odd but plausible in the reading (see :mod:`qualkit.ingest.verify`)."""


@dataclass(frozen=True)
class Concern:
    """Something odd in a file's reading, kept as a line and a count, never its text."""

    line: int | None
    what: str


def clean(text: str) -> str:
    """A piece of talk from a structured file: NFC, no line breaks, single-spaced."""
    return " ".join(unicodedata.normalize("NFC", text).split())


class Builder:
    """Renders turns into plain transcript text, keeping offsets and source places."""

    def __init__(self, unit: str = "line") -> None:
        self.parts: list[str] = []
        self.length = 0
        self.turns: list[Turn] = []
        self.marks: list[tuple[int, int]] = []
        self.unit = unit

    def _write(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def add(self, speaker: str, pieces: list[tuple[str, int]], timestamp: str | None = None,
            joiner: str = " ", show_speaker: bool = True) -> None:
        """One turn from pieces of talk, each with the line/paragraph/row it came from."""
        pieces = [(clean(t), where) for t, where in pieces]
        pieces = [(t, where) for t, where in pieces if t]
        if not pieces:
            return
        speaker = clean(speaker)
        if self.parts:
            self._write("\n\n")
        self.marks.append((self.length, pieces[0][1]))
        label = f"{speaker}: " if speaker and show_speaker else ""
        self._write((f"[{timestamp}] " if timestamp else "") + label)
        start = self.length
        for i, (talk, where) in enumerate(pieces):
            if i:
                self._write(joiner)
            self.marks.append((self.length, where))
            self._write(talk)
        self.turns.append(Turn(0, len(self.turns), speaker, start, self.length, timestamp))

    def source(self, path: Path, fmt: str, sha256: str, *, labelled: bool = True,
               participants: Mapping[str, Mapping[str, str]] | None = None) -> Source:
        text = "".join(self.parts) + "\n"
        return Source(path=path, format=fmt, text=text, sha256=sha256, turns=tuple(self.turns),
                      locator=Locator(text, self.unit, self.marks), labelled=labelled,
                      participants=participants or {})
