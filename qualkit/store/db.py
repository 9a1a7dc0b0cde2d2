"""The one access layer between qualkit and its database.

Every query lives here, written in SQLAlchemy Core against :mod:`qualkit.store.schema`, so
a PostgreSQL database can sit under a team project without rewriting them: only
:func:`open_store` knows which backend it is talking to. Callers get model records back,
never rows or SQL.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import replace
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import DatabaseError, OperationalError

from qualkit.coding.decisions import fold
from qualkit.errors import ProjectError
from qualkit.model import (
    Coding,
    CodingAction,
    CodingEvent,
    NoteKind,
    Participant,
    Segment,
    SegmentNote,
    Suggestion,
    Transcript,
    Turn,
)
from qualkit.store import migrations, suggestion_json
from qualkit.store import schema as t

log = logging.getLogger(__name__)


def now() -> str:
    """The current time as the store keeps it: ISO-8601 UTC, to the microsecond."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


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


def open_store(path: Path, *, migrate: bool = True, read_only: bool = False) -> Store:
    """Open (creating if needed) the project database at ``path`` and bring its schema up
    to date, taking a backup first when an existing database is migrated. A read-only
    store (``read_only``, which implies no migration) cannot write and takes no lock."""
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


def _event(row: Any) -> CodingEvent:
    return CodingEvent(segment_id=row.segment_id, coder=row.coder,
                       action=CodingAction(row.action), code_id=row.code_id,
                       codebook_version=row.codebook_version, origin=row.origin,
                       at=datetime.fromisoformat(row.at), memo=row.memo)


CODE_RENAMES = "code_renames"  # setting: JSON map, old code id -> id in the active codebook


