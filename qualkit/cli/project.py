"""``qualkit init`` and ``qualkit status``."""

from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli.common import JsonOpt, Session, command


def register(app: typer.Typer) -> None:
    @command(app, "init")
    def init(session: Session,
             directory: Annotated[Path | None, typer.Argument(
                 help="Folder to create the project in (default: --project).")] = None
             ) -> None:
        """Create a project: codebooks/, transcripts/, exports/ and the database."""
        from qualkit.project import init as make

        project, created = make(directory or session.project_dir)
        state = "Created" if created else "Already a project:"
        session.say(f"{state} {project.root} (codebooks/, transcripts/, exports/, qualkit.db).")
        session.say("Next: put transcripts in transcripts/ and a codebook in codebooks/, "
                    "then run `qualkit run`.")

    @command(app, "backup")
    def backup(session: Session,
               output: Annotated[Path | None, typer.Option(
                   "--output", "-o", dir_okay=False,
                   help="Where to write the copy (default: qualkit.db.<time>.bak beside "
                        "the database).")] = None) -> None:
        """Copy the project database now, consistently, even while others are coding."""
        from datetime import UTC, datetime

        from qualkit.errors import QualkitError
        from qualkit.store.db import backup_database

        project = session.project()
        source = project.database
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        target = output or source.with_name(f"{source.name}.{stamp}.bak")
        if target.exists():
            raise QualkitError(f"{target} exists; name another file with -o")
        backup_database(source, target)
        size = target.stat().st_size / 1_000_000
        session.say(f"Backed up {source.name} to {target} ({size:.1f} MB).")
        session.say(f"To restore: while no qualkit command runs, copy it over {source}.")

    @command(app, "status")
    def status(session: Session, as_json: JsonOpt = False) -> None:
        """List the project's transcripts, codebook, coders and how much is reviewed."""
        from qualkit.status import project_status

        project = session.project()
        with project.open_store() as store:
            info = project_status(store)
        if as_json:
            session.json(info)
            return
        cb = info["codebook"]
        session.say(f"Codebook: {cb['name']} (version {cb['version']})" if cb else
                    "Codebook: none loaded yet (run `qualkit run`)")
        session.say(f"Transcripts: {len(info['transcripts'])}, segments: {info['segments']}")
        for t in info["transcripts"]:
            session.say(f"  {t['name']:<12} {t['turns']:>4} turns {t['segments']:>5} segments")
        session.say(f"Coders: {len(info['coders'])}")
        for c in info["coders"]:
            session.say(f"  {c['name']:<12} {c['reviewed']:>5} reviewed "
                        f"({c['coded']} with codes, {c['none']} none apply)")
