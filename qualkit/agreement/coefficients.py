"""Inter-coder agreement statistics as pure functions over a ratings matrix.

A *ratings matrix* has one row per unit (a segment, or a row of a ratings table) and one
column per coder. Each cell holds the category a coder gave that unit -- ``str``, ``int`` or
``float`` -- or ``None`` (or NaN) when that coder did not rate it. Every function accepts
a list of rows, a 2-D numpy array, or a :class:`CodedRatings` made once by :func:`encode`;
the last is what loops over many codes or bootstrap replicates should pass, so the labels
are looked up once. A numeric numpy array with NaN for "missing" takes a vectorised path
end to end and is the fastest input.

Choices every coefficient here shares, so that numbers stay comparable:

* **Categories.** ``categories`` declares the full category set, in order. Categories
  nobody used still count where the formula counts categories (Brennan--Prediger's and
  Gwet's *q*, the spacing of weighted kappa). Without it, the categories are those that
  occur, sorted numerically when every label is a number or a numeric string, and otherwise
  in an arbitrary but fixed order that only nominal statistics may use: ordinal alpha and
  weighted kappa then ask for the categories to be declared rather than guess that
  ``"high" < "low"``. Labels are compared with ``==``, so ``1``, ``1.0`` and ``True`` are
  one category and ``"1"`` is another.
* **Order for ordinal and weighted measures** is the rank of a category in that list, not
  its numeric value (``1, 2, 10`` are three equally spaced ranks for weighted kappa).
  Interval and ratio alpha use the numeric value of each label.
* **Missing ratings.** A unit with fewer than two ratings cannot show agreement or
  disagreement: it is left out of every observed-agreement term. Where a published
  generalisation uses single ratings for the chance term (Gwet's Fleiss kappa and AC1) it
  is followed, as documented on each function. Cohen's kappa and Scott's pi, which are
  defined for two coders rating the same units, use the units both coders rated.
* **Undefined values are NaN, never an exception.** When chance agreement is certain
  (every rating is the same category, so *p_e* = 1), kappa-type coefficients and alpha are
  0/0; Krippendorff (2011) calls alpha undefined for data without variation, and
  Cohen (1960)'s ratio has no value there. NaN says "not defined", which 1.0 would hide: a
  code that every coder always left off has shown no ability to discriminate. The same
  holds when no unit has two ratings (only :func:`summarise` raises then, having nothing
  to report). Input a user can get wrong -- fewer than two coders,
  an unknown level, a rating outside the declared categories -- raises
  :class:`~qualkit.errors.QualkitError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from qualkit.errors import QualkitError

__all__ = [
    "LEVELS",
    "WEIGHTS",
    "Category",
    "CodedRatings",
    "Level",
    "RatingsLike",
    "Weights",
    "bootstrap_ci",
    "brennan_prediger",
    "cohen_kappa",
    "encode",
    "fleiss_kappa",
    "gwet_ac1",
    "krippendorff_alpha",
    "pairable_units",
    "pairwise",
    "percent_agreement",
    "positive_agreement",
    "scott_pi",
    "summarise",
]

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


def _ratio(numerator: float, denominator: float) -> float:
    """Chance-corrected ratio (p_o - p_e) / (1 - p_e) in the form x / y; 0/0 is NaN."""
    if abs(denominator) <= _EPS or math.isnan(numerator) or math.isnan(denominator):
        return math.nan
    return float(numerator / denominator)


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


def _pair_table(coded: CodedRatings, statistic: str) -> tuple[_IntArray, int]:
    """The q x q table of two coders' joint ratings over the units both rated."""
    if coded.n_coders != 2:
        raise QualkitError(
            f"{statistic} compares exactly two coders; got {coded.n_coders} "
            "(compare each pair with pairwise())"
        )
    a, b = coded.codes[:, 0], coded.codes[:, 1]
    both = (a >= 0) & (b >= 0)
    q = coded.q
    table = np.bincount(a[both] * q + b[both], minlength=q * q).reshape(q, q)
    return table, int(both.sum())