class Store:
    """Queries over one project's database. Cheap to create; close it when done."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._active: Connection | None = None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One unit of work: committed whole or not at all.

        Inside an open transaction, another ``transaction()`` joins it and reads go through
        it too, so a long unit of work (an import) sees its own writes and is not blocked
        by the write lock it holds itself. A store is used from one thread."""
        if self._active is not None:
            yield self._active
            return
        try:
            with self.engine.begin() as conn:
                self._active = conn
                try:
                    yield conn
                finally:
                    self._active = None
        except OperationalError as exc:
            raise ProjectError(f"the project database could not be written ({exc.orig})"
                               ) from None

    def _read(self) -> AbstractContextManager[Connection]:
        if self._active is not None:
            return nullcontext(self._active)
        return self.engine.connect()

    # -- settings --------------------------------------------------------------------

    def setting(self, key: str) -> str | None:
        with self._read() as conn:
            return conn.execute(select(t.settings.c.value).where(t.settings.c.key == key)
                                ).scalar_one_or_none()

    def set_setting(self, key: str, value: str, conn: Connection | None = None) -> None:
        with self._maybe(conn) as c:
            c.execute(delete(t.settings).where(t.settings.c.key == key))
            c.execute(insert(t.settings).values(key=key, value=value))

    @contextmanager
    def _maybe(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
        else:
            with self.transaction() as c:
                yield c

    # -- transcripts, turns, segments --------------------------------------------------

    def transcripts(self) -> list[Transcript]:
        with self._read() as conn:
            rows = conn.execute(select(t.transcripts).order_by(t.transcripts.c.name)).all()
        return [_transcript(r) for r in rows]

    def transcript(self, name: str) -> Transcript | None:
        with self._read() as conn:
            row = conn.execute(select(t.transcripts).where(t.transcripts.c.name == name)
                               ).first()
        return _transcript(row) if row else None

    def add_transcript(self, conn: Connection, *, name: str, source: str, sha256: str,
                       text: str, attributes: dict[str, str], turns: Iterable[Turn],
                       spans: Iterable[tuple[int, int, int, str]],
                       batch: int = 5000) -> int:
        """Store a transcript with its turns and segments (turn index, start, end, speaker).

        Turns and segments may be generators; they are inserted ``batch`` rows at a time so
        a long transcript is never held twice in memory."""
        tid = conn.execute(insert(t.transcripts).values(
            name=name, source=source, sha256=sha256, text=text, attributes=attributes,
            imported_at=now())).inserted_primary_key[0]
        turn_rows = ((tid, turn.index, turn.speaker, turn.start, turn.end, turn.timestamp)
                     for turn in turns)
        segment_rows = ((tid, turn_idx, i, start, end, speaker)
                        for i, (turn_idx, start, end, speaker) in enumerate(spans))
        for table, columns, rows in (
                (t.turns, ("transcript_id", "idx", "speaker", "start", "end", "timestamp"),
                 turn_rows),
                (t.segments, ("transcript_id", "turn_idx", "idx", "start", "end", "speaker"),
                 segment_rows)):
            while chunk := list(islice(rows, batch)):
                _bulk_insert(conn, table, columns, chunk)
        return int(tid)

    def set_transcript_attributes(self, conn: Connection, transcript_id: int,
                                  attributes: dict[str, str]) -> None:
        conn.execute(update(t.transcripts).where(t.transcripts.c.id == transcript_id)
                     .values(attributes=attributes))

    def transcript_counts(self) -> dict[str, tuple[int, str, int, int, int]]:
        """(id, source, turns, segments, distinct speakers) by transcript name, in name
        order, without loading the texts."""
        with self._read() as conn:
            turns = dict(conn.execute(
                select(t.turns.c.transcript_id, func.count())
                .group_by(t.turns.c.transcript_id)).all())
            speakers = dict(conn.execute(
                select(t.turns.c.transcript_id, func.count(t.turns.c.speaker.distinct()))
                .group_by(t.turns.c.transcript_id)).all())
            segments = dict(conn.execute(
                select(t.segments.c.transcript_id, func.count())
                .group_by(t.segments.c.transcript_id)).all())
            rows = conn.execute(select(t.transcripts.c.id, t.transcripts.c.name,
                                       t.transcripts.c.source)
                                .order_by(t.transcripts.c.name)).all()
        return {r.name: (r.id, r.source, int(turns.get(r.id, 0)), int(segments.get(r.id, 0)),
                         int(speakers.get(r.id, 0))) for r in rows}

    def delete_transcript(self, conn: Connection, transcript_id: int) -> None:
        conn.execute(delete(t.transcripts).where(t.transcripts.c.id == transcript_id))

    def turns(self, transcript_id: int) -> list[Turn]:
        with self._read() as conn:
            rows = conn.execute(select(t.turns).where(t.turns.c.transcript_id == transcript_id)
                                .order_by(t.turns.c.idx)).all()
        return [Turn(transcript_id=r.transcript_id, index=r.idx, speaker=r.speaker,
                     start=r.start, end=r.end, timestamp=r.timestamp) for r in rows]

    def segments(self, transcript_ids: Iterable[int] | None = None) -> list[Segment]:
        """Segments in reading order (transcript name, position), with their text."""
        if transcript_ids is None:
            return self._segments(None)
        return self._segments(t.segments.c.transcript_id.in_(list(transcript_ids)))

    def _segments(self, condition: Any) -> list[Segment]:
        # Each transcript's text is read once and sliced; joining it onto every segment row
        # would copy the whole text per segment.
        query = select(t.segments).order_by(t.segments.c.transcript_id, t.segments.c.idx)
        if condition is not None:
            query = query.where(condition)
        with self._read() as conn:
            rows = conn.execute(query).all()
            ids = sorted({r.transcript_id for r in rows})
            owners = conn.execute(select(t.transcripts.c.id, t.transcripts.c.name,
                                         t.transcripts.c.text)
                                  .where(t.transcripts.c.id.in_(ids))).all() if ids else []
        texts = {o.id: o.text for o in owners}
        names = {o.id: o.name for o in owners}
        segments = [Segment(id=r.id, transcript_id=r.transcript_id, turn_index=r.turn_idx,
                            index=r.idx, start=r.start, end=r.end,
                            text=texts[r.transcript_id][r.start:r.end], speaker=r.speaker)
                    for r in rows]
        segments.sort(key=lambda s: (names[s.transcript_id], s.index))
        return segments

    def segment_count(self) -> int:
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(t.segments)).scalar_one())

    def transcript_ids(self) -> list[int]:
        """Transcript ids in reading order (by name)."""
        with self._read() as conn:
            return list(conn.execute(select(t.transcripts.c.id)
                                     .order_by(t.transcripts.c.name)).scalars())

    def segment_spans(self, transcript_id: int
                      ) -> tuple[str, list[tuple[int, int, int, int, int, str]]]:
        """A transcript's text and its segments as plain (id, turn index, index, start,
        end, speaker) rows in reading order: one transcript at a time keeps memory flat
        when every segment of a corpus is read."""
        with self._read() as conn:
            ((text,),) = _raw_rows(conn, _TRANSCRIPT_TEXT, {"transcript": transcript_id})
            rows = _raw_rows(conn, _SEGMENT_SPANS, {"transcript": transcript_id})
        return text, rows

    def segment_ids(self, conn: Connection, transcript_id: int) -> list[int]:
        """A transcript's segment ids in reading order, inside a transaction that may have
        just stored them (another connection would not see them yet)."""
        return list(conn.execute(select(t.segments.c.id)
                                 .where(t.segments.c.transcript_id == transcript_id)
                                 .order_by(t.segments.c.idx)).scalars())

    def segment(self, segment_id: int) -> Segment | None:
        found = [s for s in self._segments(t.segments.c.id == segment_id)]
        return found[0] if found else None

    def count_codings_on(self, transcript_id: int) -> tuple[int, int]:
        """(events, coders) recorded on a transcript's segments."""
        query = (select(func.count(), func.count(t.coding_events.c.coder.distinct()))
                 .select_from(t.coding_events.join(
                     t.segments, t.coding_events.c.segment_id == t.segments.c.id))
                 .where(t.segments.c.transcript_id == transcript_id))
        with self._read() as conn:
            events, coders = conn.execute(query).one()
        return int(events), int(coders)

    # -- participants ----------------------------------------------------------------

    def replace_participants(self, conn: Connection, people: Iterable[Participant]) -> None:
        conn.execute(delete(t.participants))
        rows = [{"name": p.name, "attributes": dict(p.attributes)} for p in people]
        if rows:
            conn.execute(insert(t.participants), rows)

    def merge_participants(self, conn: Connection, people: Iterable[Participant]) -> None:
        """Add speakers found in a transcript file (a spreadsheet's respondents); the
        roster's attributes win where both name one."""
        for person in people:
            row = conn.execute(select(t.participants.c.attributes)
                               .where(t.participants.c.name == person.name)).first()
            if row is None:
                conn.execute(insert(t.participants).values(name=person.name,
                                                           attributes=dict(person.attributes)))
            else:
                merged = {**dict(person.attributes), **dict(row.attributes)}
                if merged != row.attributes:
                    conn.execute(update(t.participants)
                                 .where(t.participants.c.name == person.name)
                                 .values(attributes=merged))

    def participants(self) -> dict[str, Participant]:
        with self._read() as conn:
            rows = conn.execute(select(t.participants)).all()
        return {r.name: Participant(r.name, r.attributes) for r in rows}

    # -- codebooks -----------------------------------------------------------------

    def save_codebook(self, conn: Connection, *, version: str, name: str, label: str,
                      content: dict[str, Any], source: str) -> bool:
        """Record a codebook version; False when that exact content was already stored."""
        exists = conn.execute(select(t.codebooks.c.version)
                              .where(t.codebooks.c.version == version)).first()
        if exists:
            return False
        conn.execute(insert(t.codebooks).values(version=version, name=name, label=label,
                                                content=content, source=source,
                                                loaded_at=now()))
        return True

    def codebook_content(self, version: str) -> dict[str, Any] | None:
        with self._read() as conn:
            return conn.execute(select(t.codebooks.c.content)
                                .where(t.codebooks.c.version == version)).scalar_one_or_none()

    # -- coders and the coding log -----------------------------------------------------

    def coders(self) -> list[str]:
        with self._read() as conn:
            return list(conn.execute(select(t.coders.c.name).order_by(t.coders.c.name))
                        .scalars())

    def ensure_coder(self, conn: Connection, name: str) -> None:
        if not conn.execute(select(t.coders.c.name).where(t.coders.c.name == name)).first():
            conn.execute(insert(t.coders).values(name=name, created_at=now()))

    def append_events(self, conn: Connection, events: Sequence[CodingEvent]) -> None:
        """Append to the log; events are never updated or deleted."""
        for coder in {e.coder for e in events}:
            self.ensure_coder(conn, coder)
        if events:
            conn.execute(insert(t.coding_events), [
                {"segment_id": e.segment_id, "coder": e.coder, "action": e.action.value,
                 "code_id": e.code_id, "codebook_version": e.codebook_version,
                 "origin": e.origin, "at": e.at.isoformat(timespec="microseconds"),
                 "memo": e.memo} for e in events])

    def events(self, coder: str | None = None) -> list[CodingEvent]:
        query = select(t.coding_events).order_by(t.coding_events.c.seq)
        if coder is not None:
            query = query.where(t.coding_events.c.coder == coder)
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [_event(r) for r in rows]

    def codings(self, coder: str) -> dict[int, Coding]:
        """A coder's current decisions by segment id; unreviewed segments are absent.

        Codes renamed by the active codebook (``renamed_from``) count under their new ids:
        the log keeps the id each decision was made under, and the rename map the project
        stored when that codebook was loaded is applied here, before folding, so a removal
        under the new id cancels an apply under the old one."""
        events = self.events(coder)
        renames = json.loads(self.setting(CODE_RENAMES) or "{}")
        if renames:
            events = [replace(e, code_id=renames.get(e.code_id, e.code_id))
                      if e.code_id in renames else e for e in events]
        return {seg: coding for (_, seg), coding in fold(events).items()}

    # -- bulk reads for analysis (reports at 100k segments) --------------------------------

    def segment_rows(self) -> list[tuple[int, int, int, int, int, int, str]]:
        """(id, transcript id, turn index, index, start, end, speaker) of every segment.

        Plain rows without text, for building tables in bulk: making a :class:`Segment`
        (and slicing its text) per segment costs more than the whole analysis."""
        s = t.segments.c
        query = select(s.id, s.transcript_id, s.turn_idx, s.idx, s.start, s.end, s.speaker)
        with self._read() as conn:
            return _raw_rows(conn, query)

    def coding_log(self, coder: str) -> list[tuple[int, int, str, str | None, str]]:
        """(seq, segment id, action, code id, origin) of a coder's events in log order:
        the log as plain rows, for folding in bulk (see :func:`qualkit.coding.decisions.fold`)."""
        e = t.coding_events.c
        query = (select(e.seq, e.segment_id, e.action, e.code_id, e.origin)
                 .where(e.coder == coder).order_by(e.seq))
        with self._read() as conn:
            return _raw_rows(conn, query)

    def coding_versions(self, coder: str | None = None) -> set[str]:
        """The codebook versions the coding log (of one coder, or everyone) was made under."""
        query = select(t.coding_events.c.codebook_version).distinct()
        if coder is not None:
            query = query.where(t.coding_events.c.coder == coder)
        with self._read() as conn:
            return set(conn.execute(query).scalars())

    # -- notes: memos and illustrative-quote marks -------------------------------------

    def add_notes(self, conn: Connection, notes: Sequence[SegmentNote]) -> None:
        """Append memos or quote marks; like the coding log, notes are never rewritten."""
        for coder in {n.coder for n in notes}:
            self.ensure_coder(conn, coder)
        if notes:
            conn.execute(insert(t.segment_notes), [
                {"segment_id": n.segment_id, "coder": n.coder, "kind": n.kind.value,
                 "value": n.value, "at": n.at.isoformat(timespec="microseconds")}
                for n in notes])

    def notes(self, kind: NoteKind, coder: str | None = None) -> dict[tuple[str, int], str]:
        """The current note of one kind per (coder, segment): the latest, if not cleared.

        Memos written on coding events (a coder's file, an adjudication) count too, in time
        order with the note log, so a memo is found wherever it was written."""
        query = (select(t.segment_notes.c.segment_id, t.segment_notes.c.coder,
                        t.segment_notes.c.value, t.segment_notes.c.at)
                 .where(t.segment_notes.c.kind == kind.value))
        if coder is not None:
            query = query.where(t.segment_notes.c.coder == coder)
        with self._read() as conn:
            rows = [(r.at, 1, r.coder, r.segment_id, r.value)
                    for r in conn.execute(query.order_by(t.segment_notes.c.seq))]
            if kind is NoteKind.MEMO:
                memos = (select(t.coding_events.c.segment_id, t.coding_events.c.coder,
                                t.coding_events.c.memo, t.coding_events.c.at)
                         .where(t.coding_events.c.memo.is_not(None))
                         .order_by(t.coding_events.c.seq))
                if coder is not None:
                    memos = memos.where(t.coding_events.c.coder == coder)
                rows += [(r.at, 0, r.coder, r.segment_id, r.memo)
                         for r in conn.execute(memos)]
        current: dict[tuple[str, int], str] = {}
        for _, _, who, segment_id, value in sorted(rows, key=lambda r: (r[0], r[1])):
            current[(who, segment_id)] = value
        return {key: value for key, value in current.items() if value}

    # -- suggestions -------------------------------------------------------------------

    def suggested_transcript_ids(self, version: str, moderators: bool = False) -> set[int]:
        """Transcripts read whole under a codebook version (and with their moderators'
        segments, if ``moderators``): nothing there needs reading again."""
        with self._read() as conn:
            return set(conn.execute(_read_transcripts(version, moderators)).scalars())

    def unsuggested_segment_count(self, version: str, moderators: bool = False) -> int:
        """Segments of the transcripts not yet read under a codebook version."""
        query = (select(func.count()).select_from(t.segments).where(
            t.segments.c.transcript_id.not_in(_read_transcripts(version, moderators))))
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def forget_suggestions(self, conn: Connection, version: str) -> None:
        """Drop a version's suggestions so the next run reads every segment again."""
        conn.execute(delete(t.transcript_suggestions)
                     .where(t.transcript_suggestions.c.codebook_version == version))

    def save_suggestion_rows(self, conn: Connection, version: str,
                             rows: Sequence[tuple[int, bool, str]]) -> None:
        """Store (transcript id, moderators read, suggestions as
        :mod:`qualkit.store.suggestion_json` text) for transcripts read whole, replacing what
        they had under the version."""
        if not rows:
            return
        table = t.transcript_suggestions
        columns = ("transcript_id", "codebook_version", "moderators", "suggestions")
        if conn.dialect.name == "sqlite":  # one statement that replaces, not two
            _bulk_insert(conn, table, columns,
                         [(tid, version, moderators, data) for tid, moderators, data in rows],
                         verb="INSERT OR REPLACE")
            return
        ids = [tid for tid, _, _ in rows]
        conn.execute(delete(table).where(table.c.codebook_version == version,
                                         table.c.transcript_id.in_(ids)))
        _bulk_insert(conn, table, columns,
                     [(tid, version, moderators, data) for tid, moderators, data in rows])

    def save_suggestions(self, conn: Connection, version: str, processed: Sequence[int],
                         found: Sequence[Suggestion]) -> None:
        """Replace the suggestions of the processed segments under one codebook version
        (suggestions made elsewhere than :func:`qualkit.suggest.engine.suggest_project`); their
        transcripts then count as read."""
        by_segment: dict[int, list[Suggestion]] = {seg: [] for seg in processed}
        for s in found:
            by_segment.setdefault(s.segment_id, []).append(s)
        seg = t.segments.c
        owner: dict[int, int] = {}
        ids = list(by_segment)
        for chunk in range(0, len(ids), 10_000):
            owner.update(conn.execute(select(seg.id, seg.transcript_id)
                                      .where(seg.id.in_(ids[chunk:chunk + 10_000])))
                         .tuples().all())
        s = t.transcript_suggestions.c
        rows = []
        for transcript_id in sorted(set(owner.values())):
            old = conn.execute(select(s.moderators, s.suggestions).where(
                s.transcript_id == transcript_id, s.codebook_version == version)).first()
            entries = suggestion_json.entries(old[1]) if old else {}
            entries.update({segment_id: suggestion_json.stored_form(items)
                            for segment_id, items in by_segment.items()
                            if owner.get(segment_id) == transcript_id})
            rows.append((transcript_id, bool(old[0]) if old else False,
                         suggestion_json.from_entries(entries)))
        self.save_suggestion_rows(conn, version, rows)

    def _suggestion_rows(self, version: str, segment_id: int | None = None,
                         with_text: bool = True) -> list[tuple[str, str]]:
        """(suggestions, transcript text) of the transcripts read under a version (only
        the one holding ``segment_id``, if given); text "" without ``with_text``."""
        s = t.transcript_suggestions.c
        text = t.transcripts.c.text if with_text else literal("")
        query = (select(s.suggestions, text)
                 .join_from(t.transcript_suggestions, t.transcripts,
                            t.transcripts.c.id == s.transcript_id)
                 .where(s.codebook_version == version))
        if segment_id is not None:
            query = query.where(s.transcript_id == select(t.segments.c.transcript_id).where(
                t.segments.c.id == segment_id).scalar_subquery())
        with self._read() as conn:
            return _raw_rows(conn, query.order_by(s.transcript_id))

    def suggestions(self, version: str, segment_id: int | None = None) -> list[Suggestion]:
        """Suggestions by segment id, the highest score first within a segment."""
        rows = self._suggestion_rows(version, segment_id)
        if segment_id is not None:
            return [found for data, text in rows
                    for found in suggestion_json.suggestions(
                        segment_id, suggestion_json.entries(data).get(segment_id, []), text)]
        found = [s for data, text in rows for s in suggestion_json.decode(data, text)]
        found.sort(key=lambda s: s.segment_id)  # stable: scores stay in order
        return found

    def suggestion_counts(self, version: str) -> dict[str, int]:
        """Segments the matcher suggested each code for, under one codebook version."""
        counts: Counter[str] = Counter()
        for data, _ in self._suggestion_rows(version, with_text=False):
            for codes in suggestion_json.code_ids(data).values():
                counts.update(codes)
        return dict(counts)

    # -- imported files ------------------------------------------------------------------

    def imported_hash(self, path: str) -> str | None:
        with self._read() as conn:
            return conn.execute(select(t.imported_files.c.sha256)
                                .where(t.imported_files.c.path == path)).scalar_one_or_none()

    def record_import(self, conn: Connection, path: str, kind: str, sha256: str) -> None:
        conn.execute(delete(t.imported_files).where(t.imported_files.c.path == path))
        conn.execute(insert(t.imported_files).values(path=path, kind=kind, sha256=sha256,
                                                     imported_at=now()))

    # -- the tagging session and the audit trail ---------------------------------------

    def suggestion_index(self, version: str) -> dict[int, frozenset[str]]:
        """Suggested code ids by segment, without the evidence: what filters need."""
        return {seg: frozenset(codes)
                for data, _ in self._suggestion_rows(version, with_text=False)
                for seg, codes in suggestion_json.code_ids(data).items()}

    def segment_events(self, segment_id: int) -> list[CodingEvent]:
        """Every coder's events on one segment, in log order (the segment's history)."""
        query = (select(t.coding_events).where(t.coding_events.c.segment_id == segment_id)
                 .order_by(t.coding_events.c.seq))
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [_event(r) for r in rows]

    def segment_note_log(self, segment_id: int) -> list[SegmentNote]:
        """Every coder's memos and quote marks on one segment, in log order."""
        query = (select(t.segment_notes).where(t.segment_notes.c.segment_id == segment_id)
                 .order_by(t.segment_notes.c.seq))
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [SegmentNote(segment_id=r.segment_id, coder=r.coder, kind=NoteKind(r.kind),
                            value=r.value, at=datetime.fromisoformat(r.at)) for r in rows]

    def coder_activity(self) -> dict[str, tuple[int, int, str | None]]:
        """(coding events, notes, last time active) per coder, in name order."""
        events = (select(t.coding_events.c.coder, func.count(), func.max(t.coding_events.c.at))
                  .group_by(t.coding_events.c.coder))
        notes = (select(t.segment_notes.c.coder, func.count(), func.max(t.segment_notes.c.at))
                 .group_by(t.segment_notes.c.coder))
        with self._read() as conn:
            by_events = {r[0]: (int(r[1]), r[2]) for r in conn.execute(events)}
            by_notes = {r[0]: (int(r[1]), r[2]) for r in conn.execute(notes)}
            names = list(conn.execute(select(t.coders.c.name).order_by(t.coders.c.name))
                         .scalars())
        result: dict[str, tuple[int, int, str | None]] = {}
        for name in names:
            n_events, last_event = by_events.get(name, (0, None))
            n_notes, last_note = by_notes.get(name, (0, None))
            last = max((x for x in (last_event, last_note) if x), default=None)
            result[name] = (n_events, n_notes, last)
        return result


