"""Renderers: theme tables to Markdown and CSV in ``exports/``."""

from qualkit.report.render import ReportFiles, write_report

__all__ = ["ReportFiles", "write_report"]
