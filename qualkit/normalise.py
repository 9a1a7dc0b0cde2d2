"""Bytes to the one normalised text every offset points into.

Line endings and Unicode composition are normalised exactly once, before anything is
stored: a transcript saved on Windows (CRLF) and the same one saved on a Mac must give the
same offsets, or REFI-QDA selections shift by a character per line.

Transcripts are checked harder than other text files (:func:`read_transcript_text`):
an empty file, a binary file, bytes no supported encoding can read, or one enormous line
are refused with a message that names the file, because importing them would store
garbage that someone later codes.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from pathlib import Path

from qualkit.errors import FileError

MAX_LINE_CHARS = 1_000_000
"""Longest line a transcript may have. A real paragraph is a few thousand characters; a
longer line is a file that is not a transcript (a dump, minified data)."""

_SIGNATURES = (
    (b"%PDF", "a PDF file; give it the suffix .pdf, or save the transcript as .txt"),
    (b"PK\x03\x04", "a zip archive (a Word or Excel file with the wrong suffix?); "
                    "give it the suffix .docx or .xlsx"),
    (b"\xd0\xcf\x11\xe0", "an old binary Word/Excel file; save it as .docx or .xlsx"),
    (b"{\\rtf", "an RTF file; save it as .docx or .txt"),
)
_CONTROL = frozenset(chr(c) for c in range(32) if chr(c) not in "\t\n\r\f\v")
_CONTROLS = re.compile("[" + "".join(re.escape(ch) for ch in sorted(_CONTROL)) + "]")


def decode(data: bytes, path: Path, encoding: str | None = None) -> str:
    """Decode with a BOM when there is one, else UTF-8, else Windows-1252."""
    if encoding:
        try:
            return data.decode(encoding)
        except LookupError:
            raise FileError(path, f"unknown encoding {encoding!r}; pass an encoding Python "
                                  "knows, such as utf-8, utf-16, cp1252 or latin-1") from None
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise FileError(path, f"cannot be read as {encoding} (byte 0x{data[exc.start]:02x}"
                                  "); check --encoding", line=line) from None
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def read_text(path: Path, encoding: str | None = None) -> tuple[str, str]:
    """The normalised text of a file and the SHA-256 of its bytes."""
    data = read_bytes(path)
    return normalise(decode(data, path, encoding)), hashlib.sha256(data).hexdigest()


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FileError(path, f"cannot be read ({exc.strerror})") from None


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when every other byte of mostly-ASCII text is zero."""
    even, odd = head[0::2], head[1::2]
    if len(head) < 4:
        return None
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def decode_transcript(data: bytes, path: Path, encoding: str | None = None) -> str:
    """Strict decoding for transcripts: refuse binary data and undecodable bytes."""
    if not data.strip():
        raise FileError(path, "is empty; nothing to import")
    if not encoding:
        for magic, what in _SIGNATURES:
            if data.startswith(magic):
                raise FileError(path, f"is {what}")
        bom = data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        if not bom and b"\x00" in data[:8192]:
            encoding = _utf16_without_bom(data[:8192])
            if encoding is None:
                raise FileError(path, "is a binary file, not text; export the transcript "
                                      "as .txt, .vtt, .srt, .docx, .csv or .xlsx")
    if encoding:
        text = decode(data, path, encoding)
    elif data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = decode(data, path)
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise FileError(path, "has bytes that are not valid for its byte-order mark; "
                                  "pass --encoding", line=line) from None
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError as cp1252:
                line = data.count(b"\n", 0, cp1252.start) + 1
                raise FileError(path, f"is not UTF-8, UTF-16 or Windows-1252 text (byte "
                                      f"0x{data[cp1252.start]:02x}); pass --encoding, for "
                                      "example --encoding latin-1", line=line) from None
    sample = text[:65536]
    controls = len(_CONTROLS.findall(sample))  # one scan (a str.count per character was 27)
    if "\x00" in sample or controls > max(2, len(sample) // 200):
        raise FileError(path, "is a binary file, not text; export the transcript as .txt, "
                              ".vtt, .srt, .docx, .csv or .xlsx")
    return text


def check_lines(text: str, path: Path) -> None:
    """Refuse a text with a line too long to be a paragraph of talk."""
    start, number = 0, 1
    while True:
        end = text.find("\n", start)
        stop = len(text) if end == -1 else end
        if stop - start > MAX_LINE_CHARS:
            raise FileError(path, f"has a line of {stop - start:,} characters (qualkit reads "
                                  f"at most {MAX_LINE_CHARS:,}); is it a transcript? Break "
                                  "it into paragraphs", line=number)
        if end == -1:
            return
        start, number = end + 1, number + 1


def read_transcript_text(path: Path, encoding: str | None = None) -> tuple[str, str]:
    """A plain-text transcript's normalised text and the SHA-256 of its bytes."""
    data = read_bytes(path)
    text = normalise(decode_transcript(data, path, encoding))
    if not text.strip():
        raise FileError(path, "is empty; nothing to import")
    check_lines(text, path)
    return text, hashlib.sha256(data).hexdigest()