_COMPILED: dict[tuple[int, str], Any] = {}
"""Compiled statements by (id of a module-level statement, dialect): only statements
that live as long as the process are kept here."""


def _raw_rows(conn: Connection, query: Any, params: dict[str, Any] | None = None
              ) -> list[Any]:
    """All rows of a query of plain columns as the driver's tuples: SQLAlchemy's per-row
    processing costs more than the query itself for a few hundred thousand rows. The
    statement is compiled for the connection's dialect, so it stays portable; a statement
    with bound parameters (``params``) is compiled once per dialect and kept."""
    if params is None:
        compiled = query.compile(dialect=conn.dialect)
    else:
        key = (id(query), conn.dialect.name)
        if key not in _COMPILED:
            _COMPILED[key] = query.compile(dialect=conn.dialect)
        compiled = _COMPILED[key]
    params = compiled.construct_params(params)
    args: Any = ([params[name] for name in compiled.positiontup or ()]
                 if compiled.positional else params)
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled), args)
        return list(cursor.fetchall())
    finally:
        cursor.close()




_TRANSCRIPT_TEXT = select(t.transcripts.c.text).where(
    t.transcripts.c.id == bindparam("transcript"))
_SEGMENT_SPANS = (select(t.segments.c.id, t.segments.c.turn_idx, t.segments.c.idx,
                         t.segments.c.start, t.segments.c.end, t.segments.c.speaker)
                  .where(t.segments.c.transcript_id == bindparam("transcript"))
                  .order_by(t.segments.c.idx))



