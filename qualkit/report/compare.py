"""Group comparison: does a code come up for a larger share of one group's participants?

Exploratory, and labelled so: codes were not sampled to test hypotheses, participants
were not sampled at random, and a table compares many codes at once. Per code and value
of an attribute (mentors and mentees): participants with the code and their share. For two
groups, the difference in shares with Newcombe's hybrid score interval (method 10 of
Newcombe 1998, built from Wilson's intervals; it stays inside [-1, 1] and behaves at 0 %
and 100 %, where small qualitative samples live) and Fisher's exact test (two-sided,
scipy); for more groups, Pearson's chi-square test of the code-by-group table. p-values
are adjusted across the codes by Benjamini and Hochberg's false discovery rate (1995).
Participants with no value recorded are left out. scipy is imported only here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualkit.errors import QualkitError
from qualkit.report import tables as tb

if TYPE_CHECKING:
    import pandas as pd

    from qualkit.model import Codebook
    from qualkit.report.analysis import CodingData
    from qualkit.report.crosstab import Attribute

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile
FISHER, CHI2 = "Fisher's exact", "chi-square"
EXPLORATORY = ("Exploratory: participants were not sampled to test these differences and "
               "many codes are compared at once; adjusted p-values control the false "
               "discovery rate (Benjamini-Hochberg) across the codes. Difference: share in "
               "the first group minus share in the second, with a 95% Newcombe hybrid score "
               "interval.")


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for k successes in n (Wilson 1927; no continuity
    correction)."""
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    centre = (2 * n * p + z * z) / (2 * (n + z * z))
    half = z * math.sqrt(z * z + 4 * n * p * (1 - p)) / (2 * (n + z * z))
    return (max(0.0, centre - half), min(1.0, centre + half))


