"""The main job: a project's files in, its theme report out.

``qualkit run`` calls :func:`run`: import new or changed transcripts, load the codebook,
suggest codes for segments not yet read under it, import the coders' files in
``codings/``, and write the theme report into ``exports/``. Every step is idempotent, so
running it again after adding a transcript or a coder's file does only the new work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qualkit.codebook.versions import default_codebook_file, register_codebook
from qualkit.coding.codings_file import CodingsImport, codings_files, import_codings_file
from qualkit.ingest.importer import ImportResult, import_transcripts
from qualkit.ingest.settings import ImportSettings, effective
from qualkit.model import Codebook
from qualkit.project import Project
from qualkit.report import ReportFiles, build_report, write_report
from qualkit.report.analysis import ThemeTable, report_coders
from qualkit.store import Store
from qualkit.suggest.engine import SuggestResult, suggest_project

Progress = Callable[[int, int], None]
Stage = Callable[[str], Progress | None]


@dataclass
class RunSummary:
    imported: ImportResult
    codebook: Codebook
    codebook_new: bool
    suggested: SuggestResult
    codings: list[CodingsImport] = field(default_factory=list)
    tables: list[ThemeTable] = field(default_factory=list)
    report: ReportFiles | None = None


def _no_progress(_: str) -> None:
    return None


def run(project: Project, store: Store, *, codebook_file: Path | None = None,
        allow_pii: bool = False, stage: Stage = _no_progress,
        settings: ImportSettings | None = None) -> RunSummary:
    """Run every step of the main job; ``stage(label)`` may return a progress callback.
    ``settings`` (the command line's) win over the ``[import]`` table of qualkit.toml;
    the unit is theirs, else the codebook's."""
    chosen = effective(project, settings)
    path = codebook_file or default_codebook_file(project)
    codebook, new = register_codebook(store, project, path)
    imported = import_transcripts(store, project, unit=chosen.unit_or(codebook.unit),
                                  allow_pii=allow_pii, options=chosen.read_options(),
                                  moderators=chosen.moderators or (),
                                  progress=stage("Importing transcripts"))
    suggested = suggest_project(store, codebook, progress=stage("Suggesting codes"))
    summary = RunSummary(imported=imported, codebook=codebook, codebook_new=new,
                         suggested=suggested)
    for coder_file in codings_files(project):
        summary.codings.append(import_codings_file(store, project, coder_file, codebook))
    coders = report_coders(store)
    if coders:
        report = build_report(store, codebook, coders)
        summary.tables = [section.theme for section in report.coders]
        summary.report = write_report(report, project.exports, progress=stage("Writing the report"))
    return summary
