"""``qualkit import``: transcripts into the project."""

from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli.common import Session, command

AllowPiiOpt = Annotated[bool, typer.Option(
    "--allow-pii", help="Import even when the privacy gate finds identifiers.")]


def register(app: typer.Typer) -> None:
    @command(app, "import")
    def import_(session: Session,
                files: Annotated[list[Path] | None, typer.Argument(
                    exists=True, dir_okay=False,
                    help="Transcript files (default: every new or changed file in "
                         "transcripts/).")] = None,
                unit: Annotated[str, typer.Option(
                    help="Segment unit: sentence or turn.")] = "sentence",
                encoding: Annotated[str | None, typer.Option(
                    help="Text encoding, when it is not UTF-8, UTF-16 or Windows-1252.")] = None,
                allow_pii: AllowPiiOpt = False) -> None:
        """Import transcripts: find turns, cut segments, stop identifiable data."""
        from qualkit.errors import QualkitError
        from qualkit.ingest.importer import import_transcripts
        from qualkit.model import Unit

        try:
            chosen = Unit(unit)
        except ValueError:
            raise QualkitError(f"--unit must be sentence or turn, not {unit!r}") from None
        project = session.project()
        with project.open_store() as store, session.progress("Importing") as progress:
            result = import_transcripts(store, project, files, unit=chosen,
                                        allow_pii=allow_pii, encoding=encoding,
                                        progress=progress)
        session.say(f"Imported {len(result.added)} new and {len(result.replaced)} changed "
                    f"transcript(s), {result.segments} segments; {len(result.unchanged)} "
                    "unchanged.")
        for name in result.added + result.replaced:
            session.detail(f"  {name}")
