"""Render theme tables into ``exports/``: Markdown for reading, CSV for further analysis.

Each file is complete or absent: rendering happens in memory and lands with an atomic
rename. Everything embedded is escaped for its format (Markdown table cells, CSV formulas).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import Any

from qualkit import __version__
from qualkit.analysis import QUOTE_RULE, ThemeRow, ThemeTable, coded_segments
from qualkit.fileio import atomic_write_text, safe_cell
from qualkit.store import Store

FORMATS = ("md", "csv")


@dataclass(frozen=True)
class ReportFiles:
    paths: tuple[Path, ...]


def md_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: no row breaks, no raw HTML, no stray pipes."""
    text = " ".join(str(value).split())
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\\", "\\\\"),
                         ("|", "\\|")):
        text = text.replace(raw, escaped)
    return text


def _markdown(tables: Sequence[ThemeTable], agreement: Any = None) -> str:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("qualkit.report", "templates"),
                      undefined=StrictUndefined, keep_trailing_newline=True,
                      autoescape=False)  # Markdown, not HTML: cells go through md_cell
    env.filters["cell"] = md_cell
    env.filters["stat"] = _stat
    return env.get_template("theme_table.md.j2").render(
        tables=tables, codebook_name=tables[0].codebook_name,
        codebook_version=tables[0].codebook_version, quote_rule=QUOTE_RULE,
        qualkit_version=__version__, agreement=agreement)


# -- agreement section (issue 7): shown when two or more coders coded ------------------


def _stat(value: float) -> str:
    """A coefficient for the report: three decimals, or an em dash where undefined."""
    return "—" if math.isnan(value) else f"{value:.3f}"


def _agreement(store: Store) -> Any:
    """The agreement of every coder but consensus, or None with fewer than two coders."""
    from qualkit.agreement_project import agreement_summary
    from qualkit.codebook_store import active_codebook

    codebook = active_codebook(store)
    return agreement_summary(store, codebook) if codebook is not None else None


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def write_report(store: Store, tables: Sequence[ThemeTable], folder: Path,
                 formats: Sequence[str] = FORMATS) -> ReportFiles:
    """Write the theme tables (one per coder) in each format; return the files written."""
    written: list[Path] = []
    if "md" in formats:
        path = folder / "theme_table.md"
        atomic_write_text(path, _markdown(tables, _agreement(store)))
        written.append(path)
    if "csv" in formats:
        fields = ["coder", *(f.name for f in dataclass_fields(ThemeRow))]
        rows = [[t.coder, *asdict(r).values()] for t in tables for r in t.rows]
        path = folder / "theme_table.csv"
        atomic_write_text(path, _csv(fields, rows))
        written.append(path)
        frames = [coded_segments(store, t.coder) for t in tables]
        tidy = [list(r) for f in frames for r in f.itertuples(index=False)]
        path = folder / "coded_segments.csv"
        atomic_write_text(path, _csv(list(frames[0].columns), tidy))
        written.append(path)
    return ReportFiles(tuple(written))
