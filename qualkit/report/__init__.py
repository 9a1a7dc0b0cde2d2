"""The theme report: built once from the store (:func:`build_report`), written into
``exports/`` in each format (:func:`write_report`).

The analysis it stands on (``analysis``, ``crosstab``: pandas over whole tables; ``quotes``,
``compare``, ``mixed``), the report as data (``sections``, ``tables``, ``methods``,
``charts``) and one module per format.
"""

from qualkit.report.content import Report, build_report
from qualkit.report.render import FORMATS, ReportFiles, write_report

__all__ = ["FORMATS", "Report", "ReportFiles", "build_report", "write_report"]
