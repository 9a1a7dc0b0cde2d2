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
    JSON,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
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


def _suggestions_v2() -> tuple[Table, Table]:
    frozen = MetaData()
    Table("segments", frozen, Column("id", Integer, primary_key=True))
    Table("codebooks", frozen, Column("version", String(64), primary_key=True))
    suggestions = Table(
        "suggestions",
        frozen,
        Column("segment_id", Integer, ForeignKey("segments.id", ondelete="CASCADE"),
               primary_key=True),
        Column("codebook_version", String(64), ForeignKey("codebooks.version"),
               primary_key=True),
        Column("code_id", String(100), primary_key=True),
        Column("score", Float, nullable=False),
        Column("evidence", JSON, nullable=False),
    )
    suggested = Table(
        "suggested_segments",
        frozen,
        Column("segment_id", Integer, ForeignKey("segments.id", ondelete="CASCADE"),
               primary_key=True),
        Column("codebook_version", String(64), ForeignKey("codebooks.version"),
               primary_key=True),
    )
    return suggestions, suggested


def _segment_suggestions_v4() -> Table:
    frozen = MetaData()
    Table("segments", frozen, Column("id", Integer, primary_key=True))
    Table("codebooks", frozen, Column("version", String(64), primary_key=True))
    return Table(
        "segment_suggestions",
        frozen,
        Column("segment_id", Integer, ForeignKey("segments.id", ondelete="CASCADE"),
               primary_key=True),
        Column("codebook_version", String(64), ForeignKey("codebooks.version"),
               primary_key=True),
        Column("suggestions", Text, nullable=False),
    )


def _initial(conn: Connection) -> None:
    for table in (schema.settings, schema.transcripts, schema.participants, schema.turns,
                  schema.segments, schema.codebooks, schema.coders):
        table.create(conn)
    _coding_events_v1().create(conn)


