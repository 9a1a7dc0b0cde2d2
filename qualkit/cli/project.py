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
        if project.on_server:
            from qualkit.store.backend import shown

            session.say(f"Ready: {project.root} (codebooks/, transcripts/, exports/), its "
                        f"database on {shown(str(project.location))}.")
        else:
            session.say(f"{state} {project.root} (codebooks/, transcripts/, exports/, "
                        "qualkit.db).")
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
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        if project.on_server:
            from qualkit.store.backend import server_url
            from qualkit.store.pgdump import backup_server

            name = server_url(str(project.location)).database or "qualkit"
            target = output or project.root / f"{name}.{stamp}.dump"
            if target.exists():
                raise QualkitError(f"{target} exists; name another file with -o")
            done = backup_server(str(project.location), target)
            size = target.stat().st_size / 1_000_000
            session.say(f"Backed up the server's database {name} to {target} ({size:.1f} MB; "
                        f"restored into a scratch database to check it: schema "
                        f"{done.version}, {done.events} decisions).")
            session.say(f"To restore: createdb NEW && pg_restore --no-owner -d NEW {target}")
            return
        source = project.database
        target = output or source.with_name(f"{source.name}.{stamp}.bak")
        if target.exists():
            raise QualkitError(f"{target} exists; name another file with -o")
        backup_database(source, target)
        size = target.stat().st_size / 1_000_000
        session.say(f"Backed up {source.name} to {target} ({size:.1f} MB).")
        session.say(f"To restore: while no qualkit command runs, copy it over {source}.")

    @command(app, "migrate")
    def migrate(session: Session) -> None:
        """Bring the project database's schema up to date (a team's server: once, by the
        project owner, after upgrading qualkit)."""
        from qualkit.store.backend import shown
        from qualkit.store.db import migrate_store
        from qualkit.store.migrations import LATEST

        project = session.project()
        where = shown(str(project.location))
        before, applied, backup = migrate_store(project.location)
        for step in applied:
            session.detail(f"applied migration {step.version}: {step.name}")
        if not applied:
            session.say(f"{where} is up to date (schema {LATEST}); nothing to do.")
            return
        session.say(f"Migrated {where} from schema {before} to {LATEST} "
                    f"({len(applied)} step(s)).")
        if backup is not None:
            session.say(f"The database before migrating is kept as {backup}.")
        if project.on_server:
            session.say("Coders still on an older qualkit are now asked to upgrade it "
                        "(`pip install -U qualkit`).")

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