def _agreement_weights(q: int, weights: str | None) -> _FloatArray:
    """Agreement weights w_ij (1 on the diagonal) on category ranks 0..q-1.

    Linear: 1 - |i-j|/(q-1); quadratic: 1 - (i-j)^2/(q-1)^2 (Fleiss, Levin & Paik 2003,
    Statistical Methods for Rates and Proportions, 3rd ed., ch. 18; Cicchetti & Allison
    1971 for the linear form). They are Cohen (1968)'s disagreement weights v_ij rescaled
    to w_ij = 1 - v_ij / v_max, which leaves kappa_w unchanged.
    """
    if weights is None or q < 2:
        return np.eye(q) if weights is None else np.ones((q, q))
    rank = np.arange(q, dtype=np.float64)
    distance = np.abs(rank[:, None] - rank[None, :]) / (q - 1)
    return 1.0 - (distance if weights == "linear" else distance**2)


# --------------------------------------------------------------------------- statistics


def pairable_units(ratings: RatingsLike) -> int:
    """How many units have two or more ratings, i.e. can show agreement at all.

    Reports should say how many units were left out and why; this is that count's
    complement.
    """
    return int((encode(ratings).ratings_per_unit >= 2).sum())


def percent_agreement(ratings: RatingsLike, categories: Sequence[Category] | None = None) -> float:
    """Share of agreeing coder pairs, averaged over units with two or more ratings.

    Source: the observed agreement p_a of Gwet (2014, Handbook of Inter-Rater
    Reliability, 4th ed.), which for complete data is Fleiss (1971, Psychological
    Bulletin 76:378-382)'s P-bar = (1/N) sum_i P_i, P_i = sum_j n_ij (n_ij - 1) /
    (n (n - 1)). Each unit weighs the same whatever its number of ratings; for two
    coders this is the plain proportion of units on which they agree. Units with fewer
    than two ratings are left out; NaN when none is left.
    """
    return _prepare(ratings, categories).observed_agreement


def positive_agreement(
    ratings: RatingsLike, positive: Category = 1, categories: Sequence[Category] | None = None
) -> float:
    """Specific agreement on the ``positive`` category of a present/absent code.

    Why: when a code is rare, overall agreement is dominated by agreeing "absent"s;
    positive agreement asks how often one coder's "present" is matched by another's.

    Source: for two coders PA = 2a / (2a + b + c), a = both present, b and c = one of
    them (Fleiss 1975, Biometrics 31:651-659; Cicchetti & Feinstein 1990, J Clin
    Epidemiol 43:551-558, p_pos). For several coders and missing ratings, Uebersax's
    generalisation (Raw Agreement Indices, 2009): PS = sum_i n_i (n_i - 1) /
    sum_i n_i (r_i - 1) over units with r_i >= 2 ratings, n_i of them positive -- the
    share of agreeing pairs among all pairs involving a positive rating, which reduces to
    2a / (2a + b + c). Every other category counts as "absent". NaN when no unit with two
    ratings has a positive one; a ``positive`` missing from declared categories raises.
    """
    coded = _prepare(ratings, categories)
    try:
        k = coded.categories.index(positive)
    except ValueError:
        if categories is not None:
            raise QualkitError(
                f"positive category {positive!r} is not among the declared categories"
            ) from None
        return math.nan
    counts, r = coded.counts, coded.ratings_per_unit
    pairable = r >= 2
    n_pos = counts[pairable, k].astype(np.float64)
    numerator = float((n_pos * (n_pos - 1.0)).sum())
    denominator = float((n_pos * (r[pairable] - 1.0)).sum())
    return math.nan if denominator == 0 else numerator / denominator


def cohen_kappa(
    ratings: RatingsLike,
    categories: Sequence[Category] | None = None,
    weights: Weights | None = None,
) -> float:
    """Cohen's kappa for exactly two coders, optionally weighted for ordered categories.

    Source: Cohen (1960), Educational and Psychological Measurement 20:37-46,
    kappa = (p_o - p_c) / (1 - p_c) with chance agreement
    p_c = sum_k p_k. * p_.k, the sum over *all* categories of the products of the two
    coders' own marginal proportions. (One popular tool computes p_c for a yes/no code
    as P_yes x P_no; that is not Cohen's chance agreement, and its kappas are wrong. This
    is the textbook one.) Weighted: Cohen (1968), Psychological Bulletin 70:213-220,
    kappa_w = 1 - sum v_ij p_ij / sum v_ij p_i. p_.j, computed here with the equivalent
    agreement weights w_ij of :func:`_agreement_weights` on the ranks of the declared (or
    numerically sorted) categories, so ``categories`` decides both the order and the
    spacing: an unused category in the middle of a scale widens the gaps around it.

    Units that either coder did not rate are left out (listwise). NaN when p_c = 1 (both
    coders used one and the same category throughout), following Cohen's ratio being 0/0.
    """
    _check_weights(weights)
    coded = _prepare(ratings, categories)
    if weights is not None:
        _need_order(coded, "weighted kappa")
    table, n = _pair_table(coded, "Cohen's kappa")
    if n == 0:
        return math.nan
    w = _agreement_weights(coded.q, weights)
    rows, cols = table.sum(axis=1).astype(np.float64), table.sum(axis=0).astype(np.float64)
    p_o = float((w * table).sum()) / n
    p_e = float(rows @ w @ cols) / (n * n)
    return _ratio(p_o - p_e, 1.0 - p_e)


