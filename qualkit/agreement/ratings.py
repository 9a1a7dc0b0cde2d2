"""Read a ratings table: the CSV that ``qualkit agreement FILE.csv`` takes.

Researchers who code in other tools bring their ratings as a spreadsheet: one row per
unit, one column per coder, a coder's category in each cell, an empty cell where that
coder did not rate the unit. An optional first column named ``unit`` holds unit ids.

Cells are kept as text (stripped of surrounding spaces); :mod:`qualkit.agreement`
decides what they mean, so ``"2"`` can be a rank for ordinal alpha and a label for nominal alpha
without this module guessing. Only an empty cell is missing -- ``NA`` is a category like
any other -- because a spreadsheet cannot otherwise say "the category called NA".

Errors name the file, the line and the coder, never a cell's contents: ratings tables
are sometimes pasted next to transcript excerpts, and messages end up in bug reports.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from qualkit.errors import FileError

__all__ = ["UNIT_COLUMN", "RatingsTable", "read_ratings"]

UNIT_COLUMN = "unit"
"""Header of the optional first column holding unit ids (matched ignoring case)."""

_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class RatingsTable:
    """The contents of a ratings CSV, ready for :func:`qualkit.agreement.combine.summarise`.

    ``matrix[u][c]`` is coder ``coders[c]``'s category for unit ``unit_ids[u]``, or
    ``None`` when the cell was empty. Without a ``unit`` column, units are numbered
    ``"1"``, ``"2"``, ... in file order. ``lines[u]`` is the line of the file the unit
    came from, so later messages can point back into the file.
    """

    path: Path
    unit_ids: tuple[str, ...]
    coders: tuple[str, ...]
    matrix: tuple[tuple[str | None, ...], ...]
    lines: tuple[int, ...]
    has_unit_column: bool

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)

    @property
    def n_coders(self) -> int:
        return len(self.coders)


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise FileError(path, "is not UTF-8 text; save it as CSV UTF-8", line=line) from None


def _delimiter(header_line: str) -> str:
    """Comma, or the semicolon or tab that spreadsheets in many locales write instead.

    Decided from the header alone -- the separator found most often outside quotes, comma
    on a tie -- so a comma inside a category further down cannot change how the file is
    split.
    """
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    return max(_DELIMITERS, key=lambda d: (unquoted.count(d), d == ","))


def _header(path: Path, cells: list[str], line: int) -> tuple[bool, tuple[str, ...]]:
    names = [cell.strip() for cell in cells]
    while names and not names[-1]:
        names.pop()  # trailing separators that spreadsheets add
    has_unit = bool(names) and names[0].casefold() == UNIT_COLUMN
    coders = names[1:] if has_unit else names
    if not coders:
        raise FileError(
            path, "has no coder columns; the header needs one column per coder", line=line
        )
    seen: set[str] = set()
    for position, name in enumerate(coders, start=2 if has_unit else 1):
        if not name:
            raise FileError(path, f"column {position} of the header has no coder name", line=line)
        if name.casefold() == UNIT_COLUMN:
            raise FileError(path, f"the '{UNIT_COLUMN}' column must be the first column", line=line)
        if name in seen:
            raise FileError(path, f"coder {name!r} has two columns", line=line)
        seen.add(name)
    return has_unit, tuple(coders)


def read_ratings(path: Path | str) -> RatingsTable:
    """Read and check a ratings table, raising :class:`FileError` at the first problem.

    Accepted: UTF-8 (with or without a byte-order mark); comma, semicolon or tab as
    separator; quoted cells; blank lines and rows whose every cell is empty (skipped);
    empty cells beyond the last column. Rejected, with the line named: no coder columns,
    an empty or repeated coder name, a row with a different number of cells than the
    header, an empty or repeated unit id, broken quoting, bytes that are not UTF-8, and
    a table without any unit.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise FileError(path, f"cannot be read: {err.strerror or err}") from None
    text = _decode(path, data)
    if not text.strip():
        raise FileError(path, "is empty; expected a header naming one column per coder", line=1)
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(first_line), strict=True
    )

    header: list[str] | None = None
    has_unit, width = False, 0
    coders: tuple[str, ...] = ()
    unit_ids: list[str] = []
    rows: list[tuple[str | None, ...]] = []
    lines: list[int] = []
    first_seen: dict[str, int] = {}
    previous_end = 0
    try:
        for record in reader:
            line, previous_end = previous_end + 1, reader.line_num
            cells = [cell.strip() for cell in record]
            if not any(cells):
                continue
            if header is None:
                header = record
                has_unit, coders = _header(path, record, line)
                width = len(coders) + has_unit
                continue
            while len(cells) > width and not cells[-1]:
                cells.pop()
            if len(cells) != width:
                raise FileError(path, f"has {len(cells)} cells; the header has {width}", line=line)
            if has_unit:
                unit = cells[0]
                if not unit:
                    raise FileError(path, "has ratings but no unit id", line=line)
                if unit in first_seen:
                    raise FileError(
                        path, f"repeats the unit id of line {first_seen[unit]}", line=line
                    )
                first_seen[unit] = line
                ratings = cells[1:]
            else:
                unit = str(len(unit_ids) + 1)
                ratings = cells
            unit_ids.append(unit)
            rows.append(tuple(cell or None for cell in ratings))
            lines.append(line)
    except csv.Error as err:
        raise FileError(path, f"is not valid CSV ({err})", line=previous_end + 1) from None
    if not rows:
        raise FileError(path, "has a header but no rows of ratings", line=max(previous_end, 1))
    return RatingsTable(
        path=path,
        unit_ids=tuple(unit_ids),
        coders=coders,
        matrix=tuple(rows),
        lines=tuple(lines),
        has_unit_column=has_unit,
    )
