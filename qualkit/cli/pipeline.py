"""``qualkit run``: the main job, from transcript files to the theme report."""

from pathlib import Path

import typer

from qualkit.cli.common import Session, command
from qualkit.cli.suggest import CodebookOpt
from qualkit.cli.transcripts import (
    AllowPiiOpt,
    EncodingOpt,
    ModeratorOpt,
    NoSpeakersOpt,
    SpeakerColumnOpt,
    SpeakerPatternOpt,
    TextColumnOpt,
    UnitOpt,
)


def register(app: typer.Typer) -> None:
    @command(app, "run")
    def run(session: Session, codebook: CodebookOpt = None,
            allow_pii: AllowPiiOpt = False, unit: UnitOpt = None,
            encoding: EncodingOpt = None, speaker_pattern: SpeakerPatternOpt = None,
            no_speakers: NoSpeakersOpt = False, speaker_column: SpeakerColumnOpt = None,
            text_column: TextColumnOpt = None, moderator: ModeratorOpt = None) -> None:
        """Import new transcripts, suggest codes, import coders' files, write the report.

        Transcripts are read with the [import] settings of qualkit.toml; the reading
        options given here win over them for this run."""
        from contextlib import ExitStack

        from qualkit.cli.transcripts import given_settings, print_findings, print_warnings
        from qualkit.gate import PiiFound
        from qualkit.pipeline import run as run_job

        given = given_settings(encoding, speaker_pattern, no_speakers, speaker_column,
                               text_column, unit, moderator)
        project = session.project()
        with project.open_store() as store, ExitStack() as bars:
            try:
                summary = run_job(
                    project, store, codebook_file=codebook, allow_pii=allow_pii,
                    settings=given,
                    stage=lambda label: bars.enter_context(session.progress(label)))
            except PiiFound as err:
                print_findings(session, err)
                raise
        imp = summary.imported
        session.say(f"Transcripts: {len(imp.added)} imported, {len(imp.replaced)} re-imported, "
                    f"{len(imp.unchanged)} unchanged ({imp.participants} participants on the "
                    "roster).")
        print_warnings(session, imp)
        if imp.added or imp.replaced:
            session.say(f"Privacy gate: {imp.checks}.")
        new = "new" if summary.codebook_new else "unchanged"
        session.say(f"Codebook: {summary.codebook.name} ({len(summary.codebook.codes)} codes, "
                    f"version {summary.codebook.version}, {new}).")
        sug = summary.suggested
        session.say(f"Suggestions: {sug.processed} segment(s) read, {sug.suggestions} "
                    "suggestion(s).")
        for c in summary.codings:
            state = ("unchanged" if c.skipped_unchanged else
                     f"{c.segments_coded} segments coded, {c.events} new decision(s)")
            session.say(f"Coder {c.coder}: {state}.")
        if summary.report is None:
            session.say("No report yet: nobody has coded. Add a coder's file to codings/ "
                        "or run `qualkit codings import FILE --coder NAME`.")
            return
        for path in summary.report.paths:
            session.say(f"Wrote {project.relative(Path(path))}")
