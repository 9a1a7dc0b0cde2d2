"""``qualkit privacy scan`` and ``qualkit privacy pseudonymise``."""

from pathlib import Path
from typing import Annotated, Any

import typer

from qualkit.cli.common import JsonOpt, Session, command
from qualkit.cli.transcripts import (
    EncodingOpt,
    NoNerOpt,
    NoSpeakersOpt,
    RosterOpt,
    SpeakerColumnOpt,
    SpeakerPatternOpt,
    TextColumnOpt,
    read_options,
)

privacy_app = typer.Typer(help="Find and replace identifiers in transcript files.",
                          no_args_is_help=True)
PathsArg = Annotated[list[Path], typer.Argument(
    exists=True, help="Transcript files, or folders of them.")]


def _project(session: Session) -> Any:
    """The project at --project when there is one: its participants.csv checks speakers."""
    from qualkit.errors import ProjectError

    try:
        return session.project()
    except ProjectError:
        return None


def _roster(project: Any) -> dict[str, Any]:
    from qualkit.ingest.importer import read_roster

    people = read_roster(project) if project is not None else None
    return {p.name: p for p in people or []}


def register(app: typer.Typer) -> None:
    app.add_typer(privacy_app, name="privacy")

    @command(privacy_app, "scan")
    def scan(session: Session, paths: PathsArg, roster: RosterOpt = None,
             no_ner: NoNerOpt = False, encoding: EncodingOpt = None,
             speaker_pattern: SpeakerPatternOpt = None, no_speakers: NoSpeakersOpt = False,
             speaker_column: SpeakerColumnOpt = None, text_column: TextColumnOpt = None,
             as_json: JsonOpt = False) -> None:
        """Run the privacy gate on files without importing them; exit 1 if it finds any."""
        from qualkit.errors import ExitCode
        from qualkit.gate import build_scanner
        from qualkit.privacy.files import expand, scan_files

        options = read_options(encoding, speaker_pattern, no_speakers, speaker_column,
                               text_column)
        project = _project(session)
        people = _roster(project)
        scanner = build_scanner(people, roster, None if no_ner else "auto")
        files = expand(paths)
        show = project.relative if project is not None else str
        findings = scan_files(files, scanner, options, people, show)
        if as_json:
            session.json({"files": len(files), "checks": scanner.summary(),
                          "findings": [f.as_dict() for f in findings]})
        else:
            for finding in findings:
                session.say(finding.describe())
            where = len({f.file for f in findings})
            session.say(f"{len(findings)} possible identifier(s) in {where} of {len(files)} "
                        "file(s)." if findings else
                        f"No identifiers found in {len(files)} file(s).")
            session.say(f"Privacy gate: {scanner.summary()}.")
        if findings:
            # SystemExit, not typer.Exit: with click's standalone mode off, typer.Exit's
            # code would be returned and lost.
            raise SystemExit(ExitCode.THRESHOLD)

    @command(privacy_app, "pseudonymise")
    def pseudonymise(session: Session, paths: PathsArg,
                     key: Annotated[Path, typer.Option(
                         "--key", dir_okay=False,
                         help="CSV of real name → pseudonym; read and extended. Keep it "
                              "outside the project.")],
                     out: Annotated[Path, typer.Option(
                         "--out", file_okay=False,
                         help="Folder for the pseudonymised NAME.txt files.")],
                     apply: Annotated[bool, typer.Option(
                         "--apply", help="Write the files and the key (default: a dry run "
                                         "that shows what would change).")] = False,
                     force: Annotated[bool, typer.Option(
                         "--force", help="With --apply: write even when speaker labels or "
                                         "more than 2% of the words (over 20) would "
                                         "change.")] = False,
                     roster: RosterOpt = None, no_ner: NoNerOpt = False,
                     encoding: EncodingOpt = None,
                     speaker_pattern: SpeakerPatternOpt = None,
                     no_speakers: NoSpeakersOpt = False,
                     speaker_column: SpeakerColumnOpt = None,
                     text_column: TextColumnOpt = None,
                     as_json: JsonOpt = False) -> None:
        """Show, then (--apply) replace names and other identifiers; labels change only
        through the roster's mapping."""
        from qualkit.gate import build_scanner
        from qualkit.privacy.files import expand
        from qualkit.privacy.pseudonymise import prepare, write

        options = read_options(encoding, speaker_pattern, no_speakers, speaker_column,
                               text_column)
        project = _project(session)
        scanner = build_scanner(_roster(project), roster, None if no_ner else "auto")
        plan, keyed = prepare(expand(paths), out, key, scanner, options=options,
                              project_root=project.root if project is not None else None)
        rows = plan.rows()
        if as_json:
            session.json({"files": len(plan.files), "apply": apply,
                          "labels": plan.labels, "words": plan.words,
                          "words_changed": plan.words_changed,
                          "needs_force": plan.needs_force(), "checks": scanner.summary(),
                          "changes": [r.as_dict() for r in rows]})
        else:
            _print_plan(session, rows)
        if not apply:
            if not as_json:
                why = plan.needs_force()
                session.say(f"Dry run: {len(plan.files)} file(s), {plan.names} name(s) to "
                            f"pseudonyms, {plan.others} other identifier(s) to placeholders, "
                            f"{plan.ambiguous} ambiguous first name(s) to [name], "
                            f"{plan.labels} speaker label(s); {plan.words_changed} of "
                            f"{plan.words} words. Nothing was written.")
                session.say("Next: read the table, then run again with --apply"
                            + (f" --force (the change would {why})." if why else "."))
                session.say(f"Privacy gate: {scanner.summary()}.")
            return
        result = write(plan, keyed, out, force=force)
        if as_json:
            return
        session.say(f"Pseudonymised {len(result.written)} file(s) into {out}: "
                    f"{result.names} name(s) replaced by pseudonyms, {result.others} other "
                    f"identifier(s) by placeholders, {result.ambiguous} ambiguous first "
                    f"name(s) by [name], {result.labels} speaker label(s) by pseudonyms.")
        session.say(f"Key: {key} ({result.people} people, {result.new_people} new); keep it "
                    "outside the project and never share it.")
        session.say(f"Privacy gate: {scanner.summary()}.")
        session.say("Read the output before importing it: no check finds everything.")


def _print_plan(session: Session, rows: list[Any]) -> None:
    """The dry run's table: kind, masked term, count, replacement, one masked context."""
    if not rows:
        session.say("Nothing to change.")
        return
    table = [("kind", "term", "count", "becomes", "context")]
    table += [(r.kind, r.term, str(r.count), r.replacement, r.context) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for row in table:
        cells = [row[i].rjust(widths[i]) if i == 2 else row[i].ljust(widths[i])
                 for i in range(4)]
        session.say("  ".join([*cells, row[4]]).rstrip())
