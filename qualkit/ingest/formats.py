"""Which reader a transcript file needs, by its suffix (and, for text, its first line)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from qualkit.errors import FileError
from qualkit.ingest.source import Concern, Locator, ReadOptions, Source
from qualkit.ingest.speakers import paragraph_turns, read_turns
from qualkit.ingest.verify import advice, check_reading, guess_style
from qualkit.normalise import read_bytes, read_transcript_text

FORMATS = {".txt": "text", ".text": "text", ".md": "text", ".vtt": "vtt", ".srt": "srt",
           ".docx": "docx", ".pdf": "pdf", ".csv": "csv", ".tsv": "csv", ".xlsx": "xlsx"}
"""Suffix to format; every other suffix is refused with the list of these."""

_ADVICE = {".doc": "an old Word file; save it as .docx",
           ".xls": "an old Excel file; save it as .xlsx",
           ".rtf": "an RTF file; save it as .docx or .txt"}


def transcript_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    known = ", ".join(sorted({s for s in FORMATS if s not in (".text", ".md", ".tsv")}))
    what = _ADVICE.get(suffix, f"an unknown format ({suffix or 'no suffix'})")
    raise FileError(path, f"is {what}; qualkit reads {known}")


def file_digest(path: Path) -> str:
    """SHA-256 of the file's bytes: the identity that says whether it changed."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise FileError(path, f"cannot be read ({exc.strerror})") from None
    return digest.hexdigest()


def read_source(path: Path, options: ReadOptions | None = None) -> Source:
    """Read one transcript file of any supported format into text and turns."""
    options = options or ReadOptions()
    fmt = transcript_format(path)
    voice = path.stem
    if fmt in ("text", "vtt", "srt"):
        text, digest = read_transcript_text(path, options.encoding)
        if fmt == "text" and text.lstrip().startswith("WEBVTT"):
            fmt = "vtt"
        if fmt != "text":
            from qualkit.ingest.captions import read_captions

            return read_captions(path, text, digest, fmt, options, voice)
        return _plain(path, text, digest, options, voice, Locator(text))
    data = read_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    if fmt == "docx":
        from qualkit.ingest.docx import docx_text

        text = docx_text(path, data)
        return _plain(path, text, digest, options, voice, Locator(text, "paragraph"),
                      fmt="docx")
    if fmt == "pdf":
        from qualkit.ingest.pdf import pdf_text

        text, marks = pdf_text(path, data)
        return _plain(path, text, digest, options, voice, Locator(text, "page", marks),
                      fmt="pdf")
    from qualkit.ingest.table import read_table

    return read_table(path, data, digest, fmt, options, voice)


def _plain(path: Path, text: str, digest: str, options: ReadOptions, voice: str,
           locator: Locator, fmt: str = "text") -> Source:
    if options.no_speakers:
        turns, style = paragraph_turns(text, voice), "one voice"
        if not turns:
            raise FileError(path, "is empty; nothing to import")
        concerns: list[Concern] = []
    else:
        try:
            turns, style = read_turns(text, path, pattern=options.speaker_pattern)
        except FileError as err:
            # Say which style the file probably uses, when some lines have one.
            if guess_style(text) is None:
                raise
            found = ("no line matches --speaker-pattern" if options.speaker_pattern
                     else "no speaker labels found")
            raise FileError(path, f"{found}; {advice(text)}", line=err.line) from None
        concerns = check_reading(text, turns, path)
    return Source(path=path, format=fmt, text=text, sha256=digest, turns=tuple(turns),
                  locator=locator, labelled=not options.no_speakers, style=style,
                  concerns=tuple(concerns))
