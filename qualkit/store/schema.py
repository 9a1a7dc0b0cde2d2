"""The current schema, as SQLAlchemy Core tables that every query is written against.

Only portable column types are used so the same queries run on SQLite (one file per
project) and on PostgreSQL (team projects). Times are ISO-8601 UTC strings: exact, sortable
and identical on every backend. The tables here must equal what the migrations in
:mod:`qualkit.store.migrations` build; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

transcripts = Table(
    "transcripts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("source", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("imported_at", String(32), nullable=False),
)

participants = Table(
    "participants",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("attributes", JSON, nullable=False),
)

turns = Table(
    "turns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("transcript_id", Integer, ForeignKey("transcripts.id", ondelete="CASCADE"),
           nullable=False),
    Column("idx", Integer, nullable=False),
    Column("speaker", String(200), nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("timestamp", String(32)),
    UniqueConstraint("transcript_id", "idx"),
)

segments = Table(
    "segments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("transcript_id", Integer, ForeignKey("transcripts.id", ondelete="CASCADE"),
           nullable=False),
    Column("turn_idx", Integer, nullable=False),
    Column("idx", Integer, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("speaker", String(200), nullable=False),
    UniqueConstraint("transcript_id", "idx"),
)

codebooks = Table(
    "codebooks",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("label", String(64), nullable=False),
    Column("content", JSON, nullable=False),
    Column("source", Text, nullable=False),
    Column("loaded_at", String(32), nullable=False),
)

coders = Table(
    "coders",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("created_at", String(32), nullable=False),
)

coding_events = Table(
    "coding_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("segment_id", Integer, ForeignKey("segments.id"), nullable=False),
    Column("coder", String(100), ForeignKey("coders.name"), nullable=False),
    Column("action", String(20), nullable=False),
    Column("code_id", String(100)),
    Column("codebook_version", String(64), ForeignKey("codebooks.version"), nullable=False),
    Column("origin", String(200), nullable=False),
    Column("at", String(32), nullable=False),
    Column("memo", Text),
)

transcript_suggestions = Table(
    "transcript_suggestions",
    metadata,
    # One row per transcript read under a codebook version: the JSON text of
    # qualkit.store.suggestion_json (one row per segment, or per suggestion, cost more to store
    # than finding them did). "moderators" says whether moderators' segments were read.
    Column("transcript_id", Integer, ForeignKey("transcripts.id", ondelete="CASCADE"),
           primary_key=True),
    Column("codebook_version", String(64), ForeignKey("codebooks.version"), primary_key=True),
    Column("moderators", Boolean, nullable=False),
    Column("suggestions", Text, nullable=False),
)

imported_files = Table(
    "imported_files",
    metadata,
    Column("path", Text, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("imported_at", String(32), nullable=False),
)

segment_notes = Table(
    "segment_notes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("segment_id", Integer, ForeignKey("segments.id"), nullable=False),
    Column("coder", String(100), ForeignKey("coders.name"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("value", Text, nullable=False),
    Column("at", String(32), nullable=False),
)

coded_spans = Table(
    "coded_spans",
    metadata,
    # The exact span of a coding imported from another tool (qualkit.refi): segments are
    # coded from it in coding_events; this keeps what the sender selected, so an export
    # writes the same characters back.
    Column("id", Integer, primary_key=True),
    Column("transcript_id", Integer, ForeignKey("transcripts.id", ondelete="CASCADE"),
           nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("coder", String(100), ForeignKey("coders.name"), nullable=False),
    Column("code_id", String(100), nullable=False),
    Column("codebook_version", String(64), ForeignKey("codebooks.version"), nullable=False),
    Column("origin", String(200), nullable=False),
    Column("at", String(32), nullable=False),
    UniqueConstraint("transcript_id", "start", "end", "coder", "code_id"),
)

learned_suggestions = Table(
    "learned_suggestions",
    metadata,
    # One row per transcript, codebook version and coder whose decisions the model learned
    # from: the JSON text of qualkit.store.learned_json (as transcript_suggestions, for the
    # same reason). Replaced whole by each `suggest --learn-from` run.
    Column("transcript_id", Integer, ForeignKey("transcripts.id", ondelete="CASCADE"),
           primary_key=True),
    Column("codebook_version", String(64), ForeignKey("codebooks.version"), primary_key=True),
    Column("coder", String(100), ForeignKey("coders.name"), primary_key=True),
    Column("suggestions", Text, nullable=False),
)

learned_runs = Table(
    "learned_runs",
    metadata,
    # What the stored learned suggestions were trained on, and the codes that abstained
    # (JSON: {"decisions", "transcripts", "segments", "abstaining": {code: reason}}).
    Column("codebook_version", String(64), ForeignKey("codebooks.version"), primary_key=True),
    Column("coder", String(100), ForeignKey("coders.name"), primary_key=True),
    Column("trained_at", String(32), nullable=False),
    Column("summary", JSON, nullable=False),
)

learned_models = Table(
    "learned_models",
    metadata,
    # The model behind a coder's stored learned suggestions (qualkit.suggest.model_file):
    # evidence is computed from it when a suggestion is shown. ``arrays`` is .npz bytes read
    # without pickle (a shared project file must not run code when opened); ``meta`` is
    # JSON. Replaced with the suggestions, in the same transaction.
    Column("codebook_version", String(64), ForeignKey("codebooks.version"), primary_key=True),
    Column("coder", String(100), ForeignKey("coders.name"), primary_key=True),
    Column("trained_at", String(32), nullable=False),
    Column("meta", JSON, nullable=False),
    Column("arrays", LargeBinary, nullable=False),
)
