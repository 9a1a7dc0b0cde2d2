"""Where a project's database lives: a SQLite file (one person) or a PostgreSQL server (a team).

A location is either a path or a URL. ``postgresql://`` and ``postgres://`` URLs (what
libpq, ``psql`` and most hosting panels print) are opened with psycopg 3; everything else
is a SQLite file. The URL a user sees in a message never shows its password.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, String, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.compiler import compiles

from qualkit.errors import ProjectError

ENV = "QUALKIT_DATABASE_URL"
"""The environment variable naming a team project's database (``--db`` wins over it)."""

_SCHEMES = re.compile(r"^(postgresql|postgres)(\+[a-z0-9_]+)?://", re.IGNORECASE)
CONNECT_TIMEOUT = 10
"""Seconds to wait for a server before saying it cannot be reached."""


@compiles(String, "postgresql")
def _unbounded_string(type_: String, compiler: Any, **kw: Any) -> str:
    """VARCHAR without the length: SQLite never enforced the schema's lengths, so a long
    transcript name or file origin that a one-person project stores must not be refused by
    a team's server. The lengths stay in the schema as documentation."""
    return "VARCHAR"


def is_server(location: Path | str) -> bool:
    """Whether a location names a PostgreSQL server rather than a SQLite file."""
    return isinstance(location, str) and bool(_SCHEMES.match(location.strip()))


def server_url(location: str) -> URL:
    """The SQLAlchemy URL for a ``postgresql://`` location, always with the psycopg driver."""
    try:
        url = make_url(location.strip())
    except ArgumentError:
        raise ProjectError(f"{location.split('@')[-1]}: not a database URL; write it as "
                           "postgresql://USER@HOST:PORT/DATABASE") from None
    return url.set(drivername="postgresql+psycopg")


def shown(url: URL | str) -> str:
    """A URL fit for a message or a log: the password is replaced by ``***``."""
    if isinstance(url, str):
        if not is_server(url):
            return url
        url = server_url(url)
    return url.set(drivername="postgresql").render_as_string(hide_password=True)


def postgres_engine(url: URL, *, read_only: bool = False) -> Engine:
    """An engine on a PostgreSQL server. Each statement of a read-only store runs in a
    read-only transaction, so the server itself refuses a write by mistake."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise ProjectError(f"{shown(url)}: PostgreSQL needs the psycopg driver; install it "
                           "with `pip install 'qualkit[postgres]'`") from None
    # psycopg logs the end of a pipeline a refused write aborted; the one-line error the
    # CLI prints says all there is to say, so its warnings must not reach stderr as well.
    logging.getLogger("psycopg").addHandler(logging.NullHandler())
    engine = create_engine(url, pool_pre_ping=True, connect_args={
        "connect_timeout": CONNECT_TIMEOUT, "application_name": "qualkit"})
    if read_only:
        engine = engine.execution_options(postgresql_readonly=True)
    return engine


def connect_error(url: URL, exc: BaseException) -> ProjectError:
    """Why a server would not let us in, in one line with what to do: the driver's own
    message is several lines and may repeat the host; the password never appears."""
    orig = getattr(exc, "orig", exc)
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    first = first.replace(str(url.password), "***") if url.password else first
    if "FATAL:" in first:  # libpq repeats host and port before the server's reason
        first = first.split("FATAL:", 1)[1].strip()
    if "password authentication failed" in first or "no password supplied" in first:
        advice = ("check the user and password in the connection line `qualkit team "
                  "add-coder` printed (or ~/.pgpass)")
    elif "does not exist" in first and "database" in first:
        advice = "create it with `createdb` on the server (see docs/teams.md)"
    else:
        advice = ("check the URL, that the server is running and that its pg_hba.conf "
                  "lets this machine in (see docs/teams.md)")
    return ProjectError(f"{shown(url)}: cannot connect to the PostgreSQL server ({first}); "
                        f"{advice}")
