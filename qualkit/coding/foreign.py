"""Coded-segment tables as coders hand them in: qualkit's CSV and other tools' exports.

Every qualitative-analysis tool can list its coded passages as a table, one row per passage
(or per passage and code): the document, the passage's text and the code. The tables differ
only in their column names and in how they write a code's place in the code tree, so one
reader serves them all, and the format is recognised by its header row alone — no option to
get wrong. A row becomes a :class:`Row`; placing its quote and checking its codes is
:mod:`qualkit.coding.codings_file`'s job.

Column names are compared case-insensitively with spaces collapsed. The tables the formats
are recognised by are listed in docs/tagging.md with an example each.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from qualkit.coding.placement import Hint
from qualkit.errors import FileError
from qualkit.normalise import decode, normalise


@dataclass(frozen=True)
class Format:
    """How one tool names the columns of its coded-segment table."""

    name: str
    document: tuple[str, ...]
    text: tuple[str, ...]
    codes: tuple[str, ...]
    memo: tuple[str, ...] = ()
    speaker: tuple[str, ...] = ()
    # Separators between several codes in one cell, and between levels of a code's path.
    code_separators: str = r"\n|;"
    path_separators: tuple[str, ...] = ("\\", " > ")


QUALKIT = Format("qualkit", ("transcript",), ("quote",), ("codes",), ("memo",), ("speaker",),
                 code_separators=r";")
FORMATS = (
    QUALKIT,
    # MAXQDA: Reports > Export coded segments (Excel or CSV); code paths as `Parent\Child`.
    Format("MAXQDA coded segments", ("document name",), ("segment",), ("code",),
           ("comment",)),
    # ATLAS.ti: Quotation Manager > Export (Excel); several codes in one cell, one a line.
    Format("ATLAS.ti quotations", ("document",), ("quotation content", "content"), ("codes",),
           ("comment",)),
    # NVivo: a code's references exported as a table; paths as `Codes\\Parent\\Child`.
    Format("NVivo coding", ("file", "files", "source", "document"),
           ("coded text", "reference text", "text"),
           ("hierarchical name", "code", "node", "codes"), ("annotation",)),
    # Dedoose: Excerpts workspace > Export; codes of an excerpt in one cell.
    Format("Dedoose excerpts", ("media title", "document title"), ("excerpt copy",),
           ("codes applied combined", "codes applied", "codes"), ("memo", "excerpt memo")),
    # Delve: code export; one row per snippet and code.
    Format("Delve snippets", ("transcript", "transcript name"), ("snippet", "snippet text"),
           ("code", "code name", "codes"), ("note", "memo")),
)
HINTS = ("line", "time", "occurrence", "segment")


@dataclass(frozen=True)
class Row:
    """One coded passage of a coder's table, whatever tool wrote it."""

    line: int
    transcript: str
    quote: str
    codes: tuple[str, ...]
    speaker: str = ""
    memo: str = ""
    hint: Hint = field(default_factory=Hint)
    cells: tuple[str, ...] = ()  # the row as read, for the file of refused rows
    problem: str | None = None  # a hint that cannot be read


@dataclass(frozen=True)
class Table:
    format: Format
    header: tuple[str, ...]
    rows: tuple[Row, ...]


def key(name: object) -> str:
    return re.sub(r"\s+", " ", str(name or "")).strip().casefold()


def detect(header: list[str]) -> Format | None:
    """The first format whose document, text and code columns are all in ``header``."""
    keys = set(header)
    for fmt in FORMATS:
        if all(any(a in keys for a in names) for names in (fmt.document, fmt.text, fmt.codes)):
            return fmt
    return None


def read_table(path: Path, data: bytes) -> Table:
    """The rows of a coder's table (.csv, .tsv, .txt or .xlsx), whatever tool wrote it."""
    raw = list(_xlsx_rows(path) if path.suffix.lower() == ".xlsx" else _text_rows(path, data))
    if not raw:
        raise FileError(path, "is empty; a coder's file needs a header row and one row per "
                              "coded passage")
    first_line, header_cells = raw[0]
    header = [key(h) for h in header_cells]
    fmt = detect(header)
    if fmt is None:
        names = "; ".join(f"{f.name}: {f.document[0]}, {f.text[0]}, {f.codes[0]}"
                          for f in FORMATS)
        raise FileError(path, "has no known coded-segment header (columns needed — " + names
                              + "); rename the columns or export the table again",
                        line=first_line)
    where = {name: header.index(name) for name in header if name}

    def column(names: tuple[str, ...]) -> int | None:
        return next((where[n] for n in names if n in where), None)

    doc, text, codes = column(fmt.document), column(fmt.text), column(fmt.codes)
    memo, speaker = column(fmt.memo), column(fmt.speaker)
    taken = {doc, text, codes, memo, speaker}
    hints = {h: where.get(h) for h in HINTS if where.get(h) not in taken}
    rows = []
    for line, cells in raw[1:]:
        if not any(c.strip() for c in cells):
            continue

        def cell(i: int | None, cells: list[str] = cells) -> str:
            return cells[i].strip() if i is not None and i < len(cells) else ""

        hint, problem = _hint({h: cell(i) for h, i in hints.items()})
        rows.append(Row(line=line, transcript=cell(doc), quote=cell(text),
                        codes=split_codes(cell(codes), fmt), speaker=cell(speaker),
                        memo=cell(memo), hint=hint, cells=tuple(cells), problem=problem))
    return Table(format=fmt, header=tuple(header_cells), rows=tuple(rows))


def split_codes(value: str, fmt: Format) -> tuple[str, ...]:
    return tuple(c.strip() for c in re.split(fmt.code_separators, value) if c.strip())


def code_path(name: str, fmt: Format) -> list[str]:
    """A code's place in its tool's tree (``Parent\\Child`` → [Parent, Child])."""
    parts = [name]
    for sep in fmt.path_separators:
        parts = [p for part in parts for p in part.split(sep)]
    return [p.strip() for p in parts if p.strip()]


def _hint(values: dict[str, str]) -> tuple[Hint, str | None]:
    found: dict[str, object] = {}
    for name in ("line", "occurrence", "segment"):
        value = values.get(name) or ""
        if not value:
            continue
        try:
            number = int(float(value))
        except ValueError:
            return Hint(), f"`{name}` must be a whole number; fix that cell"
        found[name] = number
    if values.get("time"):
        from qualkit.coding.placement import seconds

        if seconds(values["time"]) is None:
            return Hint(), "`time` must look like 00:01:02 or 01:02; fix that cell"
        found["time"] = values["time"]
    return Hint(**found), None  # type: ignore[arg-type]


def _text_rows(path: Path, data: bytes) -> Iterator[tuple[int, list[str]]]:
    text = normalise(decode(data, path))
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FileError(path, f"is not valid CSV ({exc}); save it again as CSV",
                        line=reader.line_num) from None


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    from qualkit.xlsx import reading_workbook

    def damaged(reason: str) -> FileError:
        return FileError(path, f"cannot be read as a workbook ({reason}); save it again "
                               "from Excel, or export the table as CSV")

    with reading_workbook(damaged):
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            rows = [[normalise(str(v)) if v is not None else "" for v in row]
                    for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
    yield from enumerate(rows, start=1)
