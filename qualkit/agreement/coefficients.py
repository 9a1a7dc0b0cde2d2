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
from collections.abc import Sequence

import numpy as np

from qualkit.agreement.encoding import (
    _EPS,
    Category,
    CodedRatings,
    Level,
    RatingsLike,
    Weights,
    _check_level,
    _check_weights,
    _FloatArray,
    _IntArray,
    _need_order,
    _numeric_values,
    _prepare,
    encode,
)
from qualkit.errors import QualkitError

# --------------------------------------------------------------------------- shared terms


def _ratio(numerator: float, denominator: float) -> float:
    """Chance-corrected ratio (p_o - p_e) / (1 - p_e) in the form x / y; 0/0 is NaN."""
    if abs(denominator) <= _EPS or math.isnan(numerator) or math.isnan(denominator):
        return math.nan
    return float(numerator / denominator)


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
