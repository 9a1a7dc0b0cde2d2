"""Replace identifiers in transcript files before they enter a project.

A dry run by default: :func:`prepare` works out every change (see
:mod:`qualkit.privacy.plan`, which also says why speaker labels change only through the
roster's mapping), the CLI shows it, and :func:`write` writes it when asked to (``--apply``;
also ``--force`` when labels or many words would change).

One person gets one pseudonym across every file and every run: the key file (real name to
pseudonym, CSV) is read first and extended, never rewritten from scratch. The key holds
the real names, so it must live outside the output folder and outside the project's
exports and transcripts; qualkit refuses to write it there. Names come from the roster of
real names (``--roster``; its ``pseudonym`` column is used when present), from speaker
labels missing from ``participants.csv`` that look like names, and from a trained spaCy
pipeline's person entities when one is installed. Other identifiers become typed
placeholders (``[e-mail]``, ``[phone]``, ``[place]`` …). Output is plain text
(``NAME.txt``), the shape ``qualkit import`` reads, whatever the input format was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qualkit.errors import FileError, QualkitError
from qualkit.fileio import atomic_write_text
from qualkit.gate.scan import Scanner
from qualkit.ingest.source import ReadOptions
from qualkit.privacy.key import Key
from qualkit.privacy.plan import Plan, make_plan

__all__ = ["ForceNeeded", "Key", "PseudonymiseResult", "prepare", "pseudonymise", "write"]


@dataclass
class PseudonymiseResult:
    written: list[Path] = field(default_factory=list)
    names: int = 0
    """Mentions of people replaced by their pseudonym."""
    others: int = 0
    """Other identifiers replaced by a placeholder."""
    ambiguous: int = 0
    """First names that fit several people, replaced by ``[name]``."""
    labels: int = 0
    """Speaker labels replaced by their pseudonym."""
    people: int = 0
    """People in the key after the run."""
    new_people: int = 0


class ForceNeeded(QualkitError):
    """Writing the plan would change labels or many words, and --force was not given."""


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def check_key_location(key: Path, out: Path, project_root: Path | None) -> None:
    """The key holds real names: never beside the pseudonymised output or in a folder
    whose contents are shared or imported."""
    unsafe = [(out, "the output folder")]
    if project_root is not None:
        unsafe += [(project_root / "exports", "the project's exports/"),
                   (project_root / "transcripts", "the project's transcripts/")]
    for folder, what in unsafe:
        if _inside(key, folder):
            raise QualkitError(f"{key}: the key holds real names and must not be inside "
                               f"{what}; keep it somewhere only you can read")


def prepare(paths: Sequence[Path], out: Path, key_path: Path, scanner: Scanner, *,
            options: ReadOptions | None = None, project_root: Path | None = None
            ) -> tuple[Plan, Key]:
    """The plan for pseudonymising ``paths`` into ``out``, and the key it extends (in
    memory: nothing is written)."""
    check_key_location(key_path, out, project_root)
    stems: dict[str, Path] = {}
    for path in paths:
        target = out / f"{path.stem}.txt"
        if path.stem in stems:
            raise FileError(path, f"would be written to the same file as {stems[path.stem]}; "
                                  "rename one of them")
        if target.resolve() == path.resolve():
            raise FileError(path, "would be overwritten by its pseudonymised version; "
                                  "choose another --out folder")
        stems[path.stem] = path
    key = Key(key_path)
    return make_plan(paths, out, key, scanner, options), key


def write(plan: Plan, key: Key, out: Path, *, force: bool = False) -> PseudonymiseResult:
    """Write the plan's files and the extended key; refuse a risky plan without ``force``."""
    why = plan.needs_force()
    if why and not force:
        raise ForceNeeded(f"the change would {why}; nothing was written. Read the table "
                          "above, then pass --force with --apply to write it")
    result = PseudonymiseResult(names=plan.names, others=plan.others,
                                ambiguous=plan.ambiguous, labels=plan.labels)
    out.mkdir(parents=True, exist_ok=True)
    for file in plan.files:
        atomic_write_text(file.target, file.result())
        result.written.append(file.target)
    key.save()
    result.people, result.new_people = len(key.entries), key.added
    return result


def pseudonymise(paths: Sequence[Path], out: Path, key_path: Path, scanner: Scanner, *,
                 options: ReadOptions | None = None, project_root: Path | None = None,
                 force: bool = False) -> PseudonymiseResult:
    """Write a pseudonymised ``NAME.txt`` into ``out`` for every file; extend the key."""
    plan, key = prepare(paths, out, key_path, scanner, options=options,
                        project_root=project_root)
    return write(plan, key, out, force=force)
