"""``qualkit tag``, ``sheet export``, ``sheet import``, ``history`` and ``coders``."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli.common import JsonOpt, Session, command

CoderOpt = Annotated[str, typer.Option("--coder", "-c", help="Whose decisions these are.")]

sheet_app = typer.Typer(help="Code in a spreadsheet: export a coder's sheet, import it back.",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(sheet_app, name="sheet")

    @command(app, "tag")
    def tag(session: Session, coder: CoderOpt,
            transcript: Annotated[str | None, typer.Option(
                help="Only this transcript's segments.")] = None,
            code: Annotated[str | None, typer.Option(
                help="Only segments where this code is suggested or applied.")] = None,
            suggested_only: Annotated[bool, typer.Option(
                "--suggested-only", help="Only segments with a suggestion.")] = False,
            preselect: Annotated[bool, typer.Option(
                "--preselect", help="Start with the suggested codes ticked (default: not "
                                    "ticked, to avoid anchoring).")] = False,
            segment: Annotated[int | None, typer.Option(
                help="Open at this segment id.")] = None,
            order: Annotated[str, typer.Option(
                help="reading (default) or uncertain: the segments the model trained on "
                     "your decisions is least sure of first.")] = "reading",
            retrain_every: Annotated[int, typer.Option(
                help="Retrain the learned suggester in the background every N of your "
                     "decisions, once you have decisions in two transcripts (0: never)."
            )] = 200) -> None:
        """Code segments in a full-screen terminal session; every decision is saved at once."""
        from qualkit.codebook.versions import project_codebook
        from qualkit.coding.retrain import MIN_RETRAIN_EVERY
        from qualkit.coding.session import Filters, TaggingSession
        from qualkit.errors import QualkitError

        if order not in ("reading", "uncertain"):
            raise QualkitError(f"--order {order}: use reading or uncertain")
        if 0 < retrain_every < MIN_RETRAIN_EVERY or retrain_every < 0:
            raise QualkitError(f"--retrain-every {retrain_every}: give 0 (never) or "
                               f"{MIN_RETRAIN_EVERY} or more (a model retrained after fewer "
                               "decisions has learned nothing new)")
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise QualkitError("`qualkit tag` needs an interactive terminal; to code "
                               "elsewhere use `qualkit sheet export --coder NAME -o FILE.xlsx`")
        project = session.project()
        with project.open_store() as store:
            book = project_codebook(store, project)
            ranked = None
            if order == "uncertain":
                from qualkit.suggest.learn_project import uncertainty_order

                ranked = uncertainty_order(store, book, coder)
            retrainer = None
            if retrain_every:
                from qualkit.suggest.learn_project import retrainer as tagging_retrainer

                retrainer = tagging_retrainer(store, book, coder, retrain_every)
            work = TaggingSession(store, book, coder,
                                  filters=Filters(transcript, code, suggested_only),
                                  preselect=preselect, order=ranked, retrainer=retrainer)
            if segment is not None:
                work.goto(segment)
            from qualkit.coding.tui import TaggingApp

            TaggingApp(work, title=f"qualkit tag · {coder}").run()
            reviewed, total = work.reviewed_in_queue(), len(work.queue)
        session.say(f"{coder}: {reviewed:,} of {total:,} segment(s) reviewed; every decision "
                    "is saved. Continue with the same command.")

    @command(sheet_app, "export")
    def sheet_export(session: Session, coder: CoderOpt,
                     output: Annotated[Path, typer.Option(
                         "--output", "-o", dir_okay=False,
                         help="The .xlsx file to write.")],
                     transcript: Annotated[str | None, typer.Option(
                         help="Only this transcript's segments.")] = None) -> None:
        """Write a coder's sheet: one row per segment, a column per code to mark with x."""
        from qualkit.codebook.versions import project_codebook
        from qualkit.coding.sheet import export_sheet

        project = session.project()
        with project.open_store() as store:
            book = project_codebook(store, project)
            done = export_sheet(store, book, coder, output, transcript=transcript)
        session.say(f"Wrote {output}: {done.rows:,} segment(s) for {coder}, "
                    f"{done.decided:,} already reviewed, {len(book.codes)} code column(s).")
        session.say(f"Mark codes with x, then: qualkit sheet import {output} --coder {coder}")

    @command(sheet_app, "import")
    def sheet_import(session: Session,
                     file: Annotated[Path, typer.Argument(
                         exists=True, dir_okay=False, help="A sheet from `sheet export`.")],
                     coder: CoderOpt,
                     partial: Annotated[bool, typer.Option(
                         "--partial", help="Apply the valid rows and list the others (by "
                                           "default nothing is applied unless every row "
                                           "is valid).")] = False) -> None:
        """Record the decisions of a coder's sheet, after checking every cell."""
        from qualkit.codebook.versions import project_codebook
        from qualkit.coding.sheet import import_sheet

        project = session.project()
        with project.open_store() as store:
            book = project_codebook(store, project)
            done = import_sheet(store, book, coder, file, partial=partial)
        for warning in done.warnings:
            session.warn(warning)
        for problem in done.problems:
            typer.echo(f"{file}: {problem}", err=True)
        session.say(f"{coder}: {done.rows_applied:,} row(s) with decisions, {done.events:,} new "
                    f"decision(s), {done.notes:,} memo/quote change(s)"
                    + (f"; {len(done.problems)} row(s) not applied (listed above)"
                       if done.problems else "") + ".")

    @command(app, "history")
    def history(session: Session,
                segment: Annotated[int, typer.Argument(help="A segment id.")],
                as_json: JsonOpt = False) -> None:
        """Every decision and note on one segment: who, when, how, under which codebook."""
        from qualkit.coding.audit import segment_history

        project = session.project()
        with project.open_store() as store:
            found = segment_history(store, segment)
        if as_json:
            session.json(found.as_json())
            return
        session.say(f"Segment {found.segment_id} · {found.transcript} · position "
                    f"{found.position} · {found.speaker}")
        if not found.entries:
            session.say("No decisions or notes yet.")
            return
        for entry in found.entries:
            session.say(entry.line())

    @command(app, "coders")
    def coders(session: Session, as_json: JsonOpt = False) -> None:
        """The coders with their progress: segments reviewed, decisions, last active."""
        from qualkit.coding.audit import coder_progress

        project = session.project()
        with project.open_store() as store:
            rows = coder_progress(store)
        if as_json:
            session.json([row.as_json() for row in rows])
            return
        if not rows:
            session.say("No coders yet; start with `qualkit tag --coder NAME`.")
            return
        session.say(f"{'coder':<12} {'reviewed':>14} {'codes':>6} {'none':>6} "
                    f"{'decisions':>9} {'notes':>6}  last active (UTC)")
        for r in rows:
            reviewed = f"{r.reviewed:,}/{r.segments:,}"
            session.say(f"{r.name:<12} {reviewed:>14} {r.coded:>6,} {r.none:>6,} "
                        f"{r.decisions:>9,} {r.notes:>6,}  {r.last_active or '-'}")