def newcombe(k1: int, n1: int, k2: int, n2: int, z: float = Z95) -> tuple[float, float, float]:
    """The difference k1/n1 - k2/n2 and Newcombe's hybrid score interval (his method 10)."""
    if n1 == 0 or n2 == 0:
        return (math.nan, math.nan, math.nan)
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1, z)
    l2, u2 = wilson(k2, n2, z)
    d = p1 - p2
    return (d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
            d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def fisher(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p of Fisher's exact test on [[k1, n1 - k1], [k2, n2 - k2]]."""
    from scipy.stats import fisher_exact

    return float(fisher_exact([[k1, n1 - k1], [k2, n2 - k2]])[1])


def chi_square(with_code: Sequence[int], sizes: Sequence[int]) -> float:
    """p of Pearson's chi-square test of independence on the code-by-group table; NaN when
    nobody, or everybody, has the code (no variation to test)."""
    from scipy.stats import chi2_contingency

    table = [list(with_code), [n - k for k, n in zip(with_code, sizes, strict=True)]]
    if min(sum(table[0]), sum(table[1])) == 0:
        return math.nan
    return float(chi2_contingency(table, correction=False)[1])


def benjamini_hochberg(p: Sequence[float]) -> list[float]:
    """Adjusted p-values (Benjamini & Hochberg 1995); NaN stays NaN and is not counted."""
    from scipy.stats import false_discovery_control

    index = [i for i, v in enumerate(p) if not math.isnan(v)]
    out = [math.nan] * len(p)
    if index:
        adjusted = false_discovery_control([p[i] for i in index], method="bh")
        for i, value in zip(index, adjusted, strict=True):
            out[i] = float(value)
    return out


@dataclass(frozen=True)
class Comparison:
    attribute: Attribute
    values: tuple[str, ...]
    sizes: tuple[int, ...]
    frame: pd.DataFrame  # one row per code: counts, shares, difference, test, p, adjusted


def parse_spec(spec: str) -> tuple[str, tuple[str, ...]]:
    """``role`` (every value) or ``role:mentor,mentee`` (these groups, in this order: the
    difference is the first minus the second)."""
    name, _, listed = spec.partition(":")
    values = tuple(dict.fromkeys(v.strip() for v in listed.split(",") if v.strip()))
    return name.strip(), values


def compare(data: CodingData, codebook: Codebook, attribute: Attribute,
            chosen: Sequence[str] = ()) -> Comparison:
    """The comparison of the participants of each value of ``attribute`` (or of the
    ``chosen`` values, in that order)."""
    import pandas as pd

    from qualkit.errors import did_you_mean
    from qualkit.report.crosstab import NOT_RECORDED, breakdown

    long = breakdown(data, codebook, attribute)
    long = long.loc[long["value"] != NOT_RECORDED]
    values = tuple(dict.fromkeys(long["value"]))
    for value in chosen:
        if value not in values:
            hint = did_you_mean(value, list(values)) or f"; values: {', '.join(values)}"
            raise QualkitError(f"--compare {attribute.name}: no participant with "
                               f"{attribute.name} {value!r}{hint}")
    if chosen:
        values = tuple(chosen)
        long = long.loc[long["value"].isin(values)]
    if len(values) < 2:
        found = ", ".join(repr(v) for v in values) or "none"
        what = (f"name two or more values, as in {attribute.name}:A,B" if chosen else
                f"the participants have fewer than two recorded values ({found}); a "
                "comparison needs two or more")
        raise QualkitError(f"--compare {attribute.name}: {what}")
    sizes = tuple(int(long.loc[long["value"] == v, "group_participants"].iloc[0])
                  for v in values)
    rows = []
    for code_id, rows_of in long.groupby("code_id", sort=False):
        k = [int(rows_of.loc[rows_of["value"] == v, "participants"].iloc[0]) for v in values]
        row: dict[str, object] = {"theme": rows_of["theme"].iloc[0], "code_id": code_id,
                                  "code": rows_of["code"].iloc[0]}
        for value, with_code, size in zip(values, k, sizes, strict=True):
            row[f"with:{value}"] = with_code
            row[f"share:{value}"] = with_code / size
        if len(values) == 2:
            d, low, high = newcombe(k[0], sizes[0], k[1], sizes[1])
            row.update(difference=d, ci_low=low, ci_high=high, test=FISHER,
                       p=fisher(k[0], sizes[0], k[1], sizes[1]))
        else:
            row.update(difference=math.nan, ci_low=math.nan, ci_high=math.nan, test=CHI2,
                       p=chi_square(k, sizes))
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["p_adjusted"] = benjamini_hochberg(list(frame["p"]))
    return Comparison(attribute, values, sizes, frame)


def table(comparison: Comparison) -> tb.Table:
    """Every figure for CSV and XLSX; printed as shares, difference [interval] and p."""
    values, sizes = comparison.values, comparison.sizes
    name = comparison.attribute.name
    two = len(values) == 2
    columns = [tb.Column("theme", "Theme"), tb.Column("code_id", "Code id", data_only=True),
               tb.Column("code", "Code")]
    for value, size in zip(values, sizes, strict=True):
        columns += [tb.Column(f"with:{value}", f"{value}: with code (of {size})", tb.INT),
                    tb.Column(f"share:{value}", f"{value}: share", tb.SHARE)]
    columns += [tb.Column("difference", "Difference", tb.STAT),
                tb.Column("ci_low", "95% CI low", tb.STAT),
                tb.Column("ci_high", "95% CI high", tb.STAT),
                tb.Column("test", "Test"), tb.Column("p", "p", tb.STAT),
                tb.Column("p_adjusted", "Adjusted p (BH)", tb.STAT)]
    keys = [c.key for c in columns]
    rows = [tuple(r[k] for k in keys) for r in comparison.frame.to_dict("records")]
    title = (f"Group comparison by “{name}” "
             f"({' vs '.join(values)}; exploratory)")
    printed = [tb.Column("theme", "Theme"), tb.Column("code", "Code"),
               *(tb.Column(f"v:{v}", f"{v} (n = {n})", tb.INT)
                 for v, n in zip(values, sizes, strict=True))]
    if two:
        printed.append(tb.Column("difference", "Difference [95% CI]", tb.INT))
    printed += [tb.Column("p", f"p ({FISHER if two else CHI2})", tb.INT),
                tb.Column("p_adjusted", "Adjusted p (BH)", tb.INT)]
    shown = []
    for r in comparison.frame.to_dict("records"):
        cells = [r["theme"], r["code"],
                 *(f"{r[f'with:{v}']} ({100 * r[f'share:{v}']:.0f}%)" for v in values)]
        if two:
            cells.append(_interval(r["difference"], r["ci_low"], r["ci_high"]))
        shown.append((*cells, _p(r["p"]), _p(r["p_adjusted"])))
    wide = tb.Table(f"compare_{name}", title, tuple(printed), shown, note=EXPLORATORY)
    return tb.Table(f"compare_{name}", title, tuple(columns), rows, note=EXPLORATORY,
                    wide=wide)


def _p(value: float) -> str:
    """A p-value as journals print it: three decimals, "< 0.001" below that."""
    if math.isnan(value):
        return "—"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _interval(d: float, low: float, high: float) -> str:
    if math.isnan(d):
        return "—"
    return f"{100 * d:+.0f} pts [{100 * low:+.0f}, {100 * high:+.0f}]"
