"""Coefficients combined: every pair of coders, bootstrap intervals, and the summary
of every coefficient that applies to one ratings matrix."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from qualkit.agreement.coefficients import (
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    pairable_units,
    percent_agreement,
    scott_pi,
)
from qualkit.agreement.encoding import (
    Category,
    CodedRatings,
    Level,
    RatingsLike,
    Weights,
    _check_level,
    _check_weights,
    _FloatArray,
    _prepare,
    encode,
)
from qualkit.errors import QualkitError

# --------------------------------------------------------------------------- combinations


def pairwise(
    statistic: Callable[[CodedRatings], float],
    ratings: RatingsLike,
    categories: Sequence[Category] | None = None,
) -> _FloatArray:
    """The coders x coders matrix of a two-coder statistic (e.g. Cohen's kappa per pair).

    Symmetric, with NaN on the diagonal. Each pair uses the units both of them rated.
    """
    coded = _prepare(ratings, categories)
    m = coded.n_coders
    matrix = np.full((m, m), math.nan)
    for i in range(m):
        for j in range(i + 1, m):
            matrix[i, j] = matrix[j, i] = float(statistic(coded.columns([i, j])))
    return matrix


def bootstrap_ci(
    statistic: Callable[[CodedRatings], float],
    ratings: RatingsLike,
    n: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval, resampling units with replacement.

    Why units: they are the sampled entities of a reliability study, while the coders
    are the fixed instrument under test. The percentile method (Efron & Tibshirani 1993,
    An Introduction to the Bootstrap, ch. 13) takes the (1-level)/2 and (1+level)/2
    quantiles (numpy's default linear interpolation) of the ``n`` replicate values.

    ``statistic`` receives a :class:`CodedRatings` (every statistic here accepts one), so
    wrap options with ``functools.partial``. The categories of the full data are kept
    in every replicate. Replicates where the statistic is undefined (NaN) are dropped
    before taking quantiles; if all are, the interval is (NaN, NaN). The same ``seed``
    gives the same interval (numpy's PCG64 via ``default_rng``).
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise QualkitError(
            f"the number of bootstrap replicates must be a positive integer, not {n!r}"
        )
    if not 0.0 < level < 1.0:
        raise QualkitError(f"the confidence level must be between 0 and 1, not {level!r}")
    coded = encode(ratings)
    if coded.n_units == 0:
        raise QualkitError("cannot bootstrap agreement over zero units")
    rng = np.random.default_rng(seed)
    replicates = np.empty(int(n), dtype=np.float64)
    for b in range(int(n)):
        sample = rng.integers(0, coded.n_units, size=coded.n_units)
        replicates[b] = float(statistic(coded.take(sample)))
    return percentile_interval(replicates, level)


def percentile_interval(replicates: _FloatArray, level: float) -> tuple[float, float]:
    """The central ``level`` share of the finite bootstrap replicates (NaN, NaN when none
    is finite): one definition for :func:`bootstrap_ci` and project agreement's intervals."""
    finite = replicates[~np.isnan(replicates)]
    if finite.size == 0:
        return math.nan, math.nan
    low, high = np.quantile(finite, [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
    return float(low), float(high)


def summarise(
    ratings: RatingsLike,
    level: Level = "nominal",
    categories: Sequence[Category] | None = None,
    weights: Weights | None = None,
) -> dict[str, float | int]:
    """Every coefficient that applies to the data, keyed as ``qualkit agreement --json``.

    Keys: ``percent_agreement``, ``cohen_kappa`` and ``scott_pi`` (two coders only),
    ``fleiss_kappa``, ``krippendorff_alpha`` (at ``level``), ``gwet_ac1``,
    ``brennan_prediger``, ``n_units`` (rows of the matrix, rated or not) and
    ``n_coders``. ``weights`` applies to Cohen's kappa only, so asking for it with more
    than two coders is an error rather than silently ignored. Coefficient values may be
    NaN where undefined (see the module docstring). Raises when no unit has two ratings,
    because then there is nothing to report.
    """
    _check_level(level)
    _check_weights(weights)
    coded = _prepare(ratings, categories)
    if weights is not None and coded.n_coders != 2:
        raise QualkitError(
            f"weighted kappa is Cohen's, for exactly two coders; got {coded.n_coders}"
        )
    if coded.n_units == 0:
        raise QualkitError("there are no units to compare")
    if pairable_units(coded) == 0:
        raise QualkitError("no unit was rated by two or more coders")
    result: dict[str, float | int] = {"percent_agreement": percent_agreement(coded)}
    if coded.n_coders == 2:
        result["cohen_kappa"] = cohen_kappa(coded, weights=weights)
        result["scott_pi"] = scott_pi(coded)
    result["fleiss_kappa"] = fleiss_kappa(coded)
    result["krippendorff_alpha"] = krippendorff_alpha(coded, level=level)
    result["gwet_ac1"] = gwet_ac1(coded)
    result["brennan_prediger"] = brennan_prediger(coded)
    result["n_units"] = coded.n_units
    result["n_coders"] = coded.n_coders
    return result
