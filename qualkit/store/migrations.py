"""Versioned schema migrations, recorded in ``schema_migrations`` and applied on open.

Each migration runs once, in order, inside one transaction with its record, so a crash
leaves the database at the previous version, never between two. A database written by a
newer qualkit is refused rather than guessed at.

Rule for writing migrations: a migration may create a table straight from
:mod:`qualkit.store.schema` only while that table has not changed since; when a later
migration alters a table, the migration that created it keeps a frozen copy of the old
definition (as ``_coding_events_v1`` below), so old databases migrate through the same
steps new ones did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    inspect,
    select,
    text,
)

from qualkit.store import schema

_tracking = MetaData()
schema_migrations = Table(
    "schema_migrations",
    _tracking,
    Column("version", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("applied_at", String(32), nullable=False),
)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection], None]


def _coding_events_v1() -> Table:
    frozen = MetaData()
    # Stand-ins so the foreign keys of the frozen table resolve inside its own MetaData.
    Table("segments", frozen, Column("id", Integer, primary_key=True))
    Table("coders", frozen, Column("name", String(100), primary_key=True))
    Table("codebooks", frozen, Column("version", String(64), primary_key=True))
    return Table(
        "coding_events",
        frozen,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("segment_id", Integer, ForeignKey("segments.id"), nullable=False),
        Column("coder", String(100), ForeignKey("coders.name"), nullable=False),
        Column("action", String(20), nullable=False),
        Column("code_id", String(100)),
        Column("codebook_version", String(64), ForeignKey("codebooks.version"),
               nullable=False),
        Column("origin", String(200), nullable=False),
        Column("at", String(32), nullable=False),
    )


def _initial(conn: Connection) -> None:
    for table in (schema.settings, schema.transcripts, schema.participants, schema.turns,
                  schema.segments, schema.codebooks, schema.coders):
        table.create(conn)
    _coding_events_v1().create(conn)


def _suggestions_memos_files(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE coding_events ADD COLUMN memo TEXT"))
    schema.suggestions.create(conn)
    schema.suggested_segments.create(conn)
    schema.imported_files.create(conn)


def _segment_notes(conn: Connection) -> None:
    schema.segment_notes.create(conn)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "transcripts, segments, codebooks and the coding event log", _initial),
    Migration(2, "suggestions, memos on coding events, imported files", _suggestions_memos_files),
    Migration(3, "segment notes: memos and illustrative-quote marks", _segment_notes),
)

LATEST = MIGRATIONS[-1].version


def current_version(conn: Connection) -> int:
    """The schema version of an open database; 0 for an empty one."""
    if not inspect(conn).has_table("schema_migrations"):
        return 0
    found = conn.execute(select(schema_migrations.c.version)).scalars().all()
    return max(found, default=0)


def pending(conn: Connection) -> list[Migration]:
    version = current_version(conn)
    return [m for m in MIGRATIONS if m.version > version]


def apply(engine: Engine, upto: int = LATEST) -> list[Migration]:
    """Apply every pending migration up to ``upto``, each in its own transaction."""
    with engine.begin() as conn:
        schema_migrations.create(conn, checkfirst=True)
        todo = [m for m in pending(conn) if m.version <= upto]
    for migration in todo:
        with engine.begin() as conn:
            migration.apply(conn)
            conn.execute(schema_migrations.insert().values(
                version=migration.version, name=migration.name,
                applied_at=datetime.now(UTC).isoformat(timespec="seconds")))
    return todo
