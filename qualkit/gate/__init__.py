"""The privacy gate: identifiable data is stopped before it reaches the store.

Transcripts are meant to arrive pseudonymised. The gate looks for what slips through:
e-mail addresses, phone numbers, URLs, postal codes, dates of birth and ID numbers
(:mod:`~qualkit.gate.rules`); real names from a roster the researcher keeps outside the
project, misspelt or first-name-only (:mod:`~qualkit.gate.names`); speakers missing
from ``participants.csv`` (usually a real name used as a label); and person, place and
organisation names when a trained spaCy pipeline is installed
(:mod:`~qualkit.gate.ner`). It reports where (line, column, kind), never what: the
finding itself is the identifiable data.
"""

from qualkit.gate.kinds import Hit, Kind
from qualkit.gate.scan import Finding, PiiFound, Scanner, build_scanner

__all__ = ["Finding", "Hit", "Kind", "PiiFound", "Scanner", "build_scanner"]
