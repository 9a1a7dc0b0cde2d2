"""Speaker-labelled plain text to turns.

Transcripts label speakers in many shapes; qualkit recognises two families and picks one
per file by counting which fits more lines:

- **inline**: the label starts the line and the talk follows a colon —
  ``P3: …``, ``NAME: …``, ``[00:01:23] P3: …``, ``P3 (00:01:23): …``, ``(00:10) MODERATOR: …``;
  a label with nothing after the colon (``Interviewer:``) starts a turn whose talk is on
  the lines below;
- **header**: the speaker alone on a line, the talk below — ``INTERVIEWER``,
  ``P3 (00:01:23)``, or Otter's ``Speaker Name  0:04``.

Lines without a label continue the current turn. Turn offsets span the talk only, so a
segment never includes the speaker label. ``--speaker-pattern`` replaces the built-in
labels with the user's regex (a named group ``speaker``, optionally ``ts``); one-voice text
(``--no-speakers``) becomes one turn per paragraph.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qualkit.errors import FileError, QualkitError
from qualkit.model import Turn

TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?"
NAME = r"[^\W\d_][\w'\u2019.-]*(?: [^\W_][\w'\u2019.-]*){0,3}"
_STAMP_BEFORE = rf"(?:[\[(](?P<ts>{TS})[\])][ \t]*)?"

INLINE = re.compile(
    rf"^[ \t]*{_STAMP_BEFORE}(?P<speaker>{NAME})(?:[ \t]*[\[(](?P<ts2>{TS})[\])])?[ \t]*:"
    r"(?:[ \t]+(?=\S)|[ \t]*$)")
HEADER = re.compile(
    rf"^[ \t]*{_STAMP_BEFORE}(?P<speaker>{NAME})"
    rf"(?:[ \t]*(?:[\[(](?P<ts2>{TS})[\])]|[ \t](?P<ts3>{TS})))?[ \t]*$")
ROLES = frozenset({"interviewer", "moderator", "facilitator", "respondent", "interviewee",
                   "participant", "researcher", "speaker"})


@dataclass(frozen=True)
class Label:
    """A label found on one line: who speaks, when, and where on the line the talk starts
    (``None`` when the talk is on the lines below)."""

    speaker: str
    timestamp: str | None
    talk: int | None


def _capitalised(speaker: str) -> bool:
    words = speaker.split(" ")
    return words[0][0].isupper() and all(w[0].isupper() or w[0].isdigit() for w in words)


def _inline(line: str) -> Label | None:
    match = INLINE.match(line)
    if not match or not _capitalised(match["speaker"]):
        return None
    rest = match.end()
    return Label(match["speaker"], match["ts"] or match["ts2"],
                 rest if rest < len(line.rstrip()) else None)


def _header(line: str) -> Label | None:
    match = HEADER.match(line)
    if not match or not _capitalised(match["speaker"]):
        return None
    return Label(match["speaker"], match["ts"] or match["ts2"] or match["ts3"], None)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """(offset of the line, line) without copying the text into a list."""
    start = 0
    while start <= len(text):
        end = text.find("\n", start)
        if end == -1:
            end = len(text)
        yield start, text[start:end]
        start = end + 1


def _header_labels(text: str) -> dict[int, Label]:
    """Header candidates that look like labels, by line number.

    A header stands after a blank line (or first) and before talk; it counts when it has a
    timestamp, a role name, or a speaker who appears more than once — a lone short line
    such as "Yes." is talk, not a speaker.
    """
    lines = [line for _, line in _lines(text)]
    found: dict[int, Label] = {}
    for i, line in enumerate(lines):
        if i + 1 >= len(lines) or not lines[i + 1].strip():
            continue
        if i > 0 and lines[i - 1].strip() and i - 1 not in found:
            continue
        label = _header(line)
        if label:
            found[i] = label
    counts = Counter(label.speaker for label in found.values())
    return {i: label for i, label in found.items()
            if label.timestamp or counts[label.speaker] > 1
            or label.speaker.split(" ")[0].casefold() in ROLES}


class Labeller:
    """Which lines start a turn, decided once per file."""

    def __init__(self, text: str, path: Path, pattern: str | None = None) -> None:
        self.path = path
        self.pattern: re.Pattern[str] | None = None
        self.headers: dict[int, Label] = {}
        self.inline: dict[int, Label] = {}
        self.style = "inline"
        if pattern is not None:
            self.pattern = compile_pattern(pattern)
            self.style = "pattern"
            return
        # Each line's inline label is found once, here, and reused by label().
        self.inline = {number: label for number, (_, line) in enumerate(_lines(text))
                       if (label := _inline(line)) is not None}
        headers = _header_labels(text)
        if len(headers) > len(self.inline):
            self.style, self.headers = "header", headers

    def label(self, number: int, line: str) -> Label | None:
        """The label on line ``number`` (counted from 0) of the text given to __init__."""
        if self.pattern is not None:
            match = self.pattern.match(line)
            if not match or not match["speaker"] or not match["speaker"].strip():
                return None
            groups = match.groupdict()
            ts = groups.get("ts") or groups.get("timestamp")
            if groups.get("talk") is not None:
                talk: int | None = match.start("talk") if match["talk"].strip() else None
            else:
                rest = match.end()
                while rest < len(line) and line[rest].isspace():
                    rest += 1
                talk = rest if rest < len(line.rstrip()) else None
            return Label(match["speaker"].strip(), ts, talk)
        if self.style == "header":
            return self.headers.get(number)
        return self.inline.get(number)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise QualkitError(f"--speaker-pattern is not a valid regular expression ({exc})"
                           ) from None
    if "speaker" not in compiled.groupindex:
        raise QualkitError("--speaker-pattern needs a named group for the speaker, for "
                           "example '^(?P<speaker>[A-Z]+): '")
    return compiled


def parse_turns(text: str, path: Path, transcript_id: int = 0, *,
                pattern: str | None = None) -> list[Turn]:
    """Turns of a speaker-labelled text; a :class:`FileError` when no label is found."""
    return read_turns(text, path, transcript_id, pattern=pattern)[0]


def read_turns(text: str, path: Path, transcript_id: int = 0, *,
               pattern: str | None = None) -> tuple[list[Turn], str]:
    """Turns and the label style found ("inline", "header" or "pattern")."""
    labeller = Labeller(text, path, pattern)
    turns: list[Turn] = []
    current: list = []  # [speaker, timestamp, start, end] of the open turn

    def close() -> None:
        if current and current[3] > current[2]:
            turns.append(Turn(transcript_id=transcript_id, index=len(turns),
                              speaker=current[0], start=current[2], end=current[3],
                              timestamp=current[1]))

    for number, (offset, line) in enumerate(_lines(text)):
        label = labeller.label(number, line)
        if label is not None:
            close()
            talk = offset + (label.talk if label.talk is not None else len(line))
            end = offset + len(line.rstrip()) if label.talk is not None else talk
            current[:] = [label.speaker, label.timestamp, talk, end]
        elif line.strip() and current:
            if current[3] == current[2]:  # the talk of a header label starts here
                current[2] = offset + len(line) - len(line.lstrip())
            current[3] = offset + len(line.rstrip())
    close()
    if not turns:
        how = ("no line matches --speaker-pattern" if pattern is not None else
               "no speaker labels found; start each turn with `Speaker: talk` (for example "
               "`P07: I think…`), pass --speaker-pattern, or --no-speakers for one-voice text")
        raise FileError(path, how, line=1)
    return turns, labeller.style


def paragraph_turns(text: str, speaker: str, transcript_id: int = 0) -> list[Turn]:
    """One-voice text: each paragraph (lines up to a blank line) is a turn of ``speaker``."""
    turns: list[Turn] = []
    start: int | None = None
    end = 0
    for offset, line in _lines(text):
        if line.strip():
            if start is None:
                start = offset + len(line) - len(line.lstrip())
            end = offset + len(line.rstrip())
        elif start is not None:
            turns.append(Turn(transcript_id, len(turns), speaker, start, end))
            start = None
    if start is not None:
        turns.append(Turn(transcript_id, len(turns), speaker, start, end))
    return turns
