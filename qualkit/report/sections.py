"""The report as data: what every renderer and the methods paragraph read.

Kept apart from :mod:`qualkit.report.content`, which builds it, so that the parts of a
report that read it (the methods paragraph among them) need not import its builder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qualkit import __version__
from qualkit.model import Codebook
from qualkit.report import tables as tb
from qualkit.report.analysis import ThemeTable
from qualkit.report.quotes import QUOTE_RULE

if TYPE_CHECKING:
    import pandas as pd

    from qualkit.agreement.project import ProjectAgreement


@dataclass(frozen=True)
class CoderReport:
    """Everything shown for one coder (usually the consensus)."""

    coder: str
    theme: ThemeTable
    tables: tuple[tb.Table, ...]
    saturation: pd.DataFrame
    tidy: pd.DataFrame  # one row per (segment, code) applied
    adjudicated: int = 0  # segments settled by adjudication (the consensus)
    data: tuple[tb.Table, ...] = ()  # tables for CSV and XLSX only (the data dictionary)
    origins: dict[str, int] = field(default_factory=dict)  # the coder's decisions by origin


@dataclass(frozen=True)
class Report:
    codebook: Codebook
    coders: tuple[CoderReport, ...]
    agreement: ProjectAgreement | None
    agreement_table: tb.Table | None
    methods: str
    facts: dict[str, Any]
    quote_rule: str = QUOTE_RULE
    qualkit_version: str = __version__
    generated: str = ""

    @property
    def title(self) -> str:
        return f"Theme report — {self.codebook.name}"
