"""Agreement statistics against published worked examples, plus their invariants.

Every expected number below comes from a published source named in the comment next to
it (a paper, a textbook's worked example, or the output printed in a reference package's
documentation); none is produced by qualkit. Data sets are written as they appear in the
source -- coders as rows where the source does so -- and turned into qualkit's
units x coders layout by the helpers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from functools import partial

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from qualkit.agreement import (
    LEVELS,
    CodedRatings,
    bootstrap_ci,
    brennan_prediger,
    cohen_kappa,
    encode,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    pairable_units,
    pairwise,
    percent_agreement,
    positive_agreement,
    scott_pi,
    summarise,
)
from qualkit.errors import QualkitError

N = None  # a missing rating, to keep the published tables readable

# ------------------------------------------------------------------------------ data sets


def by_units(coder_rows: Sequence[Sequence[object]]) -> list[list[object]]:
    """Turn a coders x units table (as printed in the sources) into units x coders."""
    return [list(unit) for unit in zip(*coder_rows, strict=True)]


def from_table(table: Sequence[Sequence[int]], labels: Sequence[object]) -> list[list[object]]:
    """Expand a two-coder contingency table (rows: coder 1, columns: coder 2) to ratings."""
    return [
        [labels[i], labels[j]]
        for i, row in enumerate(table)
        for j, count in enumerate(row)
        for _ in range(count)
    ]


def from_distribution(
    rows: Sequence[Sequence[int]], labels: Sequence[object]
) -> list[list[object]]:
    """Expand Fleiss' subjects x categories counts to one rating per (anonymous) coder.

    Which coder gave which rating is not recorded in that layout; the multi-coder
    coefficients tested with it do not depend on it.
    """
    return [
        [label for label, count in zip(labels, row, strict=True) for _ in range(count)]
        for row in rows
    ]


# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the reliability data
# of the worked example with 4 observers (A-D), 12 units and missing values.
KRIPPENDORFF_2011 = by_units(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],  # observer A
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],  # observer B
        [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],  # observer C
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],  # observer D
    ]
)

# Krippendorff (2011), section on binary data, two observers, no missing data.
KRIPPENDORFF_2011_BINARY = by_units(
    [
        [0, 1, 0, 0, 0, 0, 0, 0, 1, 0],
        [1, 1, 1, 0, 0, 1, 0, 0, 0, 0],
    ]
)

# Krippendorff (2011), section on nominal data, two observers, no missing data.
KRIPPENDORFF_2011_NOMINAL = by_units(
    [
        list("aabbdcccedda"),
        list("babbbccceddd"),
    ]
)

# Wikipedia, "Krippendorff's alpha", computational example: 3 coders x 15 units.
WIKIPEDIA_KRIPPENDORFF = by_units(
    [
        [N, N, N, N, N, 3, 4, 1, 2, 1, 1, 3, 3, N, 3],
        [1, N, 2, 1, 3, 3, 4, 3, N, N, N, N, N, N, N],
        [N, N, 2, 1, 3, 4, 4, N, 2, 1, 1, 3, 3, N, 4],
    ]
)

# Fleiss (1971), Psychological Bulletin 76:378-382, Table 1: 30 patients, 6 diagnoses
# each, categories 1 depression, 2 personality disorder, 3 schizophrenia, 4 neurosis,
# 5 other (the raw form distributed as `diagnoses` in R's irr package).
FLEISS_1971 = [
    [4, 4, 4, 4, 4, 4],
    [2, 2, 2, 5, 5, 5],
    [2, 3, 3, 3, 3, 5],
    [5, 5, 5, 5, 5, 5],
    [2, 2, 2, 4, 4, 4],
    [1, 1, 3, 3, 3, 3],
    [3, 3, 3, 3, 5, 5],
    [1, 1, 3, 3, 3, 4],
    [1, 1, 4, 4, 4, 4],
    [5, 5, 5, 5, 5, 5],
    [1, 4, 4, 4, 4, 4],
    [1, 2, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 3],
    [1, 4, 4, 4, 4, 4],
    [2, 2, 4, 4, 4, 5],
    [3, 3, 3, 3, 3, 5],
    [1, 1, 1, 4, 5, 5],
    [1, 1, 1, 1, 1, 2],
    [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5],
    [2, 4, 4, 4, 4, 4],
    [2, 2, 4, 5, 5, 5],
    [1, 1, 4, 4, 4, 4],
    [1, 4, 4, 4, 4, 5],
    [2, 2, 2, 2, 2, 4],
    [1, 1, 1, 1, 5, 5],
    [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 3, 3, 3],
    [5, 5, 5, 5, 5, 5],
]

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories.
WIKIPEDIA_FLEISS = from_distribution(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ],
    [1, 2, 3, 4, 5],
)

# Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed.: 15 psychiatric patients, 6
# raters, distribution of raters by category -- `distrib.6raters` in Gwet's irrCAC.
GWET_6_RATERS = from_distribution(
    [
        [0, 0, 0, 6, 0],
        [0, 3, 0, 0, 3],
        [0, 1, 4, 0, 1],
        [0, 0, 0, 0, 6],
        [0, 3, 0, 3, 0],
        [2, 0, 4, 0, 0],
        [0, 0, 4, 0, 2],
        [2, 0, 3, 1, 0],
        [2, 0, 0, 4, 0],
        [0, 0, 0, 0, 6],
        [1, 0, 0, 5, 0],
        [1, 1, 0, 4, 0],
        [0, 3, 3, 0, 0],
        [1, 0, 0, 5, 0],
        [0, 2, 0, 3, 1],
    ],
    ["depression", "personality disorder", "schizophrenia", "neurosis", "other"],
)

# Gwet (2014), Handbook, 4th ed.: two abstractors classifying 100 pregnancies --
# `cont3x3abstractors` in irrCAC (rows: abstractor 1, columns: abstractor 2).
ABSTRACTOR_LABELS = ["Ectopic", "AIU", "NIU"]
GWET_ABSTRACTORS = from_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]], ABSTRACTOR_LABELS)

# SAS/STAT PROC FREQ AGREE example printout, as reproduced in statsmodels' test suite
# (statsmodels/stats/tests/test_inter_rater.py, `table10`).
SAS_TABLE = from_table([[0, 4, 1], [0, 8, 0], [0, 1, 5]], [1, 2, 3])

# R package irr, data set `anxiety` (20 subjects, 3 raters, scale 1-6), raters 2 and 3.
ANXIETY_RATERS_2_3 = by_units(
    [
        [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4],
        [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2],
    ]
)

# Wikipedia, "Cohen's kappa", simple example: 50 grant proposals read by two readers,
# both yes 20, A yes/B no 5, A no/B yes 10, both no 15.
WIKIPEDIA_COHEN = from_table([[20, 5], [10, 15]], ["yes", "no"])


def close(actual: float, expected: float, places: int) -> bool:
    return round(actual, places) == pytest.approx(expected, abs=10.0 ** -(places + 2))


# ------------------------------------------------------------------------ published values


class TestKrippendorffAlpha:
    @pytest.mark.parametrize(
        ("level", "expected"),
        [
            ("nominal", 0.743),  # Krippendorff (2011), 4 observers x 12 units, nominal
            ("ordinal", 0.815),  # Krippendorff (2011), same data, ordinal metric
            ("interval", 0.849),  # Krippendorff (2011), same data, interval metric
            ("ratio", 0.797),  # Krippendorff (2011), same data, ratio metric
        ],
    )
    def test_krippendorff_2011_worked_example(self, level: str, expected: float) -> None:
        assert close(krippendorff_alpha(KRIPPENDORFF_2011, level), expected, 3)

    def test_same_example_to_five_places(self) -> None:
        # Gwet's irrCAC README, krippen.alpha.raw(cac.raw4raters) (the same 12 x 4 data):
        # coeff.val 0.74342; the quadratic-weighted (= interval) value in irrCAC's
        # weighting vignette is 0.84911.
        assert close(krippendorff_alpha(KRIPPENDORFF_2011), 0.74342, 5)
        assert close(krippendorff_alpha(KRIPPENDORFF_2011, "interval"), 0.84911, 5)

    def test_binary_two_observers(self) -> None:
        # Krippendorff (2011), binary data, two observers: alpha = 0.095.
        assert close(krippendorff_alpha(KRIPPENDORFF_2011_BINARY), 0.095, 3)

    def test_nominal_two_observers(self) -> None:
        # Krippendorff (2011), nominal data, two observers: alpha = 0.692.
        assert close(krippendorff_alpha(KRIPPENDORFF_2011_NOMINAL), 0.692, 3)

    def test_wikipedia_example(self) -> None:
        # Wikipedia, "Krippendorff's alpha": nominal 0.691, interval 0.811.
        assert close(krippendorff_alpha(WIKIPEDIA_KRIPPENDORFF, "nominal"), 0.691, 3)
        assert close(krippendorff_alpha(WIKIPEDIA_KRIPPENDORFF, "interval"), 0.811, 3)

    def test_gwet_six_raters(self) -> None:
        # irrCAC README, krippen.alpha.dist(distrib.6raters): 0.4204384.
        assert close(krippendorff_alpha(GWET_6_RATERS), 0.4204384, 7)

    def test_two_abstractors(self) -> None:
        # irrCAC README, krippen2.table(cont3x3abstractors): 0.7972585.
        assert close(krippendorff_alpha(GWET_ABSTRACTORS), 0.7972585, 7)

    def test_ordinal_with_declared_text_labels(self) -> None:
        # The 0.815 of Krippendorff (2011) again, with the ranks given as words in order.
        words = ["very low", "low", "mid", "high", "very high"]
        labelled = [[N if v is None else words[v - 1] for v in unit] for unit in KRIPPENDORFF_2011]
        assert close(krippendorff_alpha(labelled, "ordinal", categories=words), 0.815, 3)

    def test_numeric_strings_work_like_numbers(self) -> None:
        # A CSV gives "1", "2", ...; interval alpha must read them as numbers (0.849).
        text = [[N if v is None else str(v) for v in unit] for unit in KRIPPENDORFF_2011]
        assert close(krippendorff_alpha(text, "interval"), 0.849, 3)
        assert close(krippendorff_alpha(text, "ordinal"), 0.815, 3)


class TestFleissKappa:
    def test_fleiss_1971(self) -> None:
        # Fleiss (1971), worked example on Table 1's 30 x 6 diagnoses: kappa = .430.
        assert close(fleiss_kappa(FLEISS_1971), 0.430, 3)
        # R irr::kappam.fleiss(diagnoses), as recorded in statsmodels' tests: 0.4302445.
        assert close(fleiss_kappa(FLEISS_1971), 0.4302445, 7)

    def test_wikipedia_example(self) -> None:
        # Wikipedia, "Fleiss' kappa", worked example: P-bar = 0.378, P_e = 0.213,
        # kappa = 0.210.
        assert close(percent_agreement(WIKIPEDIA_FLEISS), 0.378, 3)
        assert close(fleiss_kappa(WIKIPEDIA_FLEISS), 0.210, 3)

    def test_gwet_six_raters(self) -> None:
        # irrCAC README, fleiss.kappa.dist(distrib.6raters): pa 0.5511111, kappa 0.4139265.
        assert close(percent_agreement(GWET_6_RATERS), 0.5511111, 7)
        assert close(fleiss_kappa(GWET_6_RATERS), 0.4139265, 7)

    def test_missing_ratings_use_gwets_generalisation(self) -> None:
        # irrCAC README, fleiss.kappa.raw(cac.raw4raters) on the Krippendorff (2011) data:
        # pa 0.8181818, pe 0.2387153, kappa 0.76117 -- no unit dropped.
        assert close(percent_agreement(KRIPPENDORFF_2011), 0.8181818, 7)
        assert close(fleiss_kappa(KRIPPENDORFF_2011), 0.76117, 5)


class TestCohenKappa:
    def test_wikipedia_example_uses_the_textbook_chance_term(self) -> None:
        # Wikipedia, "Cohen's kappa": p_o = 0.7, p_e = 0.5*0.6 + 0.5*0.4 = 0.5, kappa = 0.4.
        # (P_yes x P_no alone, the known tool bug, would give p_e = 0.3 and kappa 0.571.)
        assert close(cohen_kappa(WIKIPEDIA_COHEN), 0.4, 6)

    def test_two_abstractors(self) -> None:
        # irrCAC README, kappa2.table(cont3x3abstractors): 0.7964094; pa2.table: 0.89.
        assert close(cohen_kappa(GWET_ABSTRACTORS), 0.7964094, 7)
        assert close(percent_agreement(GWET_ABSTRACTORS), 0.89, 7)

    def test_quadratic_weights(self) -> None:
        # irrCAC weighting vignette, kappa2.table(cont3x3abstractors,
        # weights = quadratic.weights(1:3)): 0.8921569.
        kappa = cohen_kappa(GWET_ABSTRACTORS, ABSTRACTOR_LABELS, weights="quadratic")
        assert close(kappa, 0.8921569, 7)

    def test_sas_example_unweighted_and_linear(self) -> None:
        # SAS PROC FREQ printout (statsmodels' tests): simple kappa 0.4842, weighted kappa
        # with Cicchetti-Allison (linear) weights 0.4701.
        assert close(cohen_kappa(SAS_TABLE), 0.4842, 4)
        assert close(cohen_kappa(SAS_TABLE, weights="linear"), 0.4701, 4)

    def test_irr_anxiety_example(self) -> None:
        # R irr::kappa2(anxiety[, 2:3]) with weights unweighted / "equal" / "squared"
        # (recorded in statsmodels' tests): -0.006289308, 0.1459075, 0.2520325. irr
        # spaces weights by the rank of the categories used, as we do by default.
        assert close(cohen_kappa(ANXIETY_RATERS_2_3), -0.006289308, 9)
        assert close(cohen_kappa(ANXIETY_RATERS_2_3, weights="linear"), 0.1459075, 7)
        assert close(cohen_kappa(ANXIETY_RATERS_2_3, weights="quadratic"), 0.2520325, 7)

    def test_declared_order_and_unused_categories_change_weighted_kappa(self) -> None:
        # Declaring an unused category at the end stretches the linear weights; hand
        # computation from Cohen (1968)'s formula on the Wikipedia table with categories
        # (no, yes, never-used): w = 1, 0.5, 0; p_o = 0.7 + 0.5*0.3 = 0.85,
        # p_e = 0.5 + 0.5*(0.5*0.4 + 0.5*0.6) = 0.75, kappa_w = 0.1/0.25 = 0.4.
        assert close(cohen_kappa(WIKIPEDIA_COHEN, ["no", "yes", "maybe"], "linear"), 0.4, 9)
        with pytest.raises(QualkitError, match="in order"):
            cohen_kappa(WIKIPEDIA_COHEN, weights="linear")  # words: order unknown

    def test_missing_units_are_dropped_listwise(self) -> None:
        with_gaps = [*WIKIPEDIA_COHEN, ["yes", N], [N, "no"], [N, N]]
        assert cohen_kappa(with_gaps) == cohen_kappa(WIKIPEDIA_COHEN)


class TestScottPi:
    def test_two_abstractors(self) -> None:
        # irrCAC README, scott2.table(cont3x3abstractors): 0.7962397.
        assert close(scott_pi(GWET_ABSTRACTORS), 0.7962397, 7)

    def test_equals_fleiss_for_two_coders_without_missing(self) -> None:
        # Fleiss (1971): his kappa generalises Scott's pi, which it equals for two raters.
        assert fleiss_kappa(GWET_ABSTRACTORS) == pytest.approx(scott_pi(GWET_ABSTRACTORS))


class TestGwetAC1:
    def test_missing_ratings(self) -> None:
        # irrCAC README, gwet.ac1.raw(cac.raw4raters): pa 0.8181818, pe 0.1903212,
        # AC1 0.77544.
        assert close(gwet_ac1(KRIPPENDORFF_2011), 0.77544, 5)

    def test_six_raters(self) -> None:
        # irrCAC README, gwet.ac1.dist(distrib.6raters): 0.4448007.
        assert close(gwet_ac1(GWET_6_RATERS), 0.4448007, 7)

    def test_two_abstractors(self) -> None:
        # irrCAC README, gwet.ac1.table(cont3x3abstractors): 0.8493305.
        assert close(gwet_ac1(GWET_ABSTRACTORS), 0.8493305, 7)


class TestBrennanPrediger:
    def test_published_values(self) -> None:
        # irrCAC README: bp.coeff.raw(cac.raw4raters) 0.77273, bp.coeff.dist(distrib.6raters)
        # 0.4388889, bp2.table(cont3x3abstractors) 0.835.
        assert close(brennan_prediger(KRIPPENDORFF_2011), 0.77273, 5)
        assert close(brennan_prediger(GWET_6_RATERS), 0.4388889, 7)
        assert close(brennan_prediger(GWET_ABSTRACTORS), 0.835, 7)

    def test_unused_declared_categories_count(self) -> None:
        # Brennan & Prediger (1981): chance agreement 1/q. With a fourth, unused category
        # declared, p_e = 1/4 and, from the published p_o = 0.89 above,
        # kappa_n = (0.89 - 0.25) / 0.75 = 0.853333...
        declared = [*ABSTRACTOR_LABELS, "Other"]
        assert brennan_prediger(GWET_ABSTRACTORS, declared) == pytest.approx(0.64 / 0.75)
        # Gwet's AC1 counts q too: its value must change when a category is declared.
        assert gwet_ac1(GWET_ABSTRACTORS, declared) != pytest.approx(0.8493305)


class TestPositiveAgreement:
    def test_two_coders(self) -> None:
        # Cicchetti & Feinstein (1990): p_pos = 2a / (2a + b + c); on the Wikipedia table
        # a = 20, b = 5, c = 10: 40/55. Negative agreement 2d/(2d + b + c) = 30/45.
        assert positive_agreement(WIKIPEDIA_COHEN, "yes") == pytest.approx(40 / 55)
        assert positive_agreement(WIKIPEDIA_COHEN, "no") == pytest.approx(30 / 45)

    def test_several_coders_with_missing(self) -> None:
        # Uebersax's generalisation sum n(n-1) / sum n(r-1), counted by hand:
        # unit 1: 3 of 3 positive -> 6 / 6; unit 2: 1 of 3 -> 0 / 2; unit 3: 2 of 2 ->
        # 2 / 2; unit 4: 1 of 2 -> 0 / 1; unit 5 (one rating) left out; unit 6: none.
        data = [[1, 1, 1], [1, 0, 0], [1, N, 1], [0, 1, N], [1, N, N], [0, 0, 0]]
        assert positive_agreement(data) == pytest.approx(8 / 11)

    def test_undefined_and_wrong_inputs(self) -> None:
        assert math.isnan(positive_agreement([[0, 0], [0, 0]]))  # nobody said "present"
        with pytest.raises(QualkitError, match="declared"):
            positive_agreement([[0, 1]], positive="yes", categories=[0, 1])


# ----------------------------------------------------------------- degenerate and errors

ALL_COEFFICIENTS = (percent_agreement, fleiss_kappa, krippendorff_alpha, gwet_ac1, brennan_prediger)


class TestDegenerateCases:
    def test_everyone_always_uses_one_category(self) -> None:
        # p_e = 1: kappa-type coefficients and alpha are 0/0 (Cohen 1960; Krippendorff
        # 2011 calls alpha undefined without variation) -> NaN, never 1.0.
        same = [["yes", "yes"]] * 5
        assert percent_agreement(same) == 1.0
        for statistic in (cohen_kappa, scott_pi, fleiss_kappa, krippendorff_alpha):
            assert math.isnan(statistic(same)), statistic.__name__
        # With one category there is no chance-corrected agreement to speak of...
        assert math.isnan(gwet_ac1(same))
        assert math.isnan(brennan_prediger(same))
        # ...but with two declared categories Gwet's p_e and 1/q are below 1.
        assert gwet_ac1(same, ["yes", "no"]) == 1.0
        assert brennan_prediger(same, ["yes", "no"]) == 1.0

    def test_no_unit_with_two_ratings(self) -> None:
        lonely = [["a", N], [N, "b"], [N, N]]
        assert pairable_units(lonely) == 0
        for statistic in (*ALL_COEFFICIENTS, cohen_kappa, scott_pi):
            assert math.isnan(statistic(lonely)), statistic.__name__
        with pytest.raises(QualkitError, match="two or more coders"):
            summarise(lonely)

    def test_zero_units(self) -> None:
        empty = np.empty((0, 3))
        assert math.isnan(fleiss_kappa(empty))
        with pytest.raises(QualkitError, match="no units"):
            summarise(empty)

    def test_perfect_agreement_is_one(self) -> None:
        perfect = [["a", "a", "a"], ["b", "b", N], ["c", "c", "c"], ["a", N, N]]
        for statistic in ALL_COEFFICIENTS:
            assert statistic(perfect) == 1.0, statistic.__name__
        assert cohen_kappa([u[:2] for u in perfect]) == 1.0
        assert scott_pi([u[:2] for u in perfect]) == 1.0


class TestInputErrors:
    def test_fewer_than_two_coders(self) -> None:
        for statistic in (*ALL_COEFFICIENTS, summarise):
            with pytest.raises(QualkitError, match="at least two coders"):
                statistic([["a"], ["b"]])

    def test_unknown_level_and_weights(self) -> None:
        with pytest.raises(QualkitError, match="unknown level"):
            krippendorff_alpha(KRIPPENDORFF_2011, "cardinal")  # type: ignore[arg-type]
        with pytest.raises(QualkitError, match="unknown level"):
            summarise(KRIPPENDORFF_2011, level="Nominal")  # type: ignore[arg-type]
        with pytest.raises(QualkitError, match="unknown weights"):
            cohen_kappa(WIKIPEDIA_COHEN, weights="cubic")  # type: ignore[arg-type]

    def test_two_coder_statistics_refuse_three(self) -> None:
        for statistic in (cohen_kappa, scott_pi):
            with pytest.raises(QualkitError, match="exactly two coders"):
                statistic(KRIPPENDORFF_2011)
        with pytest.raises(QualkitError, match="two coders"):
            summarise(KRIPPENDORFF_2011, weights="linear")

    def test_categories_must_cover_the_ratings(self) -> None:
        with pytest.raises(QualkitError, match="not among the declared categories"):
            fleiss_kappa(WIKIPEDIA_COHEN, categories=["yes"])
        with pytest.raises(QualkitError, match="not among the declared categories"):
            fleiss_kappa(np.array([[1.0, 2.0]]), categories=[1])
        with pytest.raises(QualkitError, match="twice"):
            fleiss_kappa(WIKIPEDIA_COHEN, categories=["yes", "no", "yes"])
        with pytest.raises(QualkitError, match="list of labels"):
            fleiss_kappa(WIKIPEDIA_COHEN, categories="yes,no")  # type: ignore[arg-type]

    def test_levels_that_need_numbers_or_order(self) -> None:
        words = [["low", "high"], ["high", "high"]]
        with pytest.raises(QualkitError, match="in order"):
            krippendorff_alpha(words, "ordinal")
        with pytest.raises(QualkitError, match="numeric"):
            krippendorff_alpha(words, "interval", categories=["low", "high"])
        with pytest.raises(QualkitError, match="non-negative"):
            krippendorff_alpha([[-1, 2], [2, 2]], "ratio")

    def test_malformed_tables(self) -> None:
        with pytest.raises(QualkitError, match="one cell per coder"):
            fleiss_kappa([["a", "b"], ["a"]])
        with pytest.raises(QualkitError, match="2-D"):
            fleiss_kappa(np.array([1, 2, 3]))
        with pytest.raises(QualkitError, match="text or numbers"):
            fleiss_kappa([[["a"], "b"]])
        with pytest.raises(QualkitError, match="table"):
            fleiss_kappa("ab")  # type: ignore[arg-type]


# --------------------------------------------------------------------- summary and helpers


def test_summarise_keys_for_two_and_more_coders() -> None:
    two = summarise(WIKIPEDIA_COHEN)
    assert set(two) == {
        "percent_agreement",
        "cohen_kappa",
        "scott_pi",
        "fleiss_kappa",
        "krippendorff_alpha",
        "gwet_ac1",
        "brennan_prediger",
        "n_units",
        "n_coders",
    }
    assert two["n_units"] == 50 and two["n_coders"] == 2
    assert two["cohen_kappa"] == pytest.approx(0.4)  # Wikipedia, as above
    many = summarise(KRIPPENDORFF_2011, level="interval")
    assert set(many) == set(two) - {"cohen_kappa", "scott_pi"}
    assert many["n_units"] == 12 and many["n_coders"] == 4
    assert close(float(many["krippendorff_alpha"]), 0.849, 3)  # Krippendorff (2011)
    assert close(float(many["gwet_ac1"]), 0.77544, 5)  # irrCAC README


def test_summarise_weighted_kappa_only_changes_cohen() -> None:
    plain = summarise(GWET_ABSTRACTORS, categories=ABSTRACTOR_LABELS)
    weighted = summarise(GWET_ABSTRACTORS, categories=ABSTRACTOR_LABELS, weights="quadratic")
    assert close(float(weighted["cohen_kappa"]), 0.8921569, 7)  # irrCAC vignette
    assert {k: v for k, v in plain.items() if k != "cohen_kappa"} == {
        k: v for k, v in weighted.items() if k != "cohen_kappa"
    }


def test_pairwise_matrix_of_cohen_kappa() -> None:
    matrix = pairwise(cohen_kappa, KRIPPENDORFF_2011)
    assert matrix.shape == (4, 4)
    assert np.isnan(np.diag(matrix)).all()
    np.testing.assert_allclose(matrix, matrix.T)
    pair = [[unit[0], unit[2]] for unit in KRIPPENDORFF_2011]
    assert matrix[0, 2] == pytest.approx(cohen_kappa(pair))


def test_pairable_units_counts_units_with_two_ratings() -> None:
    assert pairable_units(KRIPPENDORFF_2011) == 11  # unit 12 has one value (Krippendorff)


def test_numeric_array_and_lists_agree() -> None:
    as_floats = np.array([[math.nan if v is None else v for v in u] for u in KRIPPENDORFF_2011])
    for level in LEVELS:
        assert krippendorff_alpha(as_floats, level) == pytest.approx(
            krippendorff_alpha(KRIPPENDORFF_2011, level)
        )
    assert encode(as_floats).categories == (1.0, 2.0, 3.0, 4.0, 5.0)
    as_ints = np.array(FLEISS_1971)
    assert fleiss_kappa(as_ints) == pytest.approx(fleiss_kappa(FLEISS_1971))
    big_values = np.array([[1e9, 1e9], [0.5, 2.5], [0.5, 0.5]])  # not small integers
    assert krippendorff_alpha(big_values, "interval") == pytest.approx(
        krippendorff_alpha(big_values.tolist(), "interval")
    )


def test_coded_ratings_can_be_reused_and_recoded() -> None:
    coded = encode(GWET_ABSTRACTORS)
    assert isinstance(coded, CodedRatings) and coded.q == 3
    assert cohen_kappa(coded) == cohen_kappa(GWET_ABSTRACTORS)
    declared = [*ABSTRACTOR_LABELS, "Other"]
    assert brennan_prediger(coded, declared) == brennan_prediger(GWET_ABSTRACTORS, declared)
    with pytest.raises(QualkitError, match="not among"):
        fleiss_kappa(coded, categories=["AIU"])


def test_large_input_is_fast() -> None:
    # The budget is 2 s for 100 codes x 100k segments x 3 coders; one code's
    # whole summary must therefore take a small fraction of a second.
    rng = np.random.default_rng(7)
    truth = rng.integers(0, 2, 100_000)
    ratings = np.stack(
        [np.where(rng.random(truth.size) < 0.9, truth, 1 - truth) for _ in range(3)], axis=1
    ).astype(float)
    ratings[rng.random(ratings.shape) < 0.05] = np.nan
    start = time.perf_counter()
    result = summarise(ratings)
    assert time.perf_counter() - start < 1.0
    assert 0.5 < float(result["krippendorff_alpha"]) < 0.8


# ------------------------------------------------------------------------------ bootstrap


class TestBootstrap:
    def test_reproducible_for_a_seed_and_contains_the_estimate(self) -> None:
        estimate = fleiss_kappa(FLEISS_1971)
        first = bootstrap_ci(fleiss_kappa, FLEISS_1971, n=500, seed=42)
        again = bootstrap_ci(fleiss_kappa, FLEISS_1971, n=500, seed=42)
        other = bootstrap_ci(fleiss_kappa, FLEISS_1971, n=500, seed=43)
        assert first == again
        assert first != other
        low, high = first
        assert low < estimate < high
        assert low >= -1.0 and high <= 1.0

    def test_options_through_partial_and_level(self) -> None:
        statistic = partial(krippendorff_alpha, level="interval")
        wide = bootstrap_ci(statistic, KRIPPENDORFF_2011, n=300, seed=1, level=0.99)
        narrow = bootstrap_ci(statistic, KRIPPENDORFF_2011, n=300, seed=1, level=0.5)
        assert wide[0] <= narrow[0] <= narrow[1] <= wide[1]

    def test_undefined_replicates_and_bad_arguments(self) -> None:
        assert all(math.isnan(x) for x in bootstrap_ci(fleiss_kappa, [["a", "a"]] * 3, n=20))
        with pytest.raises(QualkitError, match="positive integer"):
            bootstrap_ci(fleiss_kappa, FLEISS_1971, n=0)
        with pytest.raises(QualkitError, match="between 0 and 1"):
            bootstrap_ci(fleiss_kappa, FLEISS_1971, level=95)
        with pytest.raises(QualkitError, match="zero units"):
            bootstrap_ci(fleiss_kappa, np.empty((0, 2)))


# ------------------------------------------------------------------- property-based tests

LABELS = ["a", "b", "c", "d"]


@st.composite
def rating_matrices(
    draw: st.DrawFn, min_coders: int = 2, max_coders: int = 5, missing: bool = True
) -> list[list[str | None]]:
    n_coders = draw(st.integers(min_coders, max_coders))
    n_units = draw(st.integers(1, 25))
    cell = st.sampled_from([*LABELS, None] if missing else LABELS)
    return draw(
        st.lists(
            st.lists(cell, min_size=n_coders, max_size=n_coders), min_size=n_units, max_size=n_units
        )
    )


def same(x: float, y: float) -> bool:
    return (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, abs_tol=1e-9)


MULTI_CODER = (
    percent_agreement,
    fleiss_kappa,
    gwet_ac1,
    brennan_prediger,
    *(partial(krippendorff_alpha, level=level) for level in ("nominal",)),
)
# No example database: the tests must not leave files in the working tree.
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(rating_matrices())
def test_coefficients_stay_in_range(ratings: list[list[str | None]]) -> None:
    for value in (percent_agreement(ratings), positive_agreement(ratings, "a")):
        assert math.isnan(value) or 0.0 <= value <= 1.0
    for statistic in (fleiss_kappa, gwet_ac1, brennan_prediger, krippendorff_alpha):
        value = statistic(ratings)
        assert math.isnan(value) or value <= 1.0 + 1e-12, statistic
    # Brennan-Prediger's floor is -1/(q-1), reached when no pair of ratings agrees.
    value = brennan_prediger(ratings, LABELS)
    assert math.isnan(value) or value >= -1 / 3 - 1e-12


@PROPERTY_SETTINGS
@given(rating_matrices(max_coders=2, min_coders=2))
def test_two_coder_coefficients_in_range(ratings: list[list[str | None]]) -> None:
    for value in (
        cohen_kappa(ratings),
        scott_pi(ratings),
        cohen_kappa(ratings, LABELS, "linear"),
        cohen_kappa(ratings, LABELS, "quadratic"),
    ):
        assert math.isnan(value) or -1.0 - 1e-12 <= value <= 1.0 + 1e-12


@PROPERTY_SETTINGS
@given(rating_matrices(), st.randoms(use_true_random=False))
def test_invariant_under_permuting_coders(ratings: list[list[str | None]], rnd: object) -> None:
    order = list(range(len(ratings[0])))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    permuted = [[unit[i] for i in order] for unit in ratings]
    for statistic in MULTI_CODER:
        assert same(statistic(ratings), statistic(permuted))
    if len(order) >= 2:
        pair = [unit[:2] for unit in ratings]
        swapped = [unit[1::-1] for unit in ratings]
        assert same(cohen_kappa(pair), cohen_kappa(swapped))
        assert same(scott_pi(pair), scott_pi(swapped))


@PROPERTY_SETTINGS
@given(rating_matrices(), st.permutations(["w", "x", "y", "z"]))
def test_nominal_invariant_under_relabelling(
    ratings: list[list[str | None]], new: list[str]
) -> None:
    rename = dict(zip(LABELS, new, strict=True))
    relabelled = [[None if v is None else rename[v] for v in unit] for unit in ratings]
    for statistic in MULTI_CODER:
        assert same(statistic(ratings), statistic(relabelled))
    pair = [unit[:2] for unit in ratings]
    relabelled_pair = [unit[:2] for unit in relabelled]
    assert same(cohen_kappa(pair), cohen_kappa(relabelled_pair))


@PROPERTY_SETTINGS
@given(
    st.lists(st.tuples(st.sampled_from(LABELS), st.integers(2, 4)), min_size=2, max_size=20),
    st.integers(0, 2),
)
def test_perfect_agreement_gives_one(units: list[tuple[str, int]], extra_missing: int) -> None:
    assume(len({label for label, _ in units}) >= 2)  # with variation, or it is 0/0
    width = 4 + extra_missing
    ratings = [[label] * count + [None] * (width - count) for label, count in units]
    for statistic in (
        *MULTI_CODER,
        partial(krippendorff_alpha, level="ordinal", categories=LABELS),
    ):
        assert statistic(ratings) == 1.0
    pair = [[label, label] for label, _ in units]
    assert cohen_kappa(pair) == 1.0 and scott_pi(pair) == 1.0
    assert cohen_kappa(pair, LABELS, "quadratic") == 1.0


@PROPERTY_SETTINGS
@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.integers(0, 6)), min_size=3, max_size=3),
        min_size=2,
        max_size=20,
    ),
    st.floats(0.5, 10.0),
    st.floats(-50.0, 50.0),
)
def test_interval_alpha_ignores_linear_rescaling(
    ratings: list[list[int | None]], scale: float, shift: float
) -> None:
    rescaled = [[None if v is None else v * scale + shift for v in unit] for unit in ratings]
    assert same(krippendorff_alpha(ratings, "interval"), krippendorff_alpha(rescaled, "interval"))
    # Ordinal alpha depends on the order alone, so a monotone map leaves it unchanged.
    squared = [[None if v is None else (v + 1) ** 2 for v in unit] for unit in ratings]
    assert same(krippendorff_alpha(ratings, "ordinal"), krippendorff_alpha(squared, "ordinal"))


@PROPERTY_SETTINGS
@given(rating_matrices(min_coders=2, max_coders=2, missing=False))
def test_fleiss_reduces_to_scott_for_two_complete_coders(ratings: list[list[str]]) -> None:
    # Fleiss (1971): his kappa generalises Scott's pi, which it equals for two raters.
    assert same(fleiss_kappa(ratings), scott_pi(ratings))


@PROPERTY_SETTINGS
@given(rating_matrices(max_coders=4))
def test_only_qualkit_errors_escape(ratings: list[list[str | None]]) -> None:
    # Whatever the pattern of missing cells, nothing raises ZeroDivisionError & co.
    result = None
    try:
        result = summarise(ratings)
    except QualkitError:
        assert pairable_units(ratings) == 0
    if result is not None:
        assert result["n_units"] == len(ratings)


# ---------------------------------------------------- cross-checks with reference packages


@PROPERTY_SETTINGS
@given(rating_matrices(max_coders=4).filter(lambda r: pairable_units(r) > 0))
def test_matches_krippendorff_package(ratings: list[list[str | None]]) -> None:
    krippendorff = pytest.importorskip("krippendorff")
    numbers = np.array(
        [[math.nan if v is None else LABELS.index(v) + 1.0 for v in unit] for unit in ratings]
    )
    for level in LEVELS:
        ours = krippendorff_alpha(numbers, level)
        try:
            with np.errstate(all="ignore"):
                theirs = krippendorff.alpha(numbers.T, level_of_measurement=level)
        except ValueError:  # the package refuses data without variation
            assert math.isnan(ours)
            continue
        assert same(ours, float(theirs)) or (math.isnan(ours) and math.isnan(theirs))


@PROPERTY_SETTINGS
@given(rating_matrices(max_coders=5, missing=False))
def test_matches_statsmodels_fleiss_and_cohen(ratings: list[list[str]]) -> None:
    inter_rater = pytest.importorskip("statsmodels.stats.inter_rater")
    codes = np.array([[LABELS.index(v) for v in unit] for unit in ratings])
    table, _ = inter_rater.aggregate_raters(codes, n_cat=len(LABELS))
    with np.errstate(all="ignore"):
        theirs = float(inter_rater.fleiss_kappa(table))
    assert same(fleiss_kappa(ratings), theirs) or math.isnan(fleiss_kappa(ratings))
    pair = codes[:, :2]
    contingency, _ = inter_rater.to_table(pair, bins=np.arange(len(LABELS) + 1) - 0.5)
    for weights, wt in ((None, None), ("linear", "linear"), ("quadratic", "quadratic")):
        ours = cohen_kappa(pair, [0, 1, 2, 3], weights)  # type: ignore[arg-type]
        with np.errstate(all="ignore"):
            reference = float(inter_rater.cohens_kappa(contingency, wt=wt, return_results=False))
        assert same(ours, reference) or math.isnan(ours)
