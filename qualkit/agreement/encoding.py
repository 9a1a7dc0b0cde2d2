"""Ratings matrices as the coefficients read them: labels encoded once into counts.

The choices that make numbers comparable (categories, missing ratings, levels) are
set out in :mod:`qualkit.agreement.coefficients`; this module applies them.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from qualkit.errors import QualkitError

Category: TypeAlias = str | int | float
Level: TypeAlias = Literal["nominal", "ordinal", "interval", "ratio"]
Weights: TypeAlias = Literal["linear", "quadratic"]
LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")
WEIGHTS: tuple[str, ...] = ("linear", "quadratic")

_Order = Literal["declared", "numeric", "none"]
_IntArray: TypeAlias = npt.NDArray[np.int64]
_FloatArray: TypeAlias = npt.NDArray[np.float64]

# 1 - p_e below this is treated as zero: the coefficient is 0/0 (see module docstring).
_EPS = 1e-12
# Past this many distinct values the (units x categories) count matrix stops being small;
# the statistics here are for category systems and rating scales, not measurements.
_MAX_CATEGORIES = 10_000


@dataclass(frozen=True, eq=False)
class CodedRatings:
    """A ratings matrix with its labels replaced by integer codes, made by :func:`encode`.

    It exists so that labels are hashed once however many statistics, codes or bootstrap
    replicates use the same data. ``codes[u, c]`` is the index into ``categories`` of coder
    ``c``'s rating of unit ``u``, or -1 when missing. ``order`` records whether the order
    of ``categories`` means anything: ``"declared"`` (given by the user), ``"numeric"``
    (sorted by value) or ``"none"`` (only nominal statistics may use it).
    """

    codes: _IntArray
    categories: tuple[Category, ...]
    order: _Order

    def __post_init__(self) -> None:
        if self.codes.ndim != 2:
            raise QualkitError("ratings must be a 2-D table: units x coders")
        # The cached counts below are only right while the codes cannot change.
        self.codes.setflags(write=False)

    @property
    def n_units(self) -> int:
        return int(self.codes.shape[0])

    @property
    def n_coders(self) -> int:
        return int(self.codes.shape[1])

    @property
    def q(self) -> int:
        """The number of categories, declared or observed."""
        return len(self.categories)

    @cached_property
    def counts(self) -> _IntArray:
        """``counts[u, k]``: how many coders put unit ``u`` in category ``k``.

        Every multi-coder coefficient is a function of this matrix (Fleiss 1971's n_ij), so
        computing it once per dataset makes them all a few vectorised passes.
        """
        n, q = self.n_units, self.q
        if q <= 8:  # a few comparisons per coder column beat building flat indices
            counts = np.empty((n, q), dtype=np.int64)
            for k in range(q):
                column = np.zeros(n, dtype=np.int64)
                for coder in range(self.n_coders):
                    column += self.codes[:, coder] == k
                counts[:, k] = column
            return counts
        # Slot 0 of each unit's q + 1 bins collects the missing ratings (code -1).
        flat = np.arange(n, dtype=np.int64)[:, None] * (q + 1) + (self.codes + 1)
        return np.bincount(flat.ravel(), minlength=n * (q + 1)).reshape(n, q + 1)[:, 1:]

    @cached_property
    def ratings_per_unit(self) -> _IntArray:
        """r_i (Krippendorff's m_u): how many coders rated each unit."""
        return np.asarray(self.counts.sum(axis=1), dtype=np.int64)

    @cached_property
    def observed_agreement(self) -> float:
        """Gwet's p_a, shared by four coefficients; see :func:`_observed_agreement`."""
        return _observed_agreement(self.counts, self.ratings_per_unit)

    @cached_property
    def classification_shares(self) -> _FloatArray:
        """Gwet's pi_k, shared by Fleiss' kappa and AC1; see :func:`_classification_shares`."""
        return _classification_shares(self.counts, self.ratings_per_unit)

    def take(self, units: npt.ArrayLike) -> CodedRatings:
        """The same coders and categories over a selection (with repeats) of units.

        Keeping the category list fixed matters for resampling: a bootstrap replicate in
        which a rare category happens not to appear must still count it in *q*.
        """
        return CodedRatings(
            self.codes[np.asarray(units, dtype=np.int64)], self.categories, self.order
        )

    def columns(self, coders: Sequence[int]) -> CodedRatings:
        """The same units and categories for a subset of coders (e.g. one pair)."""
        return CodedRatings(self.codes[:, list(coders)], self.categories, self.order)


RatingsLike: TypeAlias = Sequence[Sequence[Category | None]] | npt.NDArray[Any] | CodedRatings


# --------------------------------------------------------------------------- encoding


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def _as_python(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _numeric_string(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _observed_order(labels: Iterable[Hashable]) -> tuple[list[Any], _Order]:
    """Sort observed labels so that ordinal statistics can use them when that is safe."""
    values: list[Any] = list(labels)
    if all(isinstance(v, int | float | np.number) for v in values):
        return sorted(values), "numeric"
    if all(isinstance(v, str) for v in values):
        numbers = [_numeric_string(v) for v in values]
        if all(x is not None for x in numbers):
            pairs = sorted(zip(numbers, values, strict=True))
            return [v for _, v in pairs], "numeric"
    return sorted(values, key=lambda v: (type(v).__name__, str(v))), "none"


def _check_declared(categories: Sequence[Category]) -> dict[Any, int]:
    if isinstance(categories, str):
        raise QualkitError("categories must be a list of labels, not one string")
    index: dict[Any, int] = {}
    for position, label in enumerate(categories):
        if _is_missing(label):
            raise QualkitError("the declared categories include an empty (missing) label")
        try:
            if label in index:
                raise QualkitError(f"category {label!r} is declared twice")
        except TypeError:
            raise QualkitError(
                f"categories must be text or numbers, not {type(label).__name__}"
            ) from None
        index[_as_python(label)] = position
    if not index:
        raise QualkitError("the declared category list is empty")
    return index


def _not_declared(label: object) -> QualkitError:
    return QualkitError(f"rating {label!r} is not among the declared categories")


def _numeric_codes(arr: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], _IntArray]:
    """The sorted distinct values of a numeric matrix and each cell's index among them.

    NaN cells get -1. Small integer codes (present/absent 0/1 for every segment, rating
    scales) are counted in linear time rather than sorted: this runs once per code, and
    sorting 300k cells per code would dominate a project-wide run.
    """
    missing = np.isnan(arr) if arr.dtype.kind == "f" else None
    has_value = missing is None or not bool(missing.all())
    if has_value and arr.size:
        with np.errstate(invalid="ignore"):
            low = np.nanmin(arr) if missing is not None else arr.min()
            high = np.nanmax(arr) if missing is not None else arr.max()
            whole = arr.dtype.kind in "biu" or bool(
                np.array_equal(np.floor(arr), arr, equal_nan=True)
            )
        if whole and float(high) - float(low) < 1_000_000:
            shifted = (
                arr.astype(np.int64) - int(low) + 1
                if missing is None
                else np.where(missing, 0, arr - low + 1).astype(np.int64)
            )
            used = np.flatnonzero(np.bincount(shifted.ravel())[1:])
            lookup = np.full(int(used[-1]) + 2, -1, dtype=np.int64)
            lookup[used + 1] = np.arange(len(used))
            uniq = used.astype(bool) if arr.dtype.kind == "b" else (used + low).astype(arr.dtype)
            return uniq, lookup[shifted]
    valid = np.ones(arr.shape, dtype=bool) if missing is None else ~missing
    uniq, inverse = np.unique(arr[valid], return_inverse=True)
    codes = np.full(arr.shape, -1, dtype=np.int64)
    codes[valid] = inverse
    return uniq, codes


def _encode_numeric(arr: npt.NDArray[Any], categories: Sequence[Category] | None) -> CodedRatings:
    uniq, codes = _numeric_codes(arr)
    if categories is None:
        return CodedRatings(codes, tuple(_as_python(u) for u in uniq), "numeric")
    index = _check_declared(categories)
    lookup = np.empty(len(uniq) + 1, dtype=np.int64)
    lookup[-1] = -1  # codes of -1 (missing) index the last slot and stay -1
    for i, value in enumerate(uniq):
        label = _as_python(value)
        if label not in index:
            raise _not_declared(label)
        lookup[i] = index[label]
    return CodedRatings(lookup[codes], tuple(_as_python(c) for c in categories), "declared")


def _flatten_rows(ratings: Sequence[Sequence[Category | None]]) -> tuple[list[Any], int, int]:
    if isinstance(ratings, str | bytes):
        raise QualkitError("ratings must be a table: one row per unit, one column per coder")
    rows = list(ratings)
    width: int | None = None
    flat: list[Any] = []
    for number, row in enumerate(rows, start=1):
        if isinstance(row, str | bytes) or not isinstance(row, Sequence | np.ndarray):
            raise QualkitError(f"ratings must be a table: unit {number} is not a row of ratings")
        if width is None:
            width = len(row)
        elif len(row) != width:
            raise QualkitError(
                f"every unit needs one cell per coder: unit {number} has {len(row)} "
                f"cells, unit 1 has {width}"
            )
        flat.extend(row)
    return flat, len(rows), width or 0


def encode(ratings: RatingsLike, categories: Sequence[Category] | None = None) -> CodedRatings:
    """Turn a ratings matrix into integer codes once, checking it on the way.

    Encoding is the only step that touches labels one by one (numeric numpy arrays are
    encoded in vectorised form instead); doing it once lets
    :func:`summarise`, :func:`bootstrap_ci` and per-code loops reuse the result. Passing a
    :class:`CodedRatings` with ``categories`` re-maps it onto the declared list.
    """
    if isinstance(ratings, CodedRatings):
        return ratings if categories is None else _recode(ratings, categories)
    if isinstance(ratings, np.ndarray) and ratings.dtype.kind in "biuf":
        if ratings.ndim != 2:
            raise QualkitError("ratings must be a 2-D table: units x coders")
        coded = _encode_numeric(ratings, categories)
    else:
        if isinstance(ratings, np.ndarray):
            if ratings.ndim != 2:
                raise QualkitError("ratings must be a 2-D table: units x coders")
            flat, n, m = ratings.ravel().tolist(), ratings.shape[0], ratings.shape[1]
        else:
            flat, n, m = _flatten_rows(ratings)
        coded = _encode_objects(flat, n, m, categories)
    if coded.q > _MAX_CATEGORIES:
        raise QualkitError(
            f"the ratings have {coded.q} distinct values; agreement statistics here are "
            f"for categories and rating scales (at most {_MAX_CATEGORIES})"
        )
    return coded


def _encode_objects(
    flat: list[Any], n: int, m: int, categories: Sequence[Category] | None
) -> CodedRatings:
    declared = None if categories is None else _check_declared(categories)
    index: dict[Any, int] = {} if declared is None else declared
    flat_codes = np.empty(len(flat), dtype=np.int64)
    for i, value in enumerate(flat):
        if _is_missing(value):
            flat_codes[i] = -1
            continue
        try:
            code = index.get(value)
        except TypeError:
            raise QualkitError(
                f"ratings must be text or numbers, not {type(value).__name__}"
            ) from None
        if code is None:
            if declared is not None:
                raise _not_declared(_as_python(value))
            code = index[_as_python(value)] = len(index)
        flat_codes[i] = code
    codes = flat_codes.reshape(n, m)
    if declared is not None:
        assert categories is not None
        return CodedRatings(codes, tuple(_as_python(c) for c in categories), "declared")
    labels, order = _observed_order(index)
    if not labels:
        return CodedRatings(codes, (), "numeric")
    # Re-number the codes from first-seen order to sorted order in one vectorised step.
    permutation = np.empty(len(labels), dtype=np.int64)
    for new, label in enumerate(labels):
        permutation[index[label]] = new
    valid = codes >= 0
    codes[valid] = permutation[codes[valid]]
    return CodedRatings(codes, tuple(labels), order)


def _recode(coded: CodedRatings, categories: Sequence[Category]) -> CodedRatings:
    index = _check_declared(categories)
    used = np.unique(coded.codes[coded.codes >= 0])
    mapping = np.full(max(coded.q, 1), -1, dtype=np.int64)
    for old in used.tolist():
        label = coded.categories[old]
        if label not in index:
            raise _not_declared(label)
        mapping[old] = index[label]
    codes = np.where(coded.codes >= 0, mapping[np.maximum(coded.codes, 0)], -1)
    return CodedRatings(codes, tuple(_as_python(c) for c in categories), "declared")


def _prepare(ratings: RatingsLike, categories: Sequence[Category] | None) -> CodedRatings:
    coded = encode(ratings, categories)
    if coded.n_coders < 2:
        raise QualkitError(
            f"agreement needs ratings from at least two coders; got {coded.n_coders}"
        )
    return coded


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise QualkitError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")


def _check_weights(weights: str | None) -> None:
    if weights is not None and weights not in WEIGHTS:
        raise QualkitError(f"unknown weights {weights!r}; use linear or quadratic")


def _need_order(coded: CodedRatings, what: str) -> None:
    if coded.order == "none":
        raise QualkitError(
            f"{what} needs the categories in order; the labels are not all numbers, so "
            "declare the categories in order"
        )


def _numeric_values(coded: CodedRatings, level: str) -> _FloatArray:
    values = np.empty(coded.q, dtype=np.float64)
    for i, label in enumerate(coded.categories):
        try:
            values[i] = float(label)
        except (TypeError, ValueError):
            raise QualkitError(
                f"{level} alpha needs numeric categories; {label!r} is not a number"
            ) from None
        if not math.isfinite(values[i]):
            raise QualkitError(f"{level} alpha needs finite numbers; got {label!r}")
    return values


# --------------------------------------------------------------------------- shared terms


def _observed_agreement(counts: _IntArray, r: _IntArray) -> float:
    """Gwet's p_a: over units with two or more ratings, the mean share of agreeing pairs.

    Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed. (the generalisation of
    Fleiss 1971's P-bar to unequal numbers of ratings per unit; irrCAC's ``pa``):
    p_a = (1/n') sum_i sum_k r_ik (r_ik - 1) / (r_i (r_i - 1)) over the n' units with
    r_i >= 2. With no missing ratings this is Fleiss' P-bar, and for two coders the share
    of units on which they agree.
    """
    pairable = r >= 2
    n_pairable = int(pairable.sum())
    if n_pairable == 0:
        return math.nan
    agreeing_pairs = (counts * (counts - 1)).sum(axis=1)
    all_pairs = r * (r - 1)
    per_unit = np.divide(agreeing_pairs, all_pairs, out=np.zeros(len(r)), where=pairable)
    return float(per_unit.sum() / n_pairable)


def _classification_shares(counts: _IntArray, r: _IntArray) -> _FloatArray:
    """Gwet's pi_k: over units with at least one rating, the mean share in category k.

    Gwet (2014, Handbook): pi_k = (1/n) sum_i r_ik / r_i. Units rated once do inform how
    often a category is used, so they enter here though not in p_a. With no missing
    ratings this is Fleiss (1971)'s p_j.
    """
    rated = r >= 1
    n_rated = int(rated.sum())
    if n_rated == 0:
        return np.zeros(counts.shape[1])
    inverse = np.divide(1.0, r, out=np.zeros(len(r)), where=rated)
    return np.asarray(inverse @ counts, dtype=np.float64) / n_rated
