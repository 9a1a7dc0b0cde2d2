"""``qualkit import`` (transcripts into the project), ``qualkit transcripts list`` and
``qualkit transcripts split``."""

from pathlib import Path
from typing import Annotated, Any

import typer

from qualkit.cli.common import JsonOpt, Session, command

AllowPiiOpt = Annotated[bool, typer.Option(
    "--allow-pii", help="Import even when the privacy gate finds identifiers (recorded in "
                        "the project).")]
EncodingOpt = Annotated[str | None, typer.Option(
    help="Text encoding, when it is not UTF-8, UTF-16 or Windows-1252.")]
SpeakerPatternOpt = Annotated[str | None, typer.Option(
    "--speaker-pattern", help="Regex for a speaker label at the start of a line, with a "
                              "named group 'speaker' (and optionally 'ts').")]
NoSpeakersOpt = Annotated[bool, typer.Option(
    "--no-speakers", help="One-voice text: no speaker labels; the speaker is the file name.")]
SpeakerColumnOpt = Annotated[str | None, typer.Option(
    "--speaker-column", help="CSV/XLSX column with the speaker.")]
TextColumnOpt = Annotated[str | None, typer.Option(
    "--text-column", help="CSV/XLSX column with the talk.")]
RosterOpt = Annotated[Path | None, typer.Option(
    "--roster", exists=True, dir_okay=False,
    help="Real names to look for (one per line, or CSV with a name column); keep it outside "
         "the project.")]
UnitOpt = Annotated[str | None, typer.Option(
    help="Segment unit: sentence or turn (default: [import] unit in qualkit.toml, else "
         "sentence; for `run`, else the codebook's).")]
ModeratorOpt = Annotated[list[str] | None, typer.Option(
    "--moderator", help="A speaker label that is a moderator (repeat for more), besides "
                        "Moderator, Interviewer, Researcher, Facilitator, I and numbered "
                        "ones.")]
NoNerOpt = Annotated[bool, typer.Option(
    "--no-ner", help="Skip the named-entity check even when a trained spaCy pipeline is "
                     "installed.")]

transcripts_app = typer.Typer(help="The project's transcripts.", no_args_is_help=True)


def given_settings(encoding: str | None, speaker_pattern: str | None, no_speakers: bool,
                   speaker_column: str | None, text_column: str | None, unit: str | None,
                   moderators: list[str] | None) -> Any:
    """The import settings given on the command line (None where an option was not)."""
    from qualkit.errors import QualkitError
    from qualkit.ingest.settings import ImportSettings
    from qualkit.model import Unit

    if no_speakers and (speaker_pattern or speaker_column):
        raise QualkitError("--no-speakers cannot be combined with --speaker-pattern or "
                           "--speaker-column")
    if speaker_pattern is not None:
        from qualkit.ingest.speakers import compile_pattern

        compile_pattern(speaker_pattern)
    if unit is not None and unit not in {u.value for u in Unit}:
        raise QualkitError(f"--unit must be sentence or turn, not {unit!r}")
    return ImportSettings(speaker_pattern=speaker_pattern,
                          no_speakers=True if no_speakers else None, unit=unit,
                          moderators=tuple(moderators) if moderators else None,
                          speaker_column=speaker_column, text_column=text_column,
                          encoding=encoding)


def read_options(encoding: str | None, speaker_pattern: str | None, no_speakers: bool,
                 speaker_column: str | None, text_column: str | None) -> Any:
    """Reading options from the command line alone (for commands that read files
    outside a project)."""
    return given_settings(encoding, speaker_pattern, no_speakers, speaker_column,
                          text_column, None, None).read_options()


def print_warnings(session: Session, result: Any) -> None:
    """What the import noticed but did not stop for, one line each."""
    for note in result.notes:
        session.warn(note)
    for warning in result.warnings:
        session.warn(warning.describe())


