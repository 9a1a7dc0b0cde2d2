"""Write a report into ``exports/`` in each asked-for format.

Each file is complete or absent: it is rendered in memory and lands with an atomic rename
(:mod:`qualkit.fileio`). Each format lives in its own module, imported only when asked for,
so ``--format md`` does not pay for matplotlib or python-docx.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qualkit.report.content import Report
from qualkit.report.tables import Column, Table

FORMATS = ("html", "md", "csv", "xlsx", "docx", "tex")
MODULES = {"html": "html", "md": "markdown", "csv": "csvfiles", "xlsx": "xlsx",
           "docx": "word", "tex": "latex"}
STEM = "report"


@dataclass(frozen=True)
class ReportFiles:
    paths: tuple[Path, ...]
    seconds: dict[str, float] | None = None  # per format, for the benchmark


def safe_name(text: str) -> str:
    """A coder's name as part of a file name."""
    return re.sub(r"[^\w.-]+", "_", text).strip("._") or "coder"


def data_tables(report: Report) -> list[Table]:
    """The tables for CSV and XLSX: each table once, with a ``coder`` column, every coder's
    rows stacked; a table whose columns differ between coders (a matrix over the
    transcripts each reviewed) is kept per coder, its name suffixed with the coder's."""
    by_name: dict[str, list[tuple[str, Table]]] = {}
    for section in report.coders:
        for table in (*section.tables, *section.data):
            by_name.setdefault(table.name, []).append((section.coder, table))
    coder_column = Column("coder", "Coder")
    out: list[Table] = []
    for name, found in by_name.items():
        keys = {tuple(c.key for c in t.columns) for _, t in found}
        first = found[0][1]
        if len(keys) == 1:
            rows = [(coder, *row) for coder, t in found for row in t.rows]
            out.append(Table(name, first.title, (coder_column, *first.columns), rows,
                             note=first.note, matrix=first.matrix))
        else:
            out += [Table(f"{name}.{safe_name(coder)}", t.title,
                          (coder_column, *t.columns), [(coder, *r) for r in t.rows],
                          note=t.note, matrix=t.matrix) for coder, t in found]
    if report.agreement_table is not None:
        out.append(report.agreement_table)
    return out


def write_report(report: Report, folder: Path, formats: Sequence[str] = FORMATS,
                 progress: Callable[[int, int], None] | None = None) -> ReportFiles:
    """Write the report in each format; return the files written and the time each took."""
    import time

    written: list[Path] = []
    seconds: dict[str, float] = {}
    for done, fmt in enumerate(formats):
        start = time.perf_counter()
        module = importlib.import_module(f"qualkit.report.{MODULES[fmt]}")
        written += module.write(report, folder)
        seconds[fmt] = time.perf_counter() - start
        if progress is not None:
            progress(done + 1, len(formats))
    return ReportFiles(tuple(written), seconds)