def scott_pi(ratings: RatingsLike, categories: Sequence[Category] | None = None) -> float:
    """Scott's pi for exactly two coders.

    Source: Scott (1955), Public Opinion Quarterly 19:321-325, pi = (P_o - P_e) /
    (1 - P_e) with P_e = sum_k p_k^2, where p_k is the share of category k among *both*
    coders' ratings pooled -- unlike Cohen, the coders are assumed to share one
    distribution. Units that either coder did not rate are left out (listwise); use
    :func:`fleiss_kappa` or :func:`krippendorff_alpha` to keep partly rated units. NaN
    when P_e = 1.
    """
    coded = _prepare(ratings, categories)
    table, n = _pair_table(coded, "Scott's pi")
    if n == 0:
        return math.nan
    p_o = float(np.trace(table)) / n
    pooled = (table.sum(axis=1) + table.sum(axis=0)) / (2.0 * n)
    p_e = float((pooled**2).sum())
    return _ratio(p_o - p_e, 1.0 - p_e)


def fleiss_kappa(ratings: RatingsLike, categories: Sequence[Category] | None = None) -> float:
    """Fleiss' kappa for any number of coders, with missing ratings.

    Source: Fleiss (1971), Psychological Bulletin 76:378-382: kappa = (P-bar - P-bar_e) /
    (1 - P-bar_e), P-bar_e = sum_j p_j^2. Fleiss defined it for a fixed number of ratings
    per unit; for missing ratings this uses the generalisation in Gwet (2014, Handbook of
    Inter-Rater Reliability, 4th ed.; implemented as irrCAC's ``fleiss.kappa.raw``):
    P-bar becomes p_a over units with at least two ratings (:func:`percent_agreement`),
    and p_j becomes pi_j = (1/n) sum_i r_ij / r_i over units with at least one rating.
    No unit is dropped for having fewer ratings than others. With complete data this is
    exactly Fleiss (1971). NaN when P-bar_e = 1.
    """
    coded = _prepare(ratings, categories)
    p_a = coded.observed_agreement
    p_e = float((coded.classification_shares**2).sum())
    return _ratio(p_a - p_e, 1.0 - p_e)


def gwet_ac1(ratings: RatingsLike, categories: Sequence[Category] | None = None) -> float:
    """Gwet's AC1 for any number of coders, with missing ratings.

    Why: kappa's chance term grows as one category dominates, so a rare code can show
    high agreement and near-zero kappa (the kappa paradoxes); AC1 bounds chance agreement
    by the probability that a rating is random, which it estimates from how far the
    category shares are from uniform.

    Source: Gwet (2008), British Journal of Mathematical and Statistical Psychology
    61:29-48, multi-rater AC1 = (p_a - p_e) / (1 - p_e) with
    p_e = (1 / (q - 1)) sum_k pi_k (1 - pi_k); p_a and pi_k as in :func:`fleiss_kappa`
    (Gwet 2014, Handbook, for missing ratings). q is the number of categories --
    declared ones included -- so declaring unused categories changes AC1. NaN when
    q < 2 (chance agreement on a one-category scale is certain, 0/0) or no unit has two
    ratings. When every rating is one category of several, p_e = 0 and AC1 = 1.
    """
    coded = _prepare(ratings, categories)
    if coded.q < 2:
        return math.nan
    p_a = coded.observed_agreement
    pi = coded.classification_shares
    p_e = float((pi * (1.0 - pi)).sum()) / (coded.q - 1)
    return _ratio(p_a - p_e, 1.0 - p_e)


