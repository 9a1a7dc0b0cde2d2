"""Opening, migrating and backing up a project database; :class:`Store` joins the queries.

Every query lives in this package (``transcripts``, ``coding``, ``suggestions``,
``spans``, ``learned``), written in SQLAlchemy Core against :mod:`qualkit.store.schema`, so a
PostgreSQL database can sit under a team project without rewriting them: only
:func:`open_store` knows which backend it is talking to. Callers get model records back,
never rows or SQL.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import DatabaseError, OperationalError

from qualkit.errors import ProjectError
from qualkit.store import backend, migrations
from qualkit.store.coding import CodingQueries
from qualkit.store.learned import LearnedQueries
from qualkit.store.spans import SpanQueries
from qualkit.store.suggestions import SuggestionQueries
from qualkit.store.transcripts import TranscriptQueries

log = logging.getLogger(__name__)
WAL_CHECKPOINT_PAGES = 10_000


def _sqlite_engine(path: Path, *, read_only: bool = False) -> Engine:
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide where transactions begin, so that DDL in a
        # migration is transactional (pysqlite otherwise commits before every DDL).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Checkpoint the write-ahead log every 40 MB rather than SQLite's 4 MB: a suggest
        # or import run writes tens of megabytes, and each checkpoint copies the pages
        # written since the last one back into the database (a third of the cost of
        # storing suggestions, at the default).
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A reader's transaction takes no lock in WAL mode, so it neither waits for a
        # writer nor holds one up (a worker reading transcripts while the parent stores).
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _backup_sqlite(path: Path, version: int) -> Path:
    """Copy the database before migrating it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return backup_database(path, path.with_name(f"{path.name}.v{version}-{stamp}.bak"))


def backup_database(path: Path, target: Path) -> Path:
    """A consistent copy of a project database, safe while others write to it.

    SQLite's online backup copies pages under a read transaction, so the copy holds every
    committed decision (WAL included) and none half-made. It is written beside the target
    and renamed, and checked with ``PRAGMA integrity_check`` before the rename, so a backup
    that exists is a backup that opens."""
    if not path.is_file():
        raise ProjectError(f"{path}: no database to back up; run `qualkit init` or "
                           "`qualkit run` first")
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        src = sqlite3.connect(path)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dst.close()
            src.close()
        if ok != "ok":
            raise ProjectError(f"{path}: the copy failed its integrity check ({ok}); the "
                               "database may be damaged, keep earlier backups")
        tmp.replace(target)
    except sqlite3.Error as exc:
        raise ProjectError(f"{target}: could not write the backup ({exc}); check free space "
                           "and that the folder is writable") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _open_error(path: Path, exc: DatabaseError) -> ProjectError:
    """Say why a database would not open, so the advice fits: a read-only folder is not a
    damaged database, and restoring a backup would not help."""
    folder_writable = os.access(path.parent, os.W_OK)
    if not folder_writable or (path.exists() and not os.access(path, os.W_OK)):
        return ProjectError(
            f"{path}: the project folder is read-only; qualkit keeps a journal beside the "
            "database and needs to write there. Make the folder writable, or copy the "
            "project to a writable folder")
    if shutil.disk_usage(path.parent).free < 1_000_000:
        return ProjectError(
            f"{path}: the disk holding the project is full; free some space and run the "
            "command again (nothing was changed)")
    try:
        with path.open("rb") as handle:
            header = handle.read(16)
    except OSError as err:
        return ProjectError(f"{path}: cannot be read ({err.strerror}); check its permissions")
    if header and header != b"SQLite format 3\x00":
        return ProjectError(
            f"{path}: not a qualkit database ({exc.orig}); restore it from a backup "
            f"(files named {path.name}.*.bak beside it) or move it aside")
    return ProjectError(
        f"{path}: the database cannot be opened ({exc.orig}); if it is damaged, restore it "
        f"from a backup (files named {path.name}.*.bak beside it)")


