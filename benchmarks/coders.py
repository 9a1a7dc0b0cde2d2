"""Decisions of N coders on the same segments, with agreement set by one number.

The model (a "latent truth plus guessing" model, as in Gwet 2014, *Handbook of Inter-Rater
Reliability*, 4th ed., ch. 2): every (segment, code) has a true yes/no, drawn with the
code's prevalence. Each coder independently gives the true answer with probability
``agreement`` and otherwise guesses, saying yes with the same prevalence. Two coders then
agree beyond chance exactly when neither guessed, so the expected chance-corrected
agreement of a pair -- Scott's pi, Fleiss' kappa, and Krippendorff's alpha for large
samples -- is ``agreement ** 2``. That gives the benchmarks (and their tests) a known
target without running the code under test.

Prevalences fall off like Zipf's law over the codes (a few codes are common, most are
rare), between ``max_prevalence`` and a twentieth of it, as in a real codebook.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def prevalences(codes: int, max_prevalence: float = 0.06) -> npt.NDArray[np.float64]:
    ranks = np.arange(1, codes + 1, dtype=np.float64)
    return np.maximum(max_prevalence / ranks, max_prevalence / 20)


def decisions(segments: int, codes: int, coders: int, agreement: float, *, seed: int = 0,
              missing: float = 0.0, max_prevalence: float = 0.06
              ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """(applied, reviewed): ``applied[k, s, c]`` says coder k applied code c to segment s;
    ``reviewed[k, s]`` is False for the share ``missing`` of segments a coder never looked
    at (missing data, not a "no")."""
    if not 0.0 <= agreement <= 1.0:
        raise ValueError(f"agreement must be within [0, 1], not {agreement}")
    rng = np.random.default_rng(seed)
    p = prevalences(codes, max_prevalence)
    truth = rng.random((segments, codes)) < p
    applied = np.empty((coders, segments, codes), dtype=np.bool_)
    for k in range(coders):
        honest = rng.random((segments, codes)) < agreement
        guess = rng.random((segments, codes)) < p
        applied[k] = np.where(honest, truth, guess)
    reviewed = rng.random((coders, segments)) >= missing
    return applied, reviewed


def ratings(applied: npt.NDArray[np.bool_], reviewed: npt.NDArray[np.bool_], code: int
            ) -> npt.NDArray[np.float64]:
    """One code's units x coders matrix: 1.0 applied, 0.0 reviewed-none, NaN missing."""
    matrix = applied[:, :, code].T.astype(np.float64)
    matrix[~reviewed.T] = np.nan
    return matrix
