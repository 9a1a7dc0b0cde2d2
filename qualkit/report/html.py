"""HTML: one self-contained page (styles and SVG charts inline, no script, nothing fetched)
that reads on screen and prints as a paper's tables (a print stylesheet, A4 landscape).

jinja2 autoescapes every value; the only markup let through unescaped is the SVG that
matplotlib wrote, whose text matplotlib escapes itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from qualkit.fileio import atomic_write_text
from qualkit.report import charts
from qualkit.report.tables import TOO_WIDE, Table, page

if TYPE_CHECKING:
    from qualkit.report.content import Report

MAX_COLUMNS = 40
FILE = "report.html"


def too_wide(table: Table) -> str:
    return TOO_WIDE.format(columns=len(table.printed), name=table.name)


def render(report: Report) -> str:
    from jinja2 import Environment, PackageLoader, StrictUndefined
    from markupsafe import Markup

    env = Environment(loader=PackageLoader("qualkit.report", "templates"),
                      undefined=StrictUndefined, autoescape=True)
    figures = {
        s.coder: {"frequency": Markup(charts.svg_markup(charts.frequency(s.theme))),
                  "saturation": Markup(charts.svg_markup(charts.saturation(s.saturation)))}
        for s in report.coders}
    return env.get_template("report.html.j2").render(
        report=report, page=page, too_wide=too_wide, limit=MAX_COLUMNS, charts=figures)


def write(report: Report, folder: Path) -> list[Path]:
    path = folder / FILE
    atomic_write_text(path, render(report))
    return [path]