def open_store(location: Path | str, *, migrate: bool = True, read_only: bool = False
               ) -> Store:
    """Open (creating if needed) the project database at ``location`` (a SQLite file, or a
    ``postgresql://`` URL) and bring its schema up to date, taking a backup first when an
    existing SQLite database is migrated. A read-only store (``read_only``, which implies
    no migration) cannot write and takes no lock.

    A server is only set up when empty: upgrading a schema many coders share is the
    project owner's explicit ``qualkit migrate`` (:func:`migrate_store`), so a coder's
    client never changes it under the others."""
    if backend.is_server(location):
        return _open_server(str(location), migrate=migrate, read_only=read_only)
    path = Path(location)
    existed = path.exists() and path.stat().st_size > 0
    migrate = migrate and not read_only
    engine = _sqlite_engine(path, read_only=read_only)
    try:
        with engine.connect() as conn:
            version = migrations.current_version(conn)
    except DatabaseError as exc:
        engine.dispose()
        raise _open_error(path, exc) from None
    if version > migrations.LATEST:
        engine.dispose()
        raise ProjectError(
            f"{path}: written by a newer qualkit (schema {version}, this qualkit knows up to "
            f"{migrations.LATEST}); upgrade qualkit to open it"
        )
    if migrate and version < migrations.LATEST:
        if existed and version > 0:
            backup = _backup_sqlite(path, version)
            log.info("backed up the database to %s before migrating", backup.name)
        applied = migrations.apply(engine)
        for m in applied:
            log.info("applied migration %d: %s", m.version, m.name)
    return Store(engine)


def _open_server(location: str, *, migrate: bool, read_only: bool) -> Store:
    url = backend.server_url(location)
    engine = backend.postgres_engine(url, read_only=read_only)
    try:
        with engine.connect() as conn:
            version = migrations.current_version(conn)
    except DatabaseError as exc:
        engine.dispose()
        raise backend.connect_error(url, exc) from None
    if version > migrations.LATEST:
        engine.dispose()
        raise ProjectError(
            f"{backend.shown(url)}: the server's schema is version {version}, newer than this "
            f"qualkit knows ({migrations.LATEST}); upgrade qualkit on this machine "
            "(`pip install -U qualkit`) and run the command again")
    if version == 0 and migrate and not read_only:
        for m in migrations.apply(engine):
            log.info("applied migration %d: %s", m.version, m.name)
    elif version < migrations.LATEST:
        engine.dispose()
        raise ProjectError(
            f"{backend.shown(url)}: the server's schema is version {version}, older than this "
            f"qualkit needs ({migrations.LATEST}); the project owner runs `qualkit migrate` "
            "once, then everyone carries on (clients still older than the server will be "
            "asked to upgrade)")
    return Store(engine)


def migrate_store(location: Path | str) -> tuple[int, list[migrations.Migration], Path | None]:
    """Bring a database's schema up to date on purpose: (version before, migrations applied,
    the backup taken of a SQLite file). A server is migrated under an advisory lock, so two
    owners running it at once apply each step once."""
    if not backend.is_server(location):
        path = Path(location)
        if not (path.is_file() and path.stat().st_size > 0):
            raise ProjectError(f"{path}: no database to migrate; run `qualkit init` or "
                               "`qualkit run` first")
        engine = _sqlite_engine(path)
        try:
            with engine.connect() as conn:
                before = migrations.current_version(conn)
        except DatabaseError as exc:
            raise _open_error(path, exc) from None
        finally:
            engine.dispose()
        open_store(path).close()  # what opening does anyway: a backup, then the steps
        backup = None
        if 0 < before < migrations.LATEST:  # the newest backup of that version: this one
            backup = max(path.parent.glob(f"{path.name}.v{before}-*.bak"), default=None)
        return before, [m for m in migrations.MIGRATIONS if m.version > before], backup
    url = backend.server_url(str(location))
    engine = backend.postgres_engine(url)
    try:
        with engine.connect() as conn:
            before = migrations.current_version(conn)
        if before > migrations.LATEST:
            raise ProjectError(
                f"{backend.shown(url)}: the server's schema is version {before}, newer than "
                f"this qualkit knows ({migrations.LATEST}); upgrade qualkit first")
        applied = migrations.apply(engine)
    except DatabaseError as exc:
        raise _server_write_error(url, exc) from None
    finally:
        engine.dispose()
    return before, applied, None


def _server_write_error(url: URL, exc: DatabaseError) -> ProjectError:
    if getattr(exc.orig, "sqlstate", None) == "42501":
        return ProjectError(f"{backend.shown(url)}: this role may not change the schema; the "
                            "project owner (who created the database) runs `qualkit migrate`")
    if isinstance(exc, OperationalError) and "connect" in str(exc.orig):
        return backend.connect_error(url, exc)
    reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else "unknown"
    return ProjectError(f"{backend.shown(url)}: migrating failed ({reason}); the schema is "
                        "as its last complete step left it (each step is one transaction). "
                        "Run `qualkit migrate --debug` and report the traceback")


class Store(TranscriptQueries, CodingQueries, SuggestionQueries, SpanQueries,
            LearnedQueries):
    """Queries over one project's database. Cheap to create; close it when done."""
