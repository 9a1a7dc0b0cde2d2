"""A source's text as qualkit stores it, and the way from the sender's offsets to ours.

qualkit normalises line endings and Unicode composition once, before any offset is stored.
A text from another tool may have CRLF line endings or decomposed accents, and its
selections count code points in *that* text; translating the text without translating the
offsets would shift every selection by a character per line. :func:`normalise_mapped`
returns both the normalised text and, for every offset of the original, the offset of the
same place in the normalised text, so selections keep their exact position.
"""

from __future__ import annotations

import unicodedata

from qualkit.model import Turn


def normalise_mapped(raw: str) -> tuple[str, list[int], bool]:
    """(normalised text, offset map of length ``len(raw) + 1``, NFC applied?).

    An offset inside a CRLF pair maps to after the newline; an offset inside a character
    that NFC composes maps to its start. When composing piecewise would not give the same
    text as NFC of the whole (rare Hangul sequences), the text keeps its composition and
    the third value is False, so the caller can say so.
    """
    parts: list[str] = []
    first = [0] * (len(raw) + 1)
    j = 0
    i = 0
    while i < len(raw):
        first[i] = j
        if raw[i] == "\r":
            parts.append("\n")
            j += 1
            if i + 1 < len(raw) and raw[i + 1] == "\n":
                first[i + 1] = j
                i += 1
        else:
            parts.append(raw[i])
            j += 1
        i += 1
    first[len(raw)] = j
    text = "".join(parts)
    if unicodedata.is_normalized("NFC", text):
        return text, first, True
    target = unicodedata.normalize("NFC", text)
    clusters: list[tuple[int, int]] = []
    start = 0
    for k in range(1, len(text) + 1):
        if k == len(text) or unicodedata.combining(text[k]) == 0:
            clusters.append((start, k))
            start = k
    second = [0] * (len(text) + 1)
    pieces: list[str] = []
    out = 0
    for a, b in clusters:
        piece = unicodedata.normalize("NFC", text[a:b])
        for k in range(a, b):
            second[k] = out
        pieces.append(piece)
        out += len(piece)
    second[len(text)] = out
    if "".join(pieces) != target:
        return text, first, False
    return target, [second[k] for k in first], True


def one_voice(text: str, speaker: str) -> list[Turn]:
    """A source that is not a transcript (no speaker labels: notes, an open answer, a
    table exported one field per line) as one turn over all its text, so every character
    someone coded lies in a turn and the sentence segmenter cuts it like any other.
    Paragraph turns would leave blank lines and the lines between them outside, and a
    selection there would code nothing."""
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    return [Turn(0, 0, speaker, start, end)] if end > start else []


def cut_at_lines(text: str, spans: list[tuple[int, int, int, str]]
                 ) -> list[tuple[int, int, int, str]]:
    """Segments of one-voice text cut at line ends: the sentence segmenter reads a table
    exported one field per line (``Age``, ``34``, ``Comment``, ...) as one sentence, but
    each line of such a file is a field, and each line of prose exported from another
    tool a paragraph."""
    out: list[tuple[int, int, int, str]] = []
    for turn, start, end, speaker in spans:
        at = start
        for piece in text[start:end].split("\n"):
            a = at + len(piece) - len(piece.lstrip())
            b = at + len(piece.rstrip())
            if b > a:
                out.append((turn, a, b, speaker))
            at += len(piece) + 1
    return out
