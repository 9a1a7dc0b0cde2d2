"""REFI-QDA projects (.qdpx): qualkit's projects out to NVivo, ATLAS.ti, MAXQDA, QualCoder
and the ``qualitative-coding`` tool, and their projects in.

One job per module: :mod:`~qualkit.refi.archive` (the zip, read defensively),
:mod:`~qualkit.refi.xml` (namespace, GUIDs, safe parsing), :mod:`~qualkit.refi.export`
and :mod:`~qualkit.refi.import_`. The mapping and its limits are in ``docs/refi-qda.md``.
"""
