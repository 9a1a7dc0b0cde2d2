"""``qualkit import`` (transcripts into the project) and ``qualkit transcripts list``."""

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
NoNerOpt = Annotated[bool, typer.Option(
    "--no-ner", help="Skip the named-entity check even when a trained spaCy pipeline is "
                     "installed.")]

transcripts_app = typer.Typer(help="The project's transcripts.", no_args_is_help=True)


def read_options(encoding: str | None, speaker_pattern: str | None, no_speakers: bool,
                 speaker_column: str | None, text_column: str | None) -> Any:
    from qualkit.errors import QualkitError
    from qualkit.ingest.source import ReadOptions

    if no_speakers and (speaker_pattern or speaker_column):
        raise QualkitError("--no-speakers cannot be combined with --speaker-pattern or "
                           "--speaker-column")
    return ReadOptions(encoding=encoding, speaker_pattern=speaker_pattern,
                       no_speakers=no_speakers, speaker_column=speaker_column,
                       text_column=text_column)


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
                unit: Annotated[str, typer.Option(
                    help="Segment unit: sentence or turn.")] = "sentence",
                encoding: EncodingOpt = None,
                speaker_pattern: SpeakerPatternOpt = None,
                no_speakers: NoSpeakersOpt = False,
                speaker_column: SpeakerColumnOpt = None,
                text_column: TextColumnOpt = None,
                spacy_model: Annotated[str | None, typer.Option(
                    "--spacy-model", help="An installed trained spaCy pipeline to cut "
                                          "sentences (default: the rule-based "
                                          "sentencizer).")] = None,
                roster: RosterOpt = None,
                no_ner: NoNerOpt = False,
                allow_pii: AllowPiiOpt = False) -> None:
        """Import transcripts: find turns, cut segments, stop identifiable data."""
        from qualkit.errors import QualkitError
        from qualkit.ingest.importer import import_transcripts
        from qualkit.model import Unit
        from qualkit.privacy import PiiFound

        try:
            chosen = Unit(unit)
        except ValueError:
            raise QualkitError(f"--unit must be sentence or turn, not {unit!r}") from None
        qdpx = [f for f in files or [] if f.suffix.lower() == ".qdpx"]
        if qdpx:
            if len(files or []) > 1:
                raise QualkitError("import a .qdpx file on its own, not with other files")
            from qualkit.cli.refi import import_qdpx_command
            from qualkit.privacy import PiiFound

            try:
                import_qdpx_command(session, qdpx[0], unit=chosen, allow_pii=allow_pii,
                                    roster=roster, ner=None if no_ner else "auto")
            except PiiFound as err:
                print_findings(session, err)
                raise
            return
        options = read_options(encoding, speaker_pattern, no_speakers, speaker_column,
                               text_column)
        project = session.project()
        try:
            with project.open_store() as store, session.progress("Importing") as progress:
                result = import_transcripts(store, project, files, unit=chosen,
                                            allow_pii=allow_pii, options=options,
                                            roster=roster, ner=None if no_ner else "auto",
                                            spacy_model=spacy_model, progress=progress)
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
        for note in result.notes:
            session.warn(note)
        session.say(f"Privacy gate: {result.checks}." if result.added or result.replaced
                    else "Privacy gate: no new or changed transcript to check.")
        for name in result.added + result.replaced:
            session.detail(f"  {name}")

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
