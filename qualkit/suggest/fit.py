"""One code's model, its threshold and whether it abstains, from a coder's decisions.

- **Logistic regression** (Newton-CG, see :data:`TOL`) per code, fitted in folds of whole
  transcripts (a transcript's sentences resemble each other, so splitting inside one
  flatters the model).
- **A threshold per code**: the one that maximises F1 on the out-of-fold probabilities;
  the model used is the fold models averaged, so it applies on the scale it was chosen on.
- **Abstaining**: a code with fewer than :data:`MIN_POSITIVES` positives, or in fewer than
  two transcripts, or whose held-out F1 stays below :data:`MIN_CV_F1`, gets no learned
  suggestions; the reason is kept so screens can say the code needs more examples.

Codes are fitted on two cores (forked processes from the main thread, threads
otherwise). scikit-learn is imported inside functions.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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
    """Every code's model, fitted on both cores.

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
            return list(pool.map(lambda code: _fit_code(code, labels[code], groups, folds),
                                 labels))
    _SHARED.update(labels=labels, groups=groups, folds=folds)
    try:
        return list(ordered_map(_fit_shared, list(labels), jobs=jobs))
    finally:
        _SHARED.clear()


def _fit_shared(code_id: str) -> CodeModel:
    """One code's model in a forked worker, from what it inherited (:data:`_SHARED`)."""
    fitted = _fit_code(code_id, _SHARED["labels"][code_id], _SHARED["groups"],
                       _SHARED["folds"])
    if fitted.model is not None:  # half the bytes to send back; the product is float32
        fitted.model.coef_ = fitted.model.coef_.astype("float32")
    return fitted


def _fit_code(code_id: str, y: Any, groups: Any, folds: Sequence[Fold]) -> CodeModel:
    """One code's model and threshold, or the reason it abstains."""
    positives = int(y.sum())
    negatives = int(len(y) - positives)
    in_transcripts = len(set(groups[y].tolist()))
    if positives < MIN_POSITIVES or in_transcripts < 2 or negatives < MIN_POSITIVES:
        what = (f"{positives} positive decision(s) in {in_transcripts} transcript(s)"
                if negatives >= MIN_POSITIVES else f"only {negatives} negative decision(s)")
        return CodeModel(code_id, positives, negatives, 0.5, 0.0,
                         reason=f"needs more examples: {what}; at least {MIN_POSITIVES} in "
                                "2 transcripts are needed")
    model, threshold, cv_f1 = _cross_fitted(y, folds)
    if cv_f1 < MIN_CV_F1:
        return CodeModel(code_id, positives, negatives, threshold, cv_f1,
                         reason=f"needs more examples: cross-validated F1 {cv_f1:.3f} on "
                                f"{positives} positive decision(s) is below {MIN_CV_F1}")
    return CodeModel(code_id, positives, negatives, threshold, cv_f1, model)


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


def _cross_fitted(y: Any, folds: Sequence[Fold]) -> tuple[Any, float, float]:
    """A model, its threshold and its cross-validated F1, from folds of whole transcripts.

    The threshold maximises F1 on the out-of-fold probabilities (the F1 reported is that
    of :func:`_held_out_f1`, not of this threshold on the same folds); the model is the fold
    models averaged (their coefficients and intercepts), so the threshold is applied to
    probabilities on the scale it was chosen on. (A model refitted on every decision is
    more confident than its folds were: a threshold chosen on the folds then lets almost
    everything through.)"""
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
        return None, 0.5, 0.0
    threshold, _ = best_threshold(oof, y)
    f1 = _held_out_f1(oof, y, [test for _, test, _, _ in folds])
    model = fitted[0]
    model.coef_ = np.mean([m.coef_ for m in fitted], axis=0)
    model.intercept_ = np.mean([m.intercept_ for m in fitted], axis=0)
    return model, threshold, f1


def _held_out_f1(oof: Any, y: Any, tests: Sequence[Any]) -> float:
    """F1 of the out-of-fold probabilities with each fold cut at the threshold chosen on
    the other folds: the F1 a threshold reaches on transcripts it was not chosen on.

    The F1 at the threshold chosen on every fold at once is the best of hundreds of cuts
    measured on the same decisions; with a few dozen positives it flatters a code the
    model cannot find, and abstaining is decided on this figure."""
    import numpy as np

    tp = fp = fn = 0
    for test in tests:
        rest = np.ones(len(y), dtype=bool)
        rest[test] = False
        cut, _ = best_threshold(oof[rest], y[rest])
        said, truth = oof[test] >= cut, y[test]
        tp += int((said & truth).sum())
        fp += int((said & ~truth).sum())
        fn += int((~said & truth).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


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
