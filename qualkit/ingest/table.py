"""Spreadsheet transcripts (``.csv``, ``.xlsx``): one row per turn.

Open-ended survey answers and transcription-service exports come as tables: a speaker
column, a text column, perhaps a timestamp, and often more columns about the respondent
(age band, site, cohort). The speaker and text columns are found by their usual names or
named with ``--speaker-column``/``--text-column``; every other column becomes an attribute
of the participant, so it can be analysed like a ``participants.csv`` column. A row with
text and no speaker continues the previous row's turn.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from qualkit.errors import FileError
from qualkit.ingest.source import Builder, Concern, ReadOptions, Source
from qualkit.normalise import MAX_LINE_CHARS, decode_transcript, normalise

SPEAKER_NAMES = ("speaker", "speakername", "participant", "participantid", "respondent",
                 "respondentid", "pseudonym", "name", "author", "who", "person",
                 "interlocutor", "id")
TEXT_NAMES = ("text", "transcript", "utterance", "utterancetext", "talk", "answer",
              "response", "comment", "content", "message", "quote", "transcription", "said",
              "dialogue", "dialog", "speech")
_CLOCK = re.compile(r"^[\[(]?\d{1,2}:\d{2}|^\d+(?:[.,]\d+)?$")
"""What a time cell looks like (``00:01:23``, ``83.5``): a `time` column holding
``time 1`` (which debate of three) is an attribute, not a timestamp."""
TIME_NAMES = ("timestamp", "time", "start", "starttime", "begin", "timecode")
DOCUMENT_KEYS = frozenset({
    "transcriptid", "transcriptno", "transcriptnumber", "transcriptname", "documentid",
    "docid", "document", "documentname", "interviewid", "interviewno", "conversationid",
    "conversation", "dialogueid", "dialogid", "sessionid", "recordingid", "fileid",
    "filename"})
"""Column names (as :func:`column_key` spells them) that say which conversation a row
belongs to (see :mod:`qualkit.ingest.split`). ``transcript`` alone is not one: it usually
holds the talk."""


def column_key(name: str) -> str:
    """A column's name as it is compared: ``Transcript ID`` and ``transcript_id`` match."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.time):
        return value.strftime("%H:%M:%S") if isinstance(value, dt.time) else value.isoformat()
    return normalise(str(value))


def _column(header: Sequence[str], path: Path, named: str | None, usual: Sequence[str],
            what: str, option: str, required: bool) -> int | None:
    keys = [column_key(h) for h in header]
    if named is not None:
        if column_key(named) in keys:
            return keys.index(column_key(named))
        raise FileError(path, f"has no column named {named!r} (its columns: "
                              f"{', '.join(h for h in header if h)}); check {option}", line=1)
    for name in usual:
        if name in keys:
            return keys.index(name)
    if required:
        raise FileError(path, f"has no {what} column (looked for {', '.join(usual[:6])}, …); "
                              f"name it with {option}", line=1)
    return None


def _csv_rows(path: Path, data: bytes, encoding: str | None) -> Iterator[tuple[int, list[str]]]:
    text = normalise(decode_transcript(data, path, encoding))
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel
    with contextlib.suppress(csv.Error):
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    csv.field_size_limit(MAX_LINE_CHARS)
    reader = csv.reader(io.StringIO(text), dialect)
    line = 1
    try:
        for row in reader:
            yield line, row
            line = reader.line_num + 1
    except csv.Error as exc:
        raise FileError(path, f"is not a readable CSV file ({exc})", line=line) from None