def _suggestions_memos_files(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE coding_events ADD COLUMN memo TEXT"))
    for table in _suggestions_v2():
        table.create(conn)
    schema.imported_files.create(conn)


def _segment_notes(conn: Connection) -> None:
    schema.segment_notes.create(conn)


def _suggestions_per_segment(conn: Connection) -> None:
    """Suggestions move to one row per segment (qualkit.store.suggestion_json): the stored
    suggestions are carried over as they were, order and evidence included."""
    import json

    segment_suggestions = _segment_suggestions_v4()
    segment_suggestions.create(conn)
    found: dict[tuple[int, str], list[list[object]]] = {}
    for segment_id, version in conn.execute(text(
            "SELECT segment_id, codebook_version FROM suggested_segments")):
        found[segment_id, version] = []
    for segment_id, version, code_id, score, evidence in conn.execute(text(
            "SELECT segment_id, codebook_version, code_id, score, evidence FROM suggestions "
            "ORDER BY segment_id, codebook_version, score DESC, code_id")):
        found.setdefault((segment_id, version), []).append([code_id, score, [
            [e["term"], e["kind"], int(bool(e.get("negated", False))),
             int(bool(e.get("context", False))), e["start"], e["end"], e["matched"]]
            for e in json.loads(evidence)]])
    if found:
        conn.execute(segment_suggestions.insert(), [
            {"segment_id": seg, "codebook_version": version,
             "suggestions": json.dumps(items, ensure_ascii=False, separators=(",", ":"))}
            for (seg, version), items in found.items()])
    conn.execute(text("DROP TABLE suggestions"))
    conn.execute(text("DROP TABLE suggested_segments"))


def _suggestions_per_transcript(conn: Connection) -> None:
    """Suggestions move to one row per transcript (qualkit.store.suggestion_json), without the
    matched words (the transcript's text between the offsets). A transcript counts as
    read only if every one of its segments was; the others are read again by the next
    ``qualkit suggest``. Whether moderators were read was not recorded, so it is taken
    as not: ``suggest --include-moderator`` reads those transcripts again."""
    import json

    schema.transcript_suggestions.create(conn)
    sizes = dict(conn.execute(text(
        "SELECT transcript_id, count(*) FROM segments GROUP BY transcript_id")).all())
    rows: list[dict[str, object]] = []

    def keep(key: tuple[int, str], entries: list[list[object]], segments: int) -> None:
        if segments == sizes.get(key[0]):
            rows.append({"transcript_id": key[0], "codebook_version": key[1],
                         "moderators": False,
                         "suggestions": json.dumps(entries, ensure_ascii=False,
                                                   separators=(",", ":"))})
        if len(rows) >= 500:  # in batches, while reading: memory stays flat
            flush()

    def flush() -> None:
        if rows:
            conn.execute(schema.transcript_suggestions.insert(), rows)
            rows.clear()

    key: tuple[int, str] | None = None
    entries: list[list[object]] = []
    segments = 0
    for transcript_id, segment_id, version, data in conn.execute(text(
            "SELECT s.transcript_id, s.id, x.codebook_version, x.suggestions "
            "FROM segment_suggestions x JOIN segments s ON s.id = x.segment_id "
            "ORDER BY s.transcript_id, x.codebook_version, s.idx")):
        if (transcript_id, version) != key:
            if key is not None:
                keep(key, entries, segments)
            key, entries, segments = (transcript_id, version), [], 0
        segments += 1
        items = [[code_id, score, [e[:6] for e in evidence]]
                 for code_id, score, evidence in json.loads(data)]
        if items:
            entries.append([segment_id, items])
    if key is not None:
        keep(key, entries, segments)
    flush()
    conn.execute(text("DROP TABLE segment_suggestions"))


def _coded_spans(conn: Connection) -> None:
    """The exact spans of imported REFI-QDA codings (frozen copy of the table)."""
    frozen = MetaData()
    Table("transcripts", frozen, Column("id", Integer, primary_key=True))
    Table("coders", frozen, Column("name", String(100), primary_key=True))
    Table("codebooks", frozen, Column("version", String(64), primary_key=True))
    Table(
        "coded_spans",
        frozen,
        Column("id", Integer, primary_key=True),
        Column("transcript_id", Integer, ForeignKey("transcripts.id", ondelete="CASCADE"),
               nullable=False),
        Column("start", Integer, nullable=False),
        Column("end", Integer, nullable=False),
        Column("coder", String(100), ForeignKey("coders.name"), nullable=False),
        Column("code_id", String(100), nullable=False),
        Column("codebook_version", String(64), ForeignKey("codebooks.version"),
               nullable=False),
        Column("origin", String(200), nullable=False),
        Column("at", String(32), nullable=False),
        UniqueConstraint("transcript_id", "start", "end", "coder", "code_id"),
    ).create(conn)


def _learned_suggestions(conn: Connection) -> None:
    """Learned suggestions (per transcript, codebook version and coder) and what each
    learned run was trained on. Frozen copies: later migrations must not change these."""
    frozen = MetaData()
    Table("transcripts", frozen, Column("id", Integer, primary_key=True))
    Table("codebooks", frozen, Column("version", String(64), primary_key=True))
    Table("coders", frozen, Column("name", String(100), primary_key=True))
    Table("learned_suggestions", frozen,
          Column("transcript_id", Integer, ForeignKey("transcripts.id", ondelete="CASCADE"),
                 primary_key=True),
          Column("codebook_version", String(64), ForeignKey("codebooks.version"),
                 primary_key=True),
          Column("coder", String(100), ForeignKey("coders.name"), primary_key=True),
          Column("suggestions", Text, nullable=False))
    Table("learned_runs", frozen,
          Column("codebook_version", String(64), ForeignKey("codebooks.version"),
                 primary_key=True),
          Column("coder", String(100), ForeignKey("coders.name"), primary_key=True),
          Column("trained_at", String(32), nullable=False),
          Column("summary", JSON, nullable=False))
    for name in ("learned_suggestions", "learned_runs"):
        frozen.tables[name].create(conn)


def _learned_models(conn: Connection) -> None:
    """The trained model behind each coder's learned suggestions (frozen copy)."""
    frozen = MetaData()
    Table("codebooks", frozen, Column("version", String(64), primary_key=True))
    Table("coders", frozen, Column("name", String(100), primary_key=True))
    Table("learned_models", frozen,
          Column("codebook_version", String(64), ForeignKey("codebooks.version"),
                 primary_key=True),
          Column("coder", String(100), ForeignKey("coders.name"), primary_key=True),
          Column("trained_at", String(32), nullable=False),
          Column("meta", JSON, nullable=False),
          Column("arrays", LargeBinary, nullable=False)).create(conn)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "transcripts, segments, codebooks and the coding event log", _initial),
    Migration(2, "suggestions, memos on coding events, imported files", _suggestions_memos_files),
    Migration(3, "segment notes: memos and illustrative-quote marks", _segment_notes),
    Migration(4, "suggestions stored as one row per segment", _suggestions_per_segment),
    Migration(5, "suggestions stored as one row per transcript", _suggestions_per_transcript),
    Migration(6, "exact spans of imported REFI-QDA codings", _coded_spans),
    Migration(7, "learned suggestions and learned runs", _learned_suggestions),
    Migration(8, "the trained model behind learned suggestions", _learned_models),
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


MIGRATION_LOCK = 0x716B_6D69  # "qkmi": the advisory lock key serialising migrations


def apply(engine: Engine, upto: int = LATEST) -> list[Migration]:
    """Apply every pending migration up to ``upto``, each in its own transaction.

    Each step first takes the database's migration lock (SQLite's write lock, a PostgreSQL
    advisory lock) and reads the version again, so clients that open a new database at
    the same moment apply every step exactly once."""
    applied: list[Migration] = []
    while True:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                             {"key": MIGRATION_LOCK})
            schema_migrations.create(conn, checkfirst=True)
            todo = [m for m in pending(conn) if m.version <= upto]
            if not todo:
                return applied
            migration = todo[0]
            migration.apply(conn)
            conn.execute(schema_migrations.insert().values(
                version=migration.version, name=migration.name,
                applied_at=datetime.now(UTC).isoformat(timespec="seconds")))
            applied.append(migration)
