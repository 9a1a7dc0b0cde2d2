"""Codebooks in a project: which version is active, registering a new one, what changed.

The active codebook is the one suggestions and new codings are made under; every coding
records the version it was made with, so changing the codebook never rewrites history.

Renames (``renamed_from``) carry codings over *when state is read*, not by appending
events: :func:`code_id_mapping` says which old ids now mean which code, and whoever derives
current codings (reports, agreement, tagging) translates through it. Why not append
"apply new id" events for every coding of the old id? The log is the auditable record of
what people decided; events written by a codebook load would be decisions nobody made,
under every coder's name, and could not be undone when the rename itself is reverted. A
mapping derived from the stored codebook versions is reversible, costs nothing to store,
and leaves the log exactly as the coders wrote it. A removed code's codings stay in the
log untouched and are counted in :class:`LoadResult` so the loss of meaning is reported.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qualkit.codebook.load import from_content
from qualkit.errors import ProjectError
from qualkit.model import Codebook
from qualkit.project import Project
from qualkit.store import Store
from qualkit.store.base import CODE_RENAMES

if TYPE_CHECKING:
    from sqlalchemy import Connection

COMPARED = ("name", "definition", "include", "exclude", "keywords", "patterns", "examples",
            "color", "theme_id", "parent_id")

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
    """Load a codebook file (.yaml, .qdc, .csv, .xlsx), store its version and make it
    active; (codebook, new?)."""
    from qualkit.codebook import inductive
    from qualkit.codebook.formats import read_codebook

    content = inductive.merge(read_codebook(path).checked.content, inductive.stored(store))
    codebook = from_content(content)
    mapping = project_code_mapping(store, codebook)  # read before the write lock is taken
    with store.transaction() as conn:
        new = store.save_codebook(conn, version=codebook.version, name=codebook.name,
                                  label=codebook.label, content=content,
                                  source=project.relative(path))
        store.set_setting(ACTIVE, codebook.version, conn)
        store.set_setting(CODE_RENAMES, json.dumps(mapping, sort_keys=True), conn)
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


def add_inductive_codes(store: Store, conn: Connection, codebook: Codebook,
                        names: list[str], coder: str, source: str
                        ) -> tuple[Codebook, dict[str, str]]:
    """Add codes named ``names`` to the active codebook as inductive codes (see
    :mod:`qualkit.codebook.inductive`), inside the caller's transaction ``conn``; the new
    active version and name → new code id."""
    from qualkit.codebook import inductive

    content = store.codebook_content(codebook.version)
    if content is None:
        raise ProjectError(f"codebook {codebook.version} is not stored in this project; "
                           "load it with `qualkit codebook load FILE`")
    taken = {c.id for c in codebook.codes} | {t.id for t in codebook.themes}
    made: dict[str, str] = {}
    added = []
    for name in names:
        code = inductive.new_code(name, taken, coder, source)
        taken.add(code["id"])
        added.append(code)
        made[name] = code["id"]
    everything = inductive.stored(store) + added
    content = inductive.merge(content, everything)
    book = from_content(content)
    store.save_codebook(conn, version=book.version, name=book.name, label=book.label,
                        content=content, source=f"inductive:{source}")
    store.set_setting(inductive.SETTING, json.dumps(everything, ensure_ascii=False), conn)
    store.set_setting(ACTIVE, book.version, conn)
    return book, made


# -- what changed between two versions ---------------------------------------------------

@dataclass(frozen=True)
class CodebookChanges:
    """Codes added, removed, renamed (old id → new id) and redefined (id → changed fields)."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()
    redefined: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.renamed or self.redefined)

    def as_json(self) -> dict[str, object]:
        return {"added": list(self.added), "removed": list(self.removed),
                "renamed": [{"from": a, "to": b} for a, b in self.renamed],
                "redefined": [{"code": c, "fields": list(f)} for c, f in self.redefined]}


