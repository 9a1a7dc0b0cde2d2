"""One code's model, its threshold and whether it abstains, from a coder's decisions.

- **Logistic regression** (Newton-CG, see :data:`TOL`) per code, fitted in folds of whole
  transcripts (a transcript's sentences resemble each other, so splitting inside one
  flatters the model).
- **One threshold for every code**: the cut that maximises F1 over all the coder's
  decisions at once (every code's out-of-fold probabilities pooled), not each code's own
  best cut. For probabilities on a common scale the cut that maximises F1 lies at half
  the F1 reached (Lipton, Elkan & Naryanaswamy 2014, "Optimal thresholding of classifiers
  to maximize F1 measure", ECML PKDD); a code's own best cut sits at half *its* F1, so a
  code the model finds badly was cut low and flooded the coder with wrong suggestions,
  while one it finds well was cut too high. The model used is the fold models averaged,
  so the cut applies on the scale it was chosen on.
- **Abstaining**: a code with fewer than :data:`MIN_POSITIVES` positives, or in fewer than
  two transcripts, or whose held-out F1 at that cut stays below :data:`MIN_CV_F1`, gets no
  learned suggestions; the reason is kept so screens can say the code needs more examples.

Codes are fitted on two cores (forked processes from the main thread, threads
otherwise). scikit-learn is imported inside functions.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

MIN_POSITIVES = 5
"""Positives a code needs before it is learned: below this, cross-validation has nothing
to choose a threshold from, and the model would echo a handful of sentences."""
MIN_CV_F1 = 0.2
"""A code whose cross-validated F1 stays below this abstains: its suggestions would be
mostly wrong, and a coder learns to ignore a suggester that is mostly wrong."""
FOLDS = 3
THREADS = 2
"""Codes fitted at once, in threads or forked processes (see :func:`fit_codes`): the
target machine is a laptop with two cores or more."""
PROCESS_CELLS = 200_000
"""Decisions x codes from which codes are fitted in forked processes: below it,
starting them costs more than it saves."""
C = 1.0
TOL = 1e-3
MAX_ITER = 100
"""Logistic regression by Newton-CG with scikit-learn's default regularisation (C), to a
tolerance of 1e-3 rather than its default 1e-4: fewer iterations, and a fit stopped
a little early is still judged fairly, since each code's threshold is chosen on what the
fitted models predict for transcripts they did not see. Set once, not tuned on any data
set scored here. (Averaged stochastic gradient descent was used first: on codes given to a few
per cent of segments its fold models were so unlike each other that their average put
half of new transcripts above a threshold chosen at a probability of 0.0001. L-BFGS
fits the same models as Newton-CG here, ten times slower: its update costs more than
the sparse products.)"""


@dataclass(frozen=True)
class CodeModel:
    """What was learned for one code (``model`` None: abstains, see ``reason``)."""

    code_id: str
    positives: int
    negatives: int
    threshold: float
    cv_f1: float
    model: Any = None
    reason: str = ""


Fold = tuple[Any, Any, Any, Any]
"""(training rows, test rows, their features, the test rows' features)."""


def folds_of(x: csr_matrix, groups: Any) -> list[Fold]:
    """Folds of whole transcripts (as many as :data:`FOLDS`, at most one per transcript)."""
    from sklearn.model_selection import GroupKFold

    n = min(FOLDS, len(set(groups.tolist())))
    if n < 2:
        return []
    return [(train, test, x[train], x[test])
            for train, test in GroupKFold(n_splits=n).split(x, groups=groups)]


_SHARED: dict[str, Any] = {}
"""What forked fitting processes inherit (labels, groups, folds): set just before the
pool forks, so nothing is pickled to the workers."""


def fit_codes(labels: Mapping[str, Any], groups: Any, folds: Sequence[Fold]
               ) -> list[CodeModel]:
    """Every code's model, fitted on both cores, and the threshold they share.

    The solver's inner loops hold the GIL, so threads fitted one code at a time; forked
    processes inherit the folds for free. Only from the main thread on Linux, and only for
    work worth starting processes for: ``qualkit tag`` retrains in a background thread,
    and forking beside running threads is not safe."""
    from qualkit.workers import default_jobs, ordered_map

    jobs = min(default_jobs(), THREADS)
    cells = sum(len(y) for y in labels.values())
    forkable = (sys.platform == "linux"
                and threading.current_thread() is threading.main_thread())
    if jobs < 2 or not forkable or cells < PROCESS_CELLS:
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            fitted = list(pool.map(lambda code: _fit_code(code, labels[code], groups, folds),
                                   labels))
    else:
        _SHARED.update(labels=labels, groups=groups, folds=folds)
        try:
            fitted = list(ordered_map(_fit_shared, list(labels), jobs=jobs))
        finally:
            _SHARED.clear()
    return _cut_together(fitted, labels, [test for _, test, _, _ in folds])


def _fit_shared(code_id: str) -> Fitted:
    """One code's model in a forked worker, from what it inherited (:data:`_SHARED`)."""
    fitted, oof = _fit_code(code_id, _SHARED["labels"][code_id], _SHARED["groups"],
                            _SHARED["folds"])
    if fitted.model is not None:  # half the bytes to send back; the product is float32
        fitted.model.coef_ = fitted.model.coef_.astype("float32")
    return fitted, oof


Fitted = tuple[CodeModel, Any]
"""A code's model before its threshold is chosen, with its out-of-fold probabilities
(None: it abstains for want of examples)."""


def _fit_code(code_id: str, y: Any, groups: Any, folds: Sequence[Fold]) -> Fitted:
    """One code's model and out-of-fold probabilities, or the reason it abstains."""
    positives = int(y.sum())
    negatives = int(len(y) - positives)
    in_transcripts = len(set(groups[y].tolist()))
    if positives < MIN_POSITIVES or in_transcripts < 2 or negatives < MIN_POSITIVES:
        what = (f"{positives} positive decision(s) in {in_transcripts} transcript(s)"
                if negatives >= MIN_POSITIVES else f"only {negatives} negative decision(s)")
        return CodeModel(code_id, positives, negatives, 0.5, 0.0,
                         reason=f"needs more examples: {what}; at least {MIN_POSITIVES} in "
                                "2 transcripts are needed"), None
    model, oof = _cross_fitted(y, folds)
    if model is None:
        return CodeModel(code_id, positives, negatives, 0.5, 0.0,
                         reason="needs more examples: no fold had both coded and "
                                "uncoded segments to learn from"), None
    return CodeModel(code_id, positives, negatives, 0.5, 0.0, model), oof


def _cut_together(fitted: Sequence[Fitted], labels: Mapping[str, Any],
                  tests: Sequence[Any]) -> list[CodeModel]:
    """The fitted codes with the threshold they share, each code's held-out F1 at it, and
    the codes whose held-out F1 is too low to suggest marked as abstaining.

    The threshold is chosen again without the abstaining codes: they would otherwise
    pull it towards their own poor cut."""
    import numpy as np

    live = [(m, oof) for m, oof in fitted if oof is not None]
    if not live:
        return [m for m, _ in fitted]
    scores = np.stack([oof for _, oof in live])
    truth = np.stack([np.asarray(labels[m.code_id], dtype=bool) for m, _ in live])
    held = _held_out_f1(scores, truth, tests)
    keep = held >= MIN_CV_F1
    cut = best_threshold(scores[keep].ravel(), truth[keep].ravel())[0] if keep.any() else 0.5
    # Probabilities are computed in float32 wherever the cut is applied (prediction,
    # evaluation, replay, the stored run): a cut that is itself a float32 value is met by
    # the same probabilities whether it is compared in float32 or float64.
    cut = float(np.float32(cut))
    decided: dict[str, CodeModel] = {}
    for (m, _), f1, kept in zip(live, held.tolist(), keep.tolist(), strict=True):
        if kept:
            decided[m.code_id] = replace(m, threshold=cut, cv_f1=f1)
        else:
            decided[m.code_id] = replace(
                m, threshold=cut, cv_f1=f1, model=None,
                reason=f"needs more examples: cross-validated F1 {f1:.3f} on "
                       f"{m.positives} positive decision(s) is below {MIN_CV_F1}")
    return [decided.get(m.code_id, m) for m, _ in fitted]


def _model(y: Any, width: int) -> Any:
    """An unfitted logistic regression that starts from the codes' base rate.

    Started from zero weights, the solver spends most of its iterations walking the intercept
    of a code given to 3 % of segments from 0 to -3.5; started there (the rate of the
    fold's own training decisions, nothing of its test part) it converges in about a
    third of the time."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, tol=TOL, max_iter=MAX_ITER, solver="newton-cg",
                               warm_start=True)
    rate = float(np.clip(y.mean(), 1e-3, 1 - 1e-3))
    model.coef_ = np.zeros((1, width))
    model.intercept_ = np.array([np.log(rate / (1 - rate))])
    return model


def _cross_fitted(y: Any, folds: Sequence[Fold]) -> tuple[Any, Any]:
    """A model and its out-of-fold probabilities, from folds of whole transcripts (None,
    None: no fold had both kinds of decision to learn from).

    The model is the fold models averaged (their coefficients and intercepts), so the
    threshold, chosen on the out-of-fold probabilities, is applied to probabilities on the
    scale it was chosen on. (A model refitted on every decision is more confident than its
    folds were: a threshold chosen on the folds then lets almost everything through.)"""
    import warnings

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning

    oof = np.zeros(len(y), dtype=np.float64)
    fitted = []
    for train, test, x_train, x_test in folds:
        if y[train].all() or not y[train].any():
            oof[test] = y[train].mean()
            continue
        with warnings.catch_warnings():  # stopping at MAX_ITER is judged by the folds
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = _model(y[train], x_train.shape[1]).fit(x_train, y[train])
        oof[test] = model.predict_proba(x_test)[:, 1]
        fitted.append(model)
    if not fitted:
        return None, None
    model = fitted[0]
    model.coef_ = np.mean([m.coef_ for m in fitted], axis=0)
    model.intercept_ = np.mean([m.intercept_ for m in fitted], axis=0)
    return model, oof


def _held_out_f1(scores: Any, truth: Any, tests: Sequence[Any]) -> Any:
    """Each code's F1 (rows of ``scores`` and ``truth``: codes; columns: decisions) with
    every fold cut at the threshold chosen on the other folds, all codes pooled: the F1 a
    threshold reaches on transcripts it was not chosen on.

    The F1 at the threshold chosen on every fold at once is the best of hundreds of cuts
    measured on the same decisions; with a few dozen positives it flatters a code the
    model cannot find, and abstaining is decided on this figure."""
    import numpy as np

    scores, truth = np.atleast_2d(scores), np.atleast_2d(truth)
    tp = np.zeros(len(scores), dtype=np.int64)
    fp, fn = tp.copy(), tp.copy()
    for test in tests:
        rest = np.ones(scores.shape[1], dtype=bool)
        rest[test] = False
        cut, _ = best_threshold(scores[:, rest].ravel(), truth[:, rest].ravel())
        said, real = scores[:, test] >= cut, truth[:, test]
        tp += (said & real).sum(axis=1)
        fp += (said & ~real).sum(axis=1)
        fn += (~said & real).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tp > 0, 2 * tp / (2 * tp + fp + fn), 0.0)


def best_threshold(scores: Any, y: Any) -> tuple[float, float]:
    """The cut on ``scores`` with the highest F1 against ``y`` (ties: the higher cut),
    and that F1. Every distinct score is tried: F1 changes only there."""
    import numpy as np

    order = np.argsort(-scores, kind="stable")
    s, t = scores[order], y[order].astype(np.int64)
    tp = np.cumsum(t)
    predicted = np.arange(1, len(s) + 1)
    total = int(t.sum())
    if not total:
        return 0.5, 0.0
    f1 = 2 * tp / (predicted + total)
    last_of_tie = np.r_[s[1:] != s[:-1], True]  # a cut keeps every tied score
    f1 = np.where(last_of_tie, f1, -1.0)
    best = int(np.argmax(f1))
    return float(s[best]), float(f1[best])
