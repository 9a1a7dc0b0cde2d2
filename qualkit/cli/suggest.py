"""``qualkit suggest``: machine suggestions under the project's codebook."""

from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli.common import Session, command

CodebookOpt = Annotated[Path | None, typer.Option(
    "--codebook", exists=True, dir_okay=False,
    help="Codebook YAML (default: the one in codebooks/).")]


def register(app: typer.Typer) -> None:
    @command(app, "suggest")
    def suggest(session: Session, codebook: CodebookOpt = None,
                include_moderator: Annotated[bool, typer.Option(
                    help="Also suggest codes on moderators' turns.")] = False) -> None:
        """Suggest codes for segments not yet read under the codebook, with evidence."""
        from qualkit.codebook_store import default_codebook_file, register_codebook
        from qualkit.suggest import suggest_project

        project = session.project()
        with project.open_store() as store:
            book, _ = register_codebook(store, project,
                                        codebook or default_codebook_file(project))
            with session.progress("Suggesting") as progress:
                result = suggest_project(store, book, include_moderator=include_moderator,
                                         progress=progress)
        session.say(f"Read {result.processed} new segment(s) under codebook {book.version} "
                    f"({result.skipped_moderator} moderator segments skipped): "
                    f"{result.suggestions} suggestion(s).")