def brennan_prediger(ratings: RatingsLike, categories: Sequence[Category] | None = None) -> float:
    """Brennan--Prediger's free-marginal kappa: chance agreement 1/q.

    Source: Brennan & Prediger (1981), Educational and Psychological Measurement
    41:687-699, kappa_n = (p_o - 1/q) / (1 - 1/q), for coders whose marginals are not
    fixed in advance; p_o is :func:`percent_agreement` (Gwet 2014, Handbook, for several
    coders and missing ratings). q counts the declared categories, used or not -- the
    reason ``categories`` exists. NaN when q < 2.
    """
    coded = _prepare(ratings, categories)
    if coded.q < 2:
        return math.nan
    p_a = coded.observed_agreement
    p_e = 1.0 / coded.q
    return _ratio(p_a - p_e, 1.0 - p_e)


def _delta_squared(coded: CodedRatings, level: str, n_c: _FloatArray) -> _FloatArray:
    """Krippendorff (2011)'s difference functions metric-delta^2_ck over the q categories."""
    q = coded.q
    if level == "nominal":
        return 1.0 - np.eye(q)
    if level == "ordinal":
        _need_order(coded, "ordinal alpha")
        # (sum_{g=c..k} n_g - (n_c + n_k)/2)^2 on category ranks, n_g the coincidence
        # margins: written with cumulative sums so it is one vectorised expression.
        cumulative = np.cumsum(n_c)
        spread = cumulative[None, :] - cumulative[:, None] + (n_c[:, None] - n_c[None, :]) / 2
        return np.asarray(spread**2, dtype=np.float64)
    values = _numeric_values(coded, level)
    difference = values[:, None] - values[None, :]
    if level == "interval":
        return np.asarray(difference**2, dtype=np.float64)
    if (values < 0).any():
        raise QualkitError("ratio alpha needs non-negative values")
    total = values[:, None] + values[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(total > 0, difference / np.where(total > 0, total, 1.0), 0.0)
    return np.asarray(ratio**2, dtype=np.float64)


def krippendorff_alpha(
    ratings: RatingsLike, level: Level = "nominal", categories: Sequence[Category] | None = None
) -> float:
    """Krippendorff's alpha at any level of measurement, with missing ratings.

    Source: Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability",
    University of Pennsylvania, Annenberg School for Communication Departmental Papers 43
    (the coincidence-matrix method; also Krippendorff 2004, Content Analysis, 2nd ed.,
    pp. 221-243): alpha = 1 - D_o / D_e = 1 - (n - 1) sum_ck o_ck delta^2_ck /
    sum_ck n_c n_k delta^2_ck, with coincidences o_ck = sum_u (number of c-k pairs in
    unit u) / (m_u - 1) over units with m_u >= 2 values, n_c the coincidence margins and
    n the number of pairable values. Difference functions: nominal 0/1; ordinal
    (sum_{g=c}^{k} n_g - (n_c + n_k)/2)^2 on the category order; interval (c - k)^2 and
    ratio ((c - k)/(c + k))^2 on the labels' numeric values.

    Units with a single value are unpairable and ignored, as Krippendorff prescribes.
    NaN when D_e = 0 -- every pairable value the same -- which Krippendorff (2011) leaves
    undefined because data without variation cannot show reliability.
    """
    _check_level(level)
    coded = _prepare(ratings, categories)
    m_u = coded.ratings_per_unit
    pairable = m_u >= 2
    if not pairable.any():
        return math.nan
    c = coded.counts.astype(np.float64)
    # Each unit's pairs weigh 1/(m_u - 1); unpairable units get weight 0 and drop out.
    weight = np.divide(1.0, m_u - 1.0, out=np.zeros(len(m_u)), where=pairable)
    coincidence = c.T @ (c * weight[:, None])
    coincidence[np.diag_indices_from(coincidence)] -= weight @ c
    n_c = pairable.astype(np.float64) @ c
    n = float(n_c.sum())
    delta2 = _delta_squared(coded, level, n_c)
    expected = float(n_c @ delta2 @ n_c)
    observed = float((coincidence * delta2).sum())
    if expected <= _EPS * max(n * n, 1.0):
        return math.nan
    return 1.0 - (n - 1.0) * observed / expected


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
