"""Speaker-labelled plain text to turns.

Transcripts label speakers in many shapes; qualkit recognises two families and picks one
per file by counting which fits more lines:

- **inline**: the label starts the line and the talk follows a colon —
  ``P3: …``, ``NAME: …``, ``[00:01:23] P3: …``, ``P3 (00:01:23): …``, ``(00:10) MODERATOR: …``,
  ``00:19 PARTICIPANT 12:`` (a transcription service's time, then the label);
  a label with nothing after the colon (``Interviewer:``) starts a turn whose talk is on
  the lines below; lower-case one-word labels (``therapist:``) count when they recur;
- **header**: the speaker alone on a line, the talk below — ``INTERVIEWER``,
  ``P3 (00:01:23)``, ``00:19 PARTICIPANT 12``, or Otter's ``Speaker Name  0:04``.

Whichever style a file mostly uses, a label of the other style naming one of its speakers
counts too. A line holding only a time is no talk: its time goes to the next label. The
headings transcription services put above a transcript (``SUMMARY KEYWORDS``,
``SPEAKERS``) and interjections (``Okay``, ``Hello``) are never labels.

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
_STAMP_BEFORE = (rf"(?:(?:[\[(](?P<ts>{TS})[\])]|(?P<tsb>{TS})(?=[ \t]))"
                 r"[ \t]*(?:[-\u2013|][ \t]*)?)?")
TIME_ONLY = re.compile(rf"^[ \t]*[\[(]?(?P<ts>{TS})[\])]?[ \t]*$")

INLINE = re.compile(
    rf"^[ \t]*{_STAMP_BEFORE}(?P<speaker>{NAME})(?:[ \t]*[\[(](?P<ts2>{TS})[\])])?[ \t]*:"
    r"(?:[ \t]+(?=\S)|[ \t]*$)")
HEADER = re.compile(
    rf"^[ \t]*{_STAMP_BEFORE}(?P<speaker>{NAME})"
    rf"(?:[ \t]*(?:[\[(](?P<ts2>{TS})[\])]|[ \t](?P<ts3>{TS})))?[ \t]*$")
ROLES = frozenset({"interviewer", "moderator", "facilitator", "respondent", "interviewee",
                   "participant", "researcher", "speaker"})
NOT_LABELS = frozenset({
    # Headings of transcription services' exports (Otter, Rev, Trint, …): above the talk.
    "summary keywords", "keywords", "summary", "speakers", "transcript", "transcription",
    "interview", "interview transcript", "action items", "outline", "notes", "abstract",
    "contents", "page",
    # Talk that stands alone on a line or before a colon: never a speaker.
    "okay", "ok", "yes", "yeah", "yep", "no", "nope", "right", "sure", "so", "well", "hmm",
    "mhm", "mm", "um", "uh", "erm", "ah", "oh", "alright", "thanks", "thank you", "hi",
    "hello", "hey", "welcome", "good", "great", "exactly", "absolutely", "indeed", "true",
    "sorry", "please", "anyway", "actually", "basically",
    "note"})
"""First words (or whole labels) that make a line talk or a heading, not a speaker."""
GREETINGS = re.compile(
    r"^(?:hi|hello|hey|welcome|thanks|thank you|good (?:morning|afternoon|evening|day)"
    r"|dear|okay|ok|so|well|yes|yeah|right|alright|um|uh|sorry|please)\b", re.IGNORECASE)
SERVICE_HEADINGS = frozenset({"summary keywords", "keywords", "speakers", "action items",
                              "outline", "summary"})
"""Headings of the block a transcription service (Otter, …) puts above the talk."""
PREAMBLE_LINES = 40
"""How far down the headings of that block are looked for."""
MIN_LOWER = 3
"""A lower-case label (``client:``) counts when it starts at least this many lines."""


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


def lower_label(speaker: str) -> bool:
    """``client``, ``interviewer 2``: a lower-case label, counted only when it recurs."""
    words = speaker.split(" ")
    return (len(words) <= 2 and words[0].isalpha() and words[0].islower()
            and all(w.isdigit() for w in words[1:]))


def not_a_label(speaker: str) -> bool:
    """A heading or a piece of talk that has the shape of a label."""
    folded = speaker.casefold().rstrip(".")
    words = folded.split(" ")
    return (folded in NOT_LABELS or words[0] in NOT_LABELS
            # A sentence ends inside it (``Sorry. Capacity``), not an abbreviation
            # (``Dr.``, ``Prof.``).
            or any(w.endswith(".") and len(w) > 5 for w in words[:-1])
            or bool(GREETINGS.match(folded))
            # Redacted talk (``XXXXXXX XXXX``): words of one letter repeated.
            or all(len(set(w)) == 1 and len(w) > 2 for w in words))


def inline_label(line: str, lower: bool = False) -> Label | None:
    match = INLINE.match(line)
    if not match:
        return None
    speaker = match["speaker"]
    if not (_capitalised(speaker) or (lower and lower_label(speaker))) or not_a_label(speaker):
        return None
    rest = match.end()
    return Label(speaker, match["ts"] or match["tsb"] or match["ts2"],
                 rest if rest < len(line.rstrip()) else None)


def header_label(line: str) -> Label | None:
    match = HEADER.match(line)
    if not match or not _capitalised(match["speaker"]) or not_a_label(match["speaker"]):
        return None
    if match["speaker"][-1] in ".,;!?":  # "Yes." on its own line is talk
        return None
    return Label(match["speaker"], match["ts"] or match["tsb"] or match["ts2"] or match["ts3"],
                 None)


def strong_label(label: Label) -> bool:
    """A header that needs no blank line before it: it has a time, is in capitals, is a
    role name or a code with a number (``P09``, ``Speaker 2``) — never plain talk."""
    speaker = label.speaker
    letters = [c for c in speaker if c.isalpha()]
    return bool(label.timestamp or (len(letters) > 1 and speaker.isupper())
                or speaker.split(" ")[0].casefold() in ROLES
                or any(c.isdigit() for c in speaker))


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """(offset of the line, line) without copying the text into a list."""
    start = 0
    while start <= len(text):
        end = text.find("\n", start)
        if end == -1:
            end = len(text)
        yield start, text[start:end]
        start = end + 1


def preamble_end(lines: list[str]) -> int:
    """Lines before this one are a transcription service's header block (title, date,
    ``SUMMARY KEYWORDS``, ``SPEAKERS`` and the paragraph under each): no labels, no
    talk. 0 when the file has no such block."""
    last = None
    for i, line in enumerate(lines[:PREAMBLE_LINES]):
        if line.strip().rstrip(":").casefold() in SERVICE_HEADINGS:
            last = i
    if last is None:
        return 0
    i = last + 1
    while i < len(lines) and not lines[i].strip():
        i += 1  # the heading's paragraph may follow a blank line
    while i < len(lines) and lines[i].strip():
        i += 1
    return i


def _header_labels(text: str) -> dict[int, Label]:
    """Header candidates that look like labels, by line number.

    A header stands before talk, after a blank line, a line holding only a time, or the
    first line (a header in capitals, with a time, a role name or a number may follow talk
    directly, as in transcripts without blank lines); it counts when it has a timestamp, a
    role name, or a speaker who appears more than once — a lone short line such as "Yes."
    is talk, not a speaker.
    """
    lines = [line for _, line in _lines(text)]
    found: dict[int, Label] = {}
    for i, line in enumerate(lines[preamble_end(lines):], start=preamble_end(lines)):
        if i + 1 >= len(lines) or not lines[i + 1].strip():
            continue
        label = header_label(line)
        if label is None:
            continue
        before = lines[i - 1] if i > 0 else ""
        stamp = TIME_ONLY.match(before)
        after = TIME_ONLY.match(lines[i + 1])  # `P04`, then `00:09`, then the talk
        if label.timestamp is None and (stamp or after) is not None:
            label = Label(label.speaker, (stamp or after)["ts"], None)  # type: ignore[index]
        if before.strip() and i - 1 not in found and stamp is None and not strong_label(label):
            continue
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
        lines = [line for _, line in _lines(text)]
        start = preamble_end(lines)
        self.inline = {number: label for number, line in enumerate(lines[start:], start=start)
                       if (label := inline_label(line, lower=True)) is not None}
        lower = Counter(label.speaker for label in self.inline.values()
                        if not _capitalised(label.speaker))
        self.inline = {n: label for n, label in self.inline.items()
                       if _capitalised(label.speaker) or lower[label.speaker] >= MIN_LOWER}
        headers = _header_labels(text)
        if len(headers) > len(self.inline):
            self.style, self.headers = "header", headers
            # The other style's labels that name one of this file's speakers count too
            # (some transcripts mix `NAME:` and `NAME` alone on a line), and so do headers
            # that cannot be talk (a colon forgotten after `PARTICIPANT 18`).
            known = {label.speaker.casefold() for label in headers.values()}
            for n, label in self.inline.items():
                if label.speaker.casefold() in known or strong_label(label):
                    self.headers.setdefault(n, label)
        else:
            known = {label.speaker.casefold() for label in self.inline.values()}
            for n, label in headers.items():
                if label.speaker.casefold() in known or strong_label(label):
                    self.inline.setdefault(n, label)

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

    pending: str | None = None  # the time of a line holding only a time
    for number, (offset, line) in enumerate(_lines(text)):
        label = labeller.label(number, line)
        if label is not None:
            close()
            talk = offset + (label.talk if label.talk is not None else len(line))
            end = offset + len(line.rstrip()) if label.talk is not None else talk
            current[:] = [label.speaker, label.timestamp or pending, talk, end]
            pending = None
        elif (stamp := TIME_ONLY.match(line)) is not None:
            if current and current[2] == current[3] and current[1] is None:
                current[1] = stamp["ts"]  # `PARTICIPANT 12`, then its time, then the talk
            else:
                pending = stamp["ts"]
        elif line.strip() and current:
            pending = None  # a time inside a turn's talk is not the next turn's
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
