"""Markdown: the whole report as one file to read on screen or paste into a manuscript.

Markdown is not HTML, so jinja2's autoescape does not apply; every cell goes through
:func:`md_cell` instead, which keeps a table row on one line and raw HTML inert.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from qualkit.fileio import atomic_write_text
from qualkit.report.tables import TOO_WIDE, Table, page

if TYPE_CHECKING:
    from qualkit.report.content import Report

MAX_COLUMNS = 40
FILE = "report.md"


ENTITY = re.compile(r"&(?=#?\w+;)")
TAG = re.compile(r"<(?=[A-Za-z/!?])")


def md_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: no row breaks, no raw HTML, no stray pipes.

    Only what Markdown would read as markup is escaped, so the text reads as written in
    the file too: an ``&`` that would start an entity, a ``<`` that would start a tag
    (``<script``, ``</p``, ``<!--``; not ``< 0.001``), a ``>`` opening a line (a quote),
    backslashes and pipes."""
    text = " ".join(str(value).split())
    text = TAG.sub("&lt;", ENTITY.sub("&amp;", text))
    if text.startswith(">"):
        text = "&gt;" + text[1:]
    return text.replace("\\", "\\\\").replace("|", "\\|")


def too_wide(table: Table) -> str:
    return TOO_WIDE.format(columns=len(table.printed), name=table.name)


def render(report: Report) -> str:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("qualkit.report", "templates"),
                      undefined=StrictUndefined, keep_trailing_newline=True,
                      autoescape=False)  # Markdown, not HTML: cells go through md_cell
    env.filters["cell"] = md_cell
    return env.get_template("report.md.j2").render(
        report=report, page=page, too_wide=too_wide, limit=MAX_COLUMNS)


def write(report: Report, folder: Path) -> list[Path]:
    path = folder / FILE
    atomic_write_text(path, render(report))
    return [path]
