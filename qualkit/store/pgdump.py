"""Backing up a team's PostgreSQL database with ``pg_dump``, proved by restoring the copy.

A dump that was never restored is a hope, not a backup: the copy is restored into a
scratch database on the same server and its schema version and coding log are compared
with the original before the file takes its name. The password travels in the
environment of the child processes (``PGPASSWORD``), never on a command line that ``ps``
would show.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import URL

from qualkit.errors import ProjectError
from qualkit.store import backend, migrations
from qualkit.store import schema as t

TIMEOUT = 3600
"""Seconds a dump or a restore may take before it is given up."""


@dataclass(frozen=True)
class ServerBackup:
    path: Path
    version: int
    events: int


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ProjectError(f"{name} not found; install the PostgreSQL client tools "
                           "(`apt-get install postgresql-client`) at the server's version or "
                           "newer, then run `qualkit backup` again")
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URL without its password, and the environment carrying it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str], what: str, where: str) -> None:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=TIMEOUT,
                              check=False)
    except subprocess.TimeoutExpired:
        raise ProjectError(f"{where}: {what} took longer than {TIMEOUT} s; try again when "
                           "the server is less busy") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit code {done.returncode}"
        raise ProjectError(f"{where}: {what} failed ({reason}); check that this role may "
                           "read every table and create databases (the project owner's "
                           "role can)")


def _counts(url: URL) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            version = migrations.current_version(conn)
            events = conn.execute(select(func.count()).select_from(t.coding_events)
                                  ).scalar_one() if version else 0
        return version, int(events)
    finally:
        engine.dispose()


def backup_server(location: str, target: Path) -> ServerBackup:
    """Dump the database at ``location`` to ``target`` (pg_dump's custom format, what
    ``pg_restore`` reads), after restoring it into a scratch database to check it."""
    url = backend.server_url(location)
    where = backend.shown(url)
    dump, restore = _tool("pg_dump"), _tool("pg_restore")
    source, env = _libpq(url)
    tmp = target.with_name(f".{target.name}.tmp")
    scratch = f"qualkit_restore_check_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        before = _counts(url)  # before the dump: the copy holds at least this much
        _run([dump, "--format=custom", "--no-password", f"--file={tmp}", f"--dbname={source}"],
             env, "pg_dump", where)
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{scratch}"'))
        except Exception as exc:
            raise ProjectError(f"{where}: could not create a scratch database to check the "
                               f"copy ({backend.connect_error(url, exc)}); back up as the "
                               "project owner, whose role may create databases") from None
        copy = url.set(database=scratch)
        copy_libpq, _ = _libpq(copy)
        try:
            _run([restore, "--no-owner", "--no-privileges", "--exit-on-error", "--no-password",
                  f"--dbname={copy_libpq}", str(tmp)], env, "restoring the copy", where)
            after = _counts(copy)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}"'))
        if after[0] != before[0] or after[1] < before[1]:
            raise ProjectError(f"{where}: the restored copy differs (schema {after[0]}, "
                               f"{after[1]} decisions; the server has schema {before[0]}, "
                               f"{before[1]}); keep earlier backups and try again")
        tmp.replace(target)
        return ServerBackup(target, after[0], after[1])
    finally:
        admin.dispose()
        tmp.unlink(missing_ok=True)
