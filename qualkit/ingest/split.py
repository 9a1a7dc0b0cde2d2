"""One spreadsheet holding many conversations, cut into one transcript file each.

Published datasets and transcription services often put every interview of a study in
one table, with a column saying which conversation a row belongs to (AnnoMI's
``transcript_id``, a ``session_id``, a ``document`` name). Read as one transcript, the
conversations run together: a turn runs on from one conversation into the next, the
learned suggester reads another conversation's last turn as a segment's previous one, and
evaluation cannot hold out whole transcripts. qualkit keeps one transcript per file
(re-import, coders' files naming their documents and REFI-QDA export rely on it), so the
table is cut into files the researcher can see, one per conversation, each with the
table's header and its rows in their order.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qualkit.errors import FileError
from qualkit.fileio import atomic_write_text
from qualkit.ingest.table import header_and_rows, named_column
from qualkit.normalise import read_bytes

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Part:
    """One file written: the column (as the table spells it), the conversation's value in
    it, and its rows."""

    path: Path
    column: str
    value: str
    rows: int


def split_table(path: Path, column: str, out: Path, encoding: str | None = None
                ) -> list[Part]:
    """Write one CSV file per value of ``column`` into ``out`` (``STEM-VALUE.csv``) and
    say what was written. Everything is checked before the first file is written, and a
    failure while writing removes the files already written: nothing half-split is left."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".tsv", ".xlsx"):
        raise FileError(path, "is not a spreadsheet; only .csv, .tsv and .xlsx files are "
                              "split by a column")
    header, rows = header_and_rows(path, read_bytes(path), "xlsx" if suffix == ".xlsx"
                                   else "csv", encoding)
    index = named_column(header, path, column, "--by")
    groups: dict[str, list[list[str]]] = {}
    for number, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        value = row[index].strip() if index < len(row) else ""
        if not value:
            raise FileError(path, f"this row has no {header[index]}; fill it in (every row "
                                  "must say which transcript it belongs to)", line=number)
        groups.setdefault(value, []).append(row)
    if len(groups) < 2:
        raise FileError(path, f"column {header[index]} holds one value only; the file is "
                              "one transcript: import it as it is")
    stems: dict[str, str] = {}  # value -> file stem
    seen: dict[str, str] = {}  # the stem, case folded (as file systems may) -> value
    for value in groups:
        stem = f"{path.stem}-{_UNSAFE.sub('_', value).strip('._-') or 'x'}"
        if stem.casefold() in seen:
            raise FileError(path, f"values {seen[stem.casefold()]!r} and {value!r} of "
                                  f"{header[index]} give the same file name ({stem}.csv); "
                                  "make them differ in letters or digits")
        seen[stem.casefold()] = value
        stems[value] = stem
    parts = [Part(out / f"{stems[value]}.csv", header[index], value, len(rows_of))
             for value, rows_of in groups.items()]
    for part in parts:
        if part.path.exists():
            raise FileError(part.path, "exists already; remove it, or split into another "
                                       "folder with --out")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for part in parts:
            atomic_write_text(part.path, _csv([header, *groups[part.value]]))
            written.append(part.path)
    except BaseException:
        for done in written:
            done.unlink(missing_ok=True)
        raise
    return parts


def _csv(rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()
