"""Caption files (WebVTT from Zoom and Teams, SubRip .srt) to turns.

A caption file cuts talk into cues of a few seconds. The speaker is named by a voice tag
(``<v Ana Lee>…</v>``, Teams) or a ``Speaker: text`` prefix (Zoom, most .srt exports);
a cue without either continues the current speaker. Consecutive cues of one speaker merge
into one turn, so segments are sentences, not caption fragments. A turn keeps the start
time of its first cue.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qualkit.errors import FileError
from qualkit.ingest.source import Builder, ReadOptions, Source
from qualkit.ingest.speakers import NAME

STAMP = r"(?:(?P<{0}h>\d+):)?(?P<{0}m>\d{{1,2}}):(?P<{0}s>\d{{2}})[.,](?P<{0}f>\d{{1,3}})"
TIMING = re.compile(rf"^[ \t]*{STAMP.format('a')}[ \t]+-->[ \t]+{STAMP.format('b')}"
                    r"(?:[ \t]+.*)?$")
VOICE = re.compile(r"<v(?:\.[^\s>]+)*(?:[ \t]+(?P<speaker>[^>]*))?>")
TAG = re.compile(r"<[^>]*>")
PREFIX = re.compile(rf"^[ \t]*(?:-[ \t]*)?(?P<speaker>{NAME})[ \t]*:[ \t]+(?=\S)")
NEAR_TIMING = re.compile(r"^[ \t]*\d[\d:.,]*[ \t]*(?:-+>|\u2013|=>|-)")
HEADER = re.compile(r"^WEBVTT(?:[ \t].*)?$")
SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION")


@dataclass(frozen=True)
class _Piece:
    speaker: str | None
    text: str
    line: int
    start: str


def _blocks(lines: list[str], first: int) -> Iterator[tuple[int, list[str]]]:
    """Runs of non-blank lines with the (1-based) number of their first line."""
    block: list[str] = []
    start = first
    for number in range(first, len(lines)):
        if lines[number].strip():
            if not block:
                start = number
            block.append(lines[number])
        elif block:
            yield start + 1, block
            block = []
    if block:
        yield start + 1, block


def _start(match: re.Match[str]) -> str:
    hours = int(match["ah"] or 0)
    return f"{hours:02d}:{int(match['am']):02d}:{int(match['as']):02d}"


def _payload(line: str, number: int, start: str, labelled: bool) -> Iterator[_Piece]:
    """The pieces of one payload line: a voice tag or a prefix may change the speaker."""
    if not labelled:
        yield _Piece(None, html.unescape(TAG.sub("", line)), number, start)
        return
    voices = list(VOICE.finditer(line))
    if voices:
        before = line[:voices[0].start()]
        if TAG.sub("", before).strip():
            yield _Piece(None, html.unescape(TAG.sub("", before)), number, start)
        for i, voice in enumerate(voices):
            end = voices[i + 1].start() if i + 1 < len(voices) else len(line)
            talk = html.unescape(TAG.sub("", line[voice.end():end]))
            yield _Piece((voice["speaker"] or "").strip() or None, talk, number, start)
        return
    text = html.unescape(TAG.sub("", line))
    prefix = PREFIX.match(text)
    if prefix and prefix["speaker"].split(" ")[0][0].isupper():
        yield _Piece(prefix["speaker"], text[prefix.end():], number, start)
    else:
        yield _Piece(None, text, number, start)


def read_captions(path: Path, text: str, sha256: str, fmt: str, options: ReadOptions,
                  voice: str) -> Source:
    """Turns of a .vtt or .srt file; ``voice`` names the speaker of one-voice captions."""
    lines = text.split("\n")
    first = 0
    if fmt == "vtt":
        if not HEADER.match(lines[0].strip()):
            raise FileError(path, "does not start with WEBVTT; is it a WebVTT file? Save it "
                                  "as .srt or .txt if it is not", line=1)
        first = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    labelled = not options.no_speakers
    pieces: list[_Piece] = []
    for number, block in _blocks(lines, first):
        if fmt == "vtt" and block[0].split(" ")[0].split("\t")[0] in SKIPPED_BLOCKS:
            continue
        timing = 0 if "-->" in block[0] else 1 if len(block) > 1 and "-->" in block[1] else -1
        if timing < 0:
            near = next((k for k, line in enumerate(block[:2]) if NEAR_TIMING.match(line)),
                        None)
            if near is not None:
                raise FileError(path, "broken cue timing; expected "
                                      "`00:00:01.000 --> 00:00:04.000`", line=number + near)
            raise FileError(path, "a cue without a timing line; each cue needs "
                                  "`00:00:01.000 --> 00:00:04.000` (check for a missing "
                                  "blank line between cues)", line=number)
        match = TIMING.match(block[timing])
        if not match:
            raise FileError(path, "broken cue timing; expected "
                                  "`00:00:01.000 --> 00:00:04.000`", line=number + timing)
        for k, line in enumerate(block[timing + 1:], start=number + timing + 1):
            pieces.extend(_payload(line, k, _start(match), labelled))
    return _merge(path, pieces, fmt, sha256, labelled, voice)


def _merge(path: Path, pieces: list[_Piece], fmt: str, sha256: str, labelled: bool,
           voice: str) -> Source:
    builder = Builder()
    if labelled:
        unlabelled = next((p for p in pieces if p.text.strip()), None)
        if unlabelled is not None and unlabelled.speaker is None:
            if not any(p.speaker for p in pieces):
                raise FileError(path, "no speaker labels found in its cues (`<v Speaker>` or "
                                      "`Speaker: text`); pass --no-speakers for one-voice "
                                      "captions", line=unlabelled.line)
            raise FileError(path, "a cue without a speaker before the first labelled one; "
                                  "label it (`Speaker: text`) or pass --no-speakers",
                            line=unlabelled.line)
    speaker: str | None = None
    turn: list[tuple[str, int]] = []
    started = ""
    for piece in pieces:
        who = (piece.speaker or speaker) if labelled else voice
        if who != speaker and turn:
            builder.add(speaker or voice, turn, started, show_speaker=labelled)
            turn = []
        if not turn:
            started = piece.start
        speaker = who
        turn.append((piece.text, piece.line))
    if turn:
        builder.add(speaker or voice, turn, started, show_speaker=labelled)
    if not builder.turns:
        raise FileError(path, "has no cues with text; nothing to import")
    return builder.source(path, fmt, sha256, labelled=labelled)
