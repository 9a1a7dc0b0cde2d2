"""CSV: the tidy table (one row per coded segment and code) plus every table of the report.

Numbers stay numbers (a share is 0.42, not "42%"), headers are the machine names, and every
text cell that a spreadsheet would run as a formula is neutralised (:func:`safe_cell`).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

from qualkit.fileio import FORMULA_START, atomic_write_text, safe_cell
from qualkit.report.render import data_tables

if TYPE_CHECKING:
    import pandas as pd

    from qualkit.report.content import Report

TIDY = "coded_segments.csv"


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`safe_cell` on every text column of a frame (the tidy table has 100k+ rows)."""
    from pandas.api.types import is_numeric_dtype

    frame = frame.copy()
    for name in frame.columns:
        if is_numeric_dtype(frame[name]):
            continue
        values = frame[name].tolist()
        if any(isinstance(v, str) and v.startswith(FORMULA_START) for v in values):
            frame[name] = [safe_cell(v) for v in values]
    return frame


def _cell(value: object) -> object:
    """A value as written: text neutralised, an undefined statistic (NaN) left empty."""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return safe_cell(value)


def tidy_frame(report: Report) -> pd.DataFrame:
    import pandas as pd

    return pd.concat([s.tidy for s in report.coders], ignore_index=True)


def write(report: Report, folder: Path) -> list[Path]:
    written = []
    path = folder / TIDY
    atomic_write_text(path, neutralise(tidy_frame(report)).to_csv(index=False,
                                                                  lineterminator="\n"))
    written.append(path)
    for table in data_tables(report):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([safe_cell(c.key) for c in table.columns])
        writer.writerows([_cell(v) for v in row] for row in table.rows)
        path = folder / f"{table.name}.csv"
        atomic_write_text(path, buffer.getvalue())
        written.append(path)
    return written
