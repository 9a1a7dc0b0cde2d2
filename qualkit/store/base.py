"""What every query needs: a connection inside or outside a transaction, settings,
and the plain-row helpers that keep bulk reads and writes fast."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, Self

from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.exc import DBAPIError, OperationalError

from qualkit.errors import ProjectError
from qualkit.model import (
    CodingAction,
    CodingEvent,
    Transcript,
)
from qualkit.store import schema as t


def now() -> str:
    """The current time as the store keeps it: ISO-8601 UTC, to the microsecond."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _event(row: Any) -> CodingEvent:
    return CodingEvent(segment_id=row.segment_id, coder=row.coder,
                       action=CodingAction(row.action), code_id=row.code_id,
                       codebook_version=row.codebook_version, origin=row.origin,
                       at=datetime.fromisoformat(row.at), memo=row.memo)


REFUSED = "42501"  # PostgreSQL's insufficient_privilege: a row-level security policy said no
CODE_RENAMES = "code_renames"  # setting: JSON map, old code id -> id in the active codebook


class StoreBase:
    """Connections and transactions; the query families build on it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._active: Connection | None = None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
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
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != REFUSED:
                raise
            raise ProjectError(
                f"the server refused this write for the database role "
                f"`{self.engine.url.username}` (a coder writes only their own decisions, "
                "under their own name: pass --coder with the name your connection line "
                "gives, or ask the project owner)") from None

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

    # -- imported files ------------------------------------------------------------------

    def imported_hash(self, path: str) -> str | None:
        with self._read() as conn:
            return conn.execute(select(t.imported_files.c.sha256)
                                .where(t.imported_files.c.path == path)).scalar_one_or_none()

    def record_import(self, conn: Connection, path: str, kind: str, sha256: str) -> None:
        conn.execute(delete(t.imported_files).where(t.imported_files.c.path == path))
        conn.execute(insert(t.imported_files).values(path=path, kind=kind, sha256=sha256,
                                                     imported_at=now()))


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
