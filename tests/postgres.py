"""A scratch database per test on the PostgreSQL server CI starts (``.ci/postgres``).

QUALKIT_TEST_POSTGRES_URL names the server as a role that may create databases and roles
(``postgresql://postgres:PASSWORD@127.0.0.1:PORT/postgres``). Without it the PostgreSQL
tests skip and say why; CI sets QUALKIT_REQUIRE_POSTGRES=1 once the server is up, so
there a missing or unreachable server fails the run instead of skipping quietly.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

ENV = "QUALKIT_TEST_POSTGRES_URL"


def _admin_url() -> URL | None:
    found = os.environ.get(ENV)
    return make_url(found).set(drivername="postgresql+psycopg") if found else None


@cache
def missing() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None when a server answers."""
    url = _admin_url()
    reason = None
    if url is None:
        reason = (f"no PostgreSQL server: set {ENV}=postgresql://USER:PASSWORD@HOST:PORT/"
                  "postgres (`.ci/postgres` starts one from Debian's packages)")
    else:
        try:
            import psycopg  # noqa: F401

            engine = create_engine(url, connect_args={"connect_timeout": 5})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
        except Exception as exc:
            reason = f"the PostgreSQL server at {ENV} does not answer ({type(exc).__name__})"
    if reason and os.environ.get("QUALKIT_REQUIRE_POSTGRES"):
        raise RuntimeError(f"QUALKIT_REQUIRE_POSTGRES is set, but {reason}")
    return reason


def as_text(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def scratch_database() -> Iterator[str]:
    """A new, empty database (its URL, as the test's server role); dropped afterwards with
    the coder roles made for it."""
    admin_url = _admin_url()
    assert admin_url is not None
    name = f"qk_test_{secrets.token_hex(5)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield as_text(admin_url.set(database=name))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            groups = [f"{name}_coders", f"{name}_adjudicators"]
            members = conn.execute(text(
                "SELECT DISTINCT r.rolname FROM pg_auth_members m "
                "JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member "
                "WHERE g.rolname = ANY(:g)"), {"g": groups}).scalars().all()
            for role in [*members, *groups]:
                conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()
