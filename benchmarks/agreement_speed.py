"""Issue 7's speed benchmark: 100 codes x 100k segments x 3 coders, every coefficient.

Run: ``python benchmarks/agreement_speed.py`` (needs the test-only ``krippendorff``
package for the comparison). Times :func:`qualkit.agreement.project.agreement_from_presence`
-- every coefficient per code, pooled, pairwise kappas and per-transcript presence -- and
then Krippendorff's alpha alone from the ``krippendorff`` package on the same per-code
matrices, and prints the ratio.
"""

from __future__ import annotations

import time

import numpy as np

from qualkit.agreement.project import agreement_from_presence

CODES, SEGMENTS, CODERS, TRANSCRIPTS = 100, 100_000, 3, 50


def data(seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.random((CODES, SEGMENTS)) < rng.uniform(0.01, 0.2, CODES)[:, None]
    flips = rng.random((CODES, SEGMENTS, CODERS)) < 0.05
    return (truth[:, :, None] ^ flips).astype(np.int64)


def main() -> None:
    presence = data()
    transcript_of = np.sort(np.random.default_rng(1).integers(0, TRANSCRIPTS, SEGMENTS))
    codes = [(f"c{k}", f"code {k}") for k in range(CODES)]
    start = time.perf_counter()
    result = agreement_from_presence(presence, ["a", "b", "c"], codes, transcript_of,
                                     [f"T{t}" for t in range(TRANSCRIPTS)])
    ours = time.perf_counter() - start
    print(f"qualkit, every coefficient for {CODES} codes x {SEGMENTS} segments x {CODERS} "
          f"coders (+ pooled, pairs, transcripts): {ours:.2f} s")
    try:
        import krippendorff
    except ImportError:
        print("krippendorff package not installed; no comparison")
        return
    start = time.perf_counter()
    theirs = [krippendorff.alpha(reliability_data=presence[k].T.astype(float),
                                 level_of_measurement="nominal", value_domain=[0, 1])
              for k in range(CODES)]
    other = time.perf_counter() - start
    print(f"krippendorff {krippendorff.__version__ if hasattr(krippendorff, '__version__') else ''}"
          f" package, alpha only, same {CODES} matrices: {other:.2f} s")
    print(f"ratio (krippendorff alpha only / qualkit everything): {other / ours:.1f}")
    worst = max(abs(r.alpha - t) for r, t in zip(result.codes, theirs, strict=True))
    print(f"largest difference in alpha: {worst:.2e}")


if __name__ == "__main__":
    main()
