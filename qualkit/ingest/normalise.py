"""Bytes to the one normalised text every offset points into.

Line endings and Unicode composition are normalised exactly once, before anything is
stored: a transcript saved on Windows (CRLF) and the same one saved on a Mac must give the
same offsets, or REFI-QDA selections shift by a character per line.
"""

from __future__ import annotations

import codecs
import hashlib
import unicodedata
from pathlib import Path

from qualkit.errors import FileError


def decode(data: bytes, path: Path, encoding: str | None = None) -> str:
    """Decode with a BOM when there is one, else UTF-8, else Windows-1252."""
    if encoding:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise FileError(path, f"cannot be read as {encoding} ({exc.__class__.__name__}); "
                                  "check --encoding") from None
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
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileError(path, f"cannot be read ({exc.strerror})") from None
    return normalise(decode(data, path, encoding)), hashlib.sha256(data).hexdigest()
