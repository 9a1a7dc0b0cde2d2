"""A project is a folder: ``codebooks/``, ``transcripts/``, ``exports/`` and one database.

Keeping the researcher's inputs as plain files beside the database means a project can live
in version control (the database is derived from the files plus the coders' decisions), and
a fresh clone of a project repository is already a project: the database is created on
first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualkit.errors import FileError, ProjectError
from qualkit.store import Store, open_store

DATABASE = "qualkit.db"
SETTINGS = "qualkit.toml"
FOLDERS = ("codebooks", "transcripts", "exports")
CODINGS = "codings"
PARTICIPANTS = "participants.csv"

_GITIGNORE = f"{DATABASE}\n{DATABASE}-wal\n{DATABASE}-shm\n{DATABASE}.*.bak\n"


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

    def open_store(self) -> Store:
        return open_store(self.database)

    def relative(self, path: Path) -> str:
        """A path as stored and shown: relative to the project when it is inside it."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)


def find(root: Path) -> Project:
    """The project at ``root``, or a :class:`ProjectError` saying how to make one."""
    if not root.is_dir():
        raise ProjectError(f"{root}: no such folder; create a project with `qualkit init {root}`")
    if (root / DATABASE).is_file() or all((root / f).is_dir() for f in FOLDERS[:2]):
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
