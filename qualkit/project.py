"""A project is a folder: ``codebooks/``, ``transcripts/``, ``exports/`` and one database.

Keeping the researcher's inputs as plain files beside the database means a project can live
in version control (the database is derived from the files plus the coders' decisions), and
a fresh clone of a project repository is already a project: the database is created on
first use.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualkit.errors import FileError, ProjectError
from qualkit.store import Store, open_store
from qualkit.store.backend import ENV, is_server

DATABASE = "qualkit.db"
SETTINGS = "qualkit.toml"
FOLDERS = ("codebooks", "transcripts", "exports")
CODINGS = "codings"
PARTICIPANTS = "participants.csv"

_OVERRIDE: dict[str, str | None] = {"database": None}
"""The ``--db`` of the command running now (see :func:`use_database`)."""

_GITIGNORE = f"{DATABASE}\n{DATABASE}-wal\n{DATABASE}-shm\n{DATABASE}.*.bak\n*.dump\n"


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / DATABASE

    @property
    def codebooks(self) -> Path:
        return self.root / "codebooks"

    @property
    def transcripts(self) -> Path:
        return self.root / "transcripts"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def codings(self) -> Path:
        return self.root / CODINGS

    @property
    def participants_file(self) -> Path:
        return self.transcripts / PARTICIPANTS

    @property
    def settings_file(self) -> Path:
        return self.root / SETTINGS

    def settings(self) -> dict[str, Any]:
        """The optional ``qualkit.toml``: choices kept with the project's files (for
        example which codebook in ``codebooks/`` is the project's), so a fresh clone
        behaves like the original."""
        return self.table("project")

    def table(self, name: str) -> dict[str, Any]:
        """One table of ``qualkit.toml`` (``[project]``, ``[import]``); empty when the file
        or the table is missing."""
        import tomllib

        path = self.settings_file
        if not path.is_file():
            return {}
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise FileError(path, f"is not valid TOML ({exc})") from None
        section = data.get(name, {})
        if not isinstance(section, dict):
            raise FileError(path, f"needs a [{name}] table")
        return section

    @property
    def location(self) -> Path | str:
        """Where the project's database is: ``--db``, else ``QUALKIT_DATABASE_URL``, else
        ``database`` in ``qualkit.toml`` (a team's server), else ``qualkit.db`` here. One
        rule for every command, so a coder's ``tag`` and the owner's ``report`` agree."""
        named = _OVERRIDE["database"] or os.environ.get(ENV) or self._configured()
        if not named:
            return self.database
        if is_server(named):
            return named
        path = Path(named).expanduser()
        return path if path.is_absolute() else self.root / path

    @property
    def on_server(self) -> bool:
        return is_server(self.location)

    def _configured(self) -> str | None:
        value = self.settings().get("database")
        if value is not None and not isinstance(value, str):
            raise FileError(self.settings_file, "`database` must be a string: a "
                            "postgresql:// URL or a path to the SQLite file")
        return value or None

    def open_store(self) -> Store:
        return open_store(self.location)

    def relative(self, path: Path) -> str:
        """A path as stored and shown: relative to the project when it is inside it."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)


@contextmanager
def use_database(location: str | None) -> Iterator[None]:
    """Make ``location`` (``--db``) the database of every project opened inside, so a
    command's helpers (a .qdpx import, worker processes' parents) cannot miss it."""
    before = _OVERRIDE["database"]
    _OVERRIDE["database"] = location or before
    try:
        yield
    finally:
        _OVERRIDE["database"] = before


def find(root: Path) -> Project:
    """The project at ``root``, or a :class:`ProjectError` saying how to make one.

    With a server named (``--db``, the environment, ``qualkit.toml``), any existing folder
    will do: a coder on another machine needs no copy of the project's files."""
    if not root.is_dir():
        raise ProjectError(f"{root}: no such folder; create a project with `qualkit init {root}`")
    if (root / DATABASE).is_file() or all((root / f).is_dir() for f in FOLDERS[:2]):
        return Project(root)
    if Project(root).on_server:
        return Project(root)
    raise ProjectError(
        f"{root} is not a qualkit project (no {DATABASE}, codebooks/ or transcripts/); "
        f"create one with `qualkit init {root}` or pass --project DIR"
    )


def init(root: Path) -> tuple[Project, bool]:
    """Create the project folders and database; returns (project, created)."""
    if root.exists() and not root.is_dir():
        raise ProjectError(f"{root} exists and is not a folder; choose another path")
    created = not (root / DATABASE).exists()
    for folder in FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    ignore = root / ".gitignore"
    if not ignore.exists():
        ignore.write_text(_GITIGNORE, encoding="utf-8")
    project = Project(root)
    project.open_store().close()
    return project, created