def diff_codebooks(old: Codebook, new: Codebook) -> CodebookChanges:
    """What a coder must know when ``new`` replaces ``old``.

    A code is renamed when ``new`` lists an old id in its ``renamed_from`` and ``old`` had
    that id; a rename that also changed the definition is reported under both headings.
    """
    before = {c.id: c for c in old.codes}
    after = {c.id: c for c in new.codes}
    renamed: list[tuple[str, str]] = []
    for code in new.codes:
        if code.id in before:
            continue
        renamed.extend((o, code.id) for o in code.renamed_from
                       if o in before and o not in after)
    sources = {o for o, _ in renamed}
    targets = {n: o for o, n in renamed}
    added = tuple(i for i in after if i not in before and i not in targets)
    removed = tuple(i for i in before if i not in after and i not in sources)
    redefined: list[tuple[str, tuple[str, ...]]] = []
    for code in new.codes:
        previous = before.get(code.id) or before.get(targets.get(code.id, ""))
        if previous is None:
            continue
        changed = tuple(f for f in COMPARED if getattr(previous, f) != getattr(code, f))
        if changed:
            redefined.append((code.id, changed))
    return CodebookChanges(added=added, removed=removed, renamed=tuple(renamed),
                           redefined=tuple(redefined))


# -- carrying codings over renames ------------------------------------------------------

def code_id_mapping(codebooks: Iterable[Codebook], target: Codebook) -> dict[str, str]:
    """Old code id → the id of ``target`` it now counts as, following ``renamed_from`` over
    every given version (so a → b in one version and b → c in the next gives a → c).

    Ids of ``target`` itself, and ids that lead nowhere in ``target``, are not in the map:
    a removed code's codings keep their old id.
    """
    step: dict[str, str] = {}
    for book in [target, *codebooks]:  # the target's own declarations win
        for code in book.codes:
            for old in code.renamed_from:
                step.setdefault(old, code.id)
    current = {c.id for c in target.codes}
    mapping: dict[str, str] = {}
    for old in step:
        if old in current:
            continue
        seen = {old}
        here = step[old]
        while here not in current and here in step and step[here] not in seen:
            seen.add(here)
            here = step[here]
        if here in current:
            mapping[old] = here
    return mapping


def project_code_mapping(store: Store, target: Codebook) -> dict[str, str]:
    """:func:`code_id_mapping` over the versions the project's coding log was made under."""
    versions = store.coding_versions()
    active = store.setting(ACTIVE)
    if active:
        versions.add(active)
    books = [from_content(content) for v in sorted(versions)
             if (content := store.codebook_content(v)) is not None]
    return code_id_mapping(books, target)


# -- loading a codebook into a project ---------------------------------------------------

@dataclass(frozen=True)
class LoadResult:
    """What loading a codebook file did, and what its coders need to know."""

    codebook: Codebook
    new: bool
    previous: Codebook | None = None
    changes: CodebookChanges = field(default_factory=CodebookChanges)
    carried: Mapping[str, int] = field(default_factory=dict)  # old id → coded segments
    kept: Mapping[str, int] = field(default_factory=dict)  # removed id → coded segments


def load_into_project(store: Store, project: Project, path: Path) -> LoadResult:
    """Register a codebook file as the active version and report what changed: codes
    added, removed, renamed and redefined; codings carried over by renames; and codings of
    removed codes, which are kept in the log (never dropped) and counted here."""
    previous = active_codebook(store)
    codebook, new = register_codebook(store, project, path)
    if previous is None or previous.version == codebook.version:
        return LoadResult(codebook=codebook, new=new, previous=previous)
    mapping = project_code_mapping(store, codebook)
    applied: Counter[str] = Counter()
    from qualkit.decisions import fold

    for coding in fold(store.events()).values():
        applied.update(coding.codes)
    current = {c.id for c in codebook.codes}
    carried = {old: applied[old] for old in sorted(mapping) if applied[old]}
    kept = {code: n for code, n in sorted(applied.items())
            if code not in current and code not in mapping}
    return LoadResult(codebook=codebook, new=new, previous=previous,
                      changes=diff_codebooks(previous, codebook), carried=carried, kept=kept)
