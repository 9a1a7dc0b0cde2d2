"""Agreement on a ratings table from another tool: what ``qualkit agreement FILE.csv`` does.

No project is involved: the file is read by :func:`qualkit.agreement.ratings.read_ratings` and every
coefficient that applies is taken from :func:`qualkit.agreement.combine.summarise`. This module
adds what a command needs around them: options checked with messages that name the
option, a declared-category check that names the file, line and coder (never the cell,
see :mod:`qualkit.agreement.ratings`), and the count of units that could be compared at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qualkit.errors import FileError, QualkitError

__all__ = ["LABELS", "FileAgreement", "file_agreement", "parse_categories"]

LABELS: dict[str, str] = {
    "percent_agreement": "Percent agreement",
    "cohen_kappa": "Cohen's kappa",
    "scott_pi": "Scott's pi",
    "fleiss_kappa": "Fleiss' kappa",
    "krippendorff_alpha": "Krippendorff's alpha",
    "gwet_ac1": "Gwet's AC1",
    "brennan_prediger": "Brennan-Prediger",
}
"""Display names of the coefficients, in the order they are printed."""


@dataclass(frozen=True)
class FileAgreement:
    """The coefficients of one ratings table. ``values`` keys are those of
    :func:`qualkit.agreement.combine.summarise` without the counts; NaN where undefined."""

    path: Path
    coders: tuple[str, ...]
    n_units: int
    pairable_units: int
    level: str
    weights: str | None
    categories: tuple[str, ...]
    declared: bool
    values: dict[str, float]

    def as_json(self) -> dict[str, float | int | None]:
        """The ``--json`` object: NaN (undefined) becomes ``null``, which JSON can carry."""
        out: dict[str, float | int | None] = {
            key: None if math.isnan(value) else value for key, value in self.values.items()}
        out["n_units"] = self.n_units
        out["n_coders"] = len(self.coders)
        return out


def parse_categories(text: str | None) -> tuple[str, ...] | None:
    """``--categories a,b,c`` as a tuple in the given order; None when not given."""
    if text is None:
        return None
    labels = tuple(part.strip() for part in text.split(","))
    if not any(labels):
        raise QualkitError("--categories needs a comma-separated list, e.g. low,medium,high")
    if any(not label for label in labels):
        raise QualkitError("--categories has an empty label; remove the extra comma")
    seen: set[str] = set()
    for label in labels:
        if label in seen:
            raise QualkitError(f"--categories lists {label!r} twice")
        seen.add(label)
    return labels


def file_agreement(path: Path | str, level: str = "nominal", weights: str | None = None,
                   categories: Sequence[str] | None = None) -> FileAgreement:
    """Read a ratings table and compute every coefficient that applies to it."""
    from qualkit.agreement.coefficients import pairable_units
    from qualkit.agreement.combine import summarise
    from qualkit.agreement.encoding import LEVELS, WEIGHTS, encode
    from qualkit.agreement.ratings import read_ratings

    if level not in LEVELS:
        raise QualkitError(f"--level takes {', '.join(LEVELS)}; not {level!r}")
    if weights is not None and weights not in WEIGHTS:
        raise QualkitError(f"--weights takes {' or '.join(WEIGHTS)}; not {weights!r}")
    table = read_ratings(path)
    if table.n_coders < 2:
        raise FileError(table.path, f"has {table.n_coders} coder column; agreement needs at "
                                    "least two", line=1)
    if weights is not None and table.n_coders != 2:
        raise QualkitError(f"--weights is for Cohen's kappa, which compares two coders; "
                           f"{table.path} has {table.n_coders}")
    if categories is not None:
        allowed = set(categories)
        for line, row in zip(table.lines, table.matrix, strict=True):
            for coder, cell in zip(table.coders, row, strict=True):
                if cell is not None and cell not in allowed:
                    raise FileError(table.path, f"coder {coder!r} gives a rating that is "
                                                "not among --categories", line=line)
    if level in ("interval", "ratio"):
        _check_numeric(table.path, table.lines, table.coders, table.matrix, categories, level)
    coded = encode([list(row) for row in table.matrix], categories)
    pairable = pairable_units(coded)
    if pairable == 0:
        raise FileError(table.path, "has no unit rated by two or more coders; agreement "
                                    "needs units that several coders rated")
    try:
        summary = summarise(coded, level=level,  # type: ignore[arg-type]
                            weights=weights)  # type: ignore[arg-type]
    except QualkitError as err:
        raise QualkitError(f"{table.path}: {err}") from None
    values = {key: float(value) for key, value in summary.items()
              if key not in ("n_units", "n_coders")}
    return FileAgreement(path=table.path, coders=table.coders, n_units=table.n_units,
                         pairable_units=pairable, level=level, weights=weights,
                         categories=tuple(str(c) for c in coded.categories),
                         declared=categories is not None, values=values)


def _is_number(label: str) -> bool:
    try:
        return math.isfinite(float(label))
    except ValueError:
        return False


def _check_numeric(path: Path, lines: Sequence[int], coders: Sequence[str],
                   matrix: Sequence[Sequence[str | None]],
                   categories: Sequence[str] | None, level: str) -> None:
    """Interval and ratio alpha take the labels' numeric values; say where one is not a
    number without repeating the cell."""
    if categories is not None:
        if not all(_is_number(label) for label in categories):
            raise QualkitError(f"--level {level} needs numbers; --categories has a label that "
                               "is not a number")
        return
    for line, row in zip(lines, matrix, strict=True):
        for coder, cell in zip(coders, row, strict=True):
            if cell is not None and not _is_number(cell):
                raise FileError(path, f"coder {coder!r} gives a rating that is not a number; "
                                      f"--level {level} needs numbers", line=line)
