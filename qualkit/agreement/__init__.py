"""Agreement: how far coders agree, where they differ, and the consensus they settle.

The coefficients as pure functions (re-exported here: ``qualkit.agreement.krippendorff_alpha``),
ratings tables from any tool (``ratings``, ``table_file``), agreement over a project's
segments (``project``), the disagreements and their export, and adjudication into the
``consensus`` coder.
"""

from __future__ import annotations

import importlib
from typing import Any

# The statistics are public API; they are loaded on first use so that importing a
# neighbouring module (or ``qualkit --help``) does not pay for numpy.
_PUBLIC = {
    **dict.fromkeys(("CodedRatings", "encode", "LEVELS", "WEIGHTS"), "qualkit.agreement.encoding"),
    **dict.fromkeys(("pairable_units", "percent_agreement", "positive_agreement", "cohen_kappa",
                     "scott_pi", "fleiss_kappa", "gwet_ac1", "brennan_prediger",
                     "krippendorff_alpha"), "qualkit.agreement.coefficients"),
    **dict.fromkeys(("pairwise", "bootstrap_ci", "summarise"), "qualkit.agreement.combine"),
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'qualkit.agreement' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