def print_findings(session: Session, err: Any) -> None:
    """The gate's findings, one per line (where and what kind, never the text)."""
    for finding in err.findings:
        typer.echo(finding.describe(), err=True)
    typer.echo(f"Privacy gate: {err.checks}.", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(transcripts_app, name="transcripts")

    @command(app, "import")
    def import_(session: Session,
                files: Annotated[list[Path] | None, typer.Argument(
                    exists=True, dir_okay=False,
                    help="Transcript files: .txt, .vtt, .srt, .docx, .csv, .xlsx (default: "
                         "every new or changed file in transcripts/); or one REFI-QDA "
                         "project, FILE.qdpx (into --project, created if missing).")] = None,
                unit: UnitOpt = None,
                encoding: EncodingOpt = None,
                speaker_pattern: SpeakerPatternOpt = None,
                no_speakers: NoSpeakersOpt = False,
                speaker_column: SpeakerColumnOpt = None,
                text_column: TextColumnOpt = None,
                moderator: ModeratorOpt = None,
                save_settings: Annotated[bool, typer.Option(
                    "--save-settings", help="After a successful import, keep the reading "
                                            "options given here in qualkit.toml ([import]), "
                                            "for `qualkit run` and later imports.")] = False,
                spacy_model: Annotated[str | None, typer.Option(
                    "--spacy-model", help="An installed trained spaCy pipeline to cut "
                                          "sentences (default: the rule-based "
                                          "sentencizer).")] = None,
                roster: RosterOpt = None,
                no_ner: NoNerOpt = False,
                allow_pii: AllowPiiOpt = False) -> None:
        """Import transcripts: find turns, cut segments, stop identifiable data."""
        from qualkit.errors import QualkitError
        from qualkit.gate import PiiFound
        from qualkit.ingest import settings as import_settings
        from qualkit.ingest.importer import import_transcripts
        from qualkit.model import Unit

        given = given_settings(encoding, speaker_pattern, no_speakers, speaker_column,
                               text_column, unit, moderator)
        chosen = Unit(unit) if unit is not None else Unit.SENTENCE
        qdpx = [f for f in files or [] if f.suffix.lower() == ".qdpx"]
        if qdpx:
            if len(files or []) > 1:
                raise QualkitError("import a .qdpx file on its own, not with other files")
            from qualkit.cli.refi import import_qdpx_command
            from qualkit.gate import PiiFound

            try:
                import_qdpx_command(session, qdpx[0], unit=chosen, allow_pii=allow_pii,
                                    roster=roster, ner=None if no_ner else "auto")
            except PiiFound as err:
                print_findings(session, err)
                raise
            return
        project = session.project()
        settings = import_settings.effective(project, given)
        try:
            with project.open_store() as store, session.progress("Importing") as progress:
                result = import_transcripts(store, project, files,
                                            unit=settings.unit_or(Unit.SENTENCE),
                                            allow_pii=allow_pii,
                                            options=settings.read_options(),
                                            roster=roster, ner=None if no_ner else "auto",
                                            spacy_model=spacy_model, progress=progress,
                                            moderators=settings.moderators or ())
        except PiiFound as err:
            print_findings(session, err)
            raise
        session.say(f"Imported {len(result.added)} new and {len(result.replaced)} changed "
                    f"transcript(s), {result.segments} segments; {len(result.unchanged)} "
                    "unchanged.")
        if result.replaced:
            session.say(f"Re-imported (changed, nobody had coded them; their suggestions "
                        f"are recomputed by `qualkit suggest`): {', '.join(result.replaced)}")
        for name, count in result.allowed.items():
            session.warn(f"{name} imported with --allow-pii despite {count} possible "
                         "identifier(s); the project records this.")
        print_warnings(session, result)
        session.say(f"Privacy gate: {result.checks}." if result.added or result.replaced
                    else "Privacy gate: no new or changed transcript to check.")
        if save_settings:
            keys = import_settings.save(project, settings)
            session.say(f"Saved to {project.relative(project.settings_file)} [import]: "
                        f"{', '.join(keys) if keys else 'nothing (no reading option given)'}.")
        for name in result.added + result.replaced:
            session.detail(f"  {name}")

    @command(transcripts_app, "split")
    def split(session: Session,
              file: Annotated[Path, typer.Argument(
                  exists=True, dir_okay=False,
                  help="A .csv or .xlsx file holding several conversations.")],
              by: Annotated[str, typer.Option(
                  "--by", help="The column saying which conversation a row belongs to.")],
              out: Annotated[Path | None, typer.Option(
                  "--out", file_okay=False,
                  help="Folder for the files (default: the project's transcripts/).")] = None,
              encoding: EncodingOpt = None,
              as_json: JsonOpt = False) -> None:
        """Cut a table of many conversations into one transcript file each."""
        from qualkit.errors import QualkitError
        from qualkit.ingest.split import split_table

        project = session.project()
        folder = (out or project.transcripts).resolve()
        if folder == project.transcripts.resolve() and file.resolve().is_relative_to(folder):
            raise QualkitError(f"{project.relative(file)} is in transcripts/, where `qualkit "
                               "import` would also read it whole, beside its parts: move it "
                               "out of transcripts/ first (into the project folder, say), "
                               "then split it")
        parts = split_table(file, by, folder, encoding)
        if as_json:
            session.json([{"file": project.relative(p.path), "value": p.value,
                           "rows": p.rows} for p in parts])
            return
        names = [p.path.name for p in parts]
        shown = ", ".join(names) if len(names) <= 4 else f"{names[0]} … {names[-1]}"
        session.say(f"Wrote {len(parts)} transcript file(s) to "
                    f"{project.relative(folder)}/, one per {parts[0].column}: {shown}.")
        for part in parts:
            session.detail(f"  {part.path.name}: {part.rows} row(s) of {part.column} "
                           f"{part.value}")
        session.say("Next: `qualkit import` reads them, one transcript each.")

    @command(transcripts_app, "list")
    def list_(session: Session, as_json: JsonOpt = False) -> None:
        """List the transcripts: turns, segments, speakers and words of each."""
        from qualkit.ingest.listing import transcript_summaries

        project = session.project()
        with project.open_store() as store:
            rows = transcript_summaries(store)
        if as_json:
            session.json(rows)
            return
        session.say(f"{'name':<16} {'turns':>6} {'segments':>8} {'speakers':>8} {'words':>8}"
                    "  file")
        for r in rows:
            flag = "  (imported with --allow-pii)" if r["allow_pii"] else ""
            session.say(f"{r['name']:<16} {r['turns']:>6} {r['segments']:>8} "
                        f"{r['speakers']:>8} {r['words']:>8}  {r['file']}{flag}")