def _xlsx_rows(path: Path, data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    from qualkit.xlsx import reading_workbook

    def damaged(_reason: str) -> FileError:
        return FileError(path, "is not a readable Excel .xlsx file (damaged, or another "
                               "format renamed); open it in Excel and save it again")

    with reading_workbook(damaged):
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
    yield from enumerate(rows, start=1)


def _times(rows: Iterable[tuple[int, list[str]]], column: int) -> bool:
    """Whether the column's filled cells (the first few) read as times."""
    seen = 0
    for _, row in rows:
        cell = row[column].strip() if column < len(row) else ""
        if not cell:
            continue
        if not _CLOCK.match(cell):
            return False
        seen += 1
        if seen >= 5:
            break
    return True


def document_column(header: Sequence[str], skip: Iterable[int | None] = ()) -> int | None:
    """The first column named like a conversation's id (:data:`DOCUMENT_KEYS`), other
    than those in ``skip``."""
    taken = set(skip)
    for i, name in enumerate(header):
        if i not in taken and column_key(name) in DOCUMENT_KEYS:
            return i
    return None


def header_and_rows(path: Path, data: bytes, fmt: str, encoding: str | None
                    ) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(the header: the first row with a cell filled, the rows after it with their line
    or row numbers) of a .csv (``fmt`` csv) or .xlsx file."""
    rows = _csv_rows(path, data, encoding) if fmt == "csv" else _xlsx_rows(path, data)
    for _, row in rows:
        if any(cell.strip() for cell in row):
            return [cell.strip() for cell in row], list(rows)
    raise FileError(path, "is empty; nothing to import")


def named_column(header: Sequence[str], path: Path, named: str, option: str) -> int:
    """The column named ``named`` (an error listing the columns if there is none)."""
    found = _column(header, path, named, (), named, option, True)
    assert found is not None
    return found


def read_table(path: Path, data: bytes, sha256: str, fmt: str, options: ReadOptions,
               voice: str) -> Source:
    """Turns of a .csv or .xlsx file; ``voice`` names the speaker without a speaker column."""
    header, rows = header_and_rows(path, data, fmt, options.encoding)
    labelled = not options.no_speakers
    text_col = _column(header, path, options.text_column, TEXT_NAMES, "text",
                       "--text-column", True)
    speaker_col = _column(header, path, options.speaker_column, SPEAKER_NAMES, "speaker",
                          "--speaker-column", labelled) if labelled else None
    time_col = _column(header, path, None, TIME_NAMES, "timestamp", "", False)
    if time_col is not None and not _times(rows, time_col):
        time_col = None
    used = {text_col, speaker_col, time_col}
    extra = [(i, h) for i, h in enumerate(header) if i not in used and h]
    builder = Builder("line" if fmt == "csv" else "row")
    people: dict[str, dict[str, str]] = {}
    speaker, pieces, stamp = "", [], None
    for number, row in rows:
        cells = row + [""] * (len(header) - len(row))
        talk = cells[text_col].strip() if text_col is not None else ""
        who = cells[speaker_col].strip() if speaker_col is not None else voice
        if not talk:
            continue
        if who == speaker and pieces:
            who = ""  # the same speaker's next row: their turn goes on, as caption cues do
        if who and pieces:
            builder.add(speaker, pieces, stamp, show_speaker=labelled)
            pieces = []
        if not who and not pieces:
            raise FileError(path, "a row with text and no speaker, before any speaker; fill "
                                  "in the speaker or pass --no-speakers", line=number)
        if who:
            speaker = who
            stamp = (cells[time_col].strip()[:32] or None) if time_col is not None else None
            attrs = people.setdefault(who, {})
            for i, name in extra:
                if cells[i].strip() and name not in attrs:
                    attrs[name] = cells[i].strip()
        pieces.append((talk, number))
    if pieces:
        builder.add(speaker, pieces, stamp, show_speaker=labelled)
    if not builder.turns:
        raise FileError(path, "has no rows with text; nothing to import")
    source = builder.source(path, fmt, sha256, labelled=labelled,
                            participants=people if labelled else {})
    many = _conversations(path, header, rows, used)
    return dataclasses.replace(source, concerns=(many,)) if many else source


def _conversations(path: Path, header: Sequence[str], rows: Sequence[tuple[int, list[str]]],
                   used: set[int | None]) -> Concern | None:
    """A column saying which conversation each row belongs to, with two values or more:
    the file holds several transcripts, which read as one would run together."""
    column = document_column(header, used)
    if column is None:
        return None
    values = {row[column].strip() for _, row in rows if column < len(row)} - {""}
    if len(values) < 2:
        return None
    return Concern(1, f"column {header[column]} holds {len(values)} different values, so "
                      f"the file may hold {len(values)} conversations, read here as one "
                      "transcript; to import one transcript each, move it out of "
                      f"transcripts/, run `qualkit transcripts split {path.name} --by "
                      f"{header[column]}` and import the files it writes")
