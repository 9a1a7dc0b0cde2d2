"""qualkit: qualitative coding and thematic analysis of transcripts, scriptable and
reproducible.

Nothing heavy is imported here: ``qualkit --help`` must not pay for spaCy or pandas.
"""

from __future__ import annotations

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
