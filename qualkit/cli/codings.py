"""``qualkit codings import``: a coder's decisions from a file."""

from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli.common import Session, command

codings_app = typer.Typer(help="Coders' decisions kept in files.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(codings_app, name="codings")

    @command(codings_app, "import")
    def import_codings(session: Session,
                       file: Annotated[Path, typer.Argument(
                           exists=True, dir_okay=False,
                           help="CSV with transcript, speaker, quote, codes, memo.")],
                       coder: Annotated[str | None, typer.Option(
                           help="Coder name (default: the file name).")] = None) -> None:
        """Record a coder's decisions from a CSV of quoted passages."""
        from qualkit.codebook.versions import project_codebook
        from qualkit.coding.codings_file import import_codings_file

        project = session.project()
        with project.open_store() as store:
            result = import_codings_file(store, project, file,
                                         project_codebook(store, project), coder)
        if result.skipped_unchanged:
            session.say(f"{file}: unchanged since it was imported for {result.coder}; "
                        "nothing to do.")
            return
        session.say(f"{result.coder}: {result.transcripts} transcript(s) reviewed, "
                    f"{result.segments_coded} segment(s) coded, {result.events} new "
                    "decision(s) recorded.")
