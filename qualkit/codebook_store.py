"""Codebooks in a project: which version is active, and registering a new one.

The active codebook is the one suggestions and new codings are made under; every coding
records the version it was made with, so changing the codebook never rewrites history.
"""

from __future__ import annotations

from pathlib import Path

from qualkit.codebook import from_content, load_codebook
from qualkit.errors import ProjectError
from qualkit.model import Codebook
from qualkit.project import Project
from qualkit.store import Store

ACTIVE = "active_codebook"


def default_codebook_file(project: Project) -> Path:
    """The project's codebook: ``codebook`` in ``qualkit.toml``, else the only YAML file in
    ``codebooks/``."""
    named = project.settings().get("codebook")
    if named:
        path = project.root / str(named)
        if not path.is_file():
            raise ProjectError(f"{project.settings_file}: codebook {named} does not exist; "
                               "fix the path or remove the line")
        return path
    found = sorted(p for p in project.codebooks.glob("*.y*ml") if p.is_file())
    if len(found) == 1:
        return found[0]
    if not found:
        raise ProjectError(f"{project.codebooks}: no codebook (*.yaml); write one (see "
                           "codebooks/mentoring.yaml in the qualkit sample) or pass --codebook")
    names = ", ".join(p.name for p in found)
    raise ProjectError(f"{project.codebooks} holds several codebooks ({names}); "
                       "choose one with --codebook FILE, or name it in qualkit.toml "
                       "(codebook = \"codebooks/NAME.yaml\" under [project])")


def register_codebook(store: Store, project: Project, path: Path) -> tuple[Codebook, bool]:
    """Load a codebook file, store its version and make it active; (codebook, new?)."""
    codebook, content = load_codebook(path)
    with store.transaction() as conn:
        new = store.save_codebook(conn, version=codebook.version, name=codebook.name,
                                  label=codebook.label, content=content,
                                  source=project.relative(path))
        store.set_setting(ACTIVE, codebook.version, conn)
    return codebook, new


def active_codebook(store: Store) -> Codebook | None:
    version = store.setting(ACTIVE)
    if version is None:
        return None
    content = store.codebook_content(version)
    return from_content(content) if content is not None else None


def project_codebook(store: Store, project: Project, path: Path | None = None) -> Codebook:
    """The codebook to work under: the file given, else the active one, else the project's
    only codebook file (which then becomes active)."""
    if path is None:
        active = active_codebook(store)
        if active is not None:
            return active
        path = default_codebook_file(project)
    return register_codebook(store, project, path)[0]