def _read_transcripts(version: str, moderators: bool) -> Any:
    """The ids of transcripts read under a version (with moderators, if asked)."""
    s = t.transcript_suggestions.c
    query = select(s.transcript_id).where(s.codebook_version == version)
    return query.where(s.moderators.is_(True)) if moderators else query


def _bulk_insert(conn: Connection, table: Any, columns: Sequence[str],
                 rows: Sequence[tuple[Any, ...]], verb: str = "INSERT") -> None:
    """Many rows through the driver's executemany, skipping SQLAlchemy's per-row parameter
    processing (the bulk of the time for hundreds of thousands of suggestions). Values must
    already be in their database form (JSON as text). The placeholder follows the driver's
    paramstyle, so the statement stays portable."""
    if not rows:
        return
    style = conn.dialect.paramstyle
    mark = "?" if style == "qmark" else "%s" if style in ("format", "pyformat") else None
    if mark is None:
        conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    quote = conn.dialect.identifier_preparer.quote
    sql = (f"{verb} INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
           f"VALUES ({', '.join([mark] * len(columns))})")
    conn.exec_driver_sql(sql, list(rows))


def _transcript(row: Any) -> Transcript:
    return Transcript(id=row.id, name=row.name, text=row.text, sha256=row.sha256,
                      source=row.source, attributes=row.attributes)
