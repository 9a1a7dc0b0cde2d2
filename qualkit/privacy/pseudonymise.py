"""Replace identifiers in transcript files before they enter a project.

One person gets one pseudonym across every file and every run: the key file (real name to
pseudonym, CSV) is read first and extended, never rewritten from scratch. The key holds
the real names, so it must live outside the output folder and outside the project's
exports and transcripts; qualkit refuses to write it there. Names come from the roster of
real names (``--roster``; its ``pseudonym`` column is used when present), from speaker
labels missing from ``participants.csv``, and from a trained spaCy pipeline's person
entities when one is installed. Other identifiers become typed placeholders
(``[e-mail]``, ``[phone]``, ``[place]`` …). Output is plain text (``NAME.txt``), the shape
``qualkit import`` reads, whatever the input format was.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qualkit.errors import FileError, QualkitError
from qualkit.fileio import atomic_write_text
from qualkit.ingest.formats import read_source
from qualkit.ingest.normalise import decode, normalise, read_bytes
from qualkit.ingest.source import ReadOptions
from qualkit.privacy.kinds import Kind
from qualkit.privacy.names import Person, RealNames, fold
from qualkit.privacy.scan import Scanner

PSEUDONYM = re.compile(r"^Person(\d+)$")


@dataclass
class PseudonymiseResult:
    written: list[Path] = field(default_factory=list)
    names: int = 0
    """Mentions of people replaced by their pseudonym."""
    others: int = 0
    """Other identifiers replaced by a placeholder."""
    ambiguous: int = 0
    """First names that fit several people, replaced by ``[name]``."""
    people: int = 0
    """People in the key after the run."""
    new_people: int = 0


class Key:
    """Real name to pseudonym, kept in a CSV file outside the project."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, tuple[str, str]] = {}
        if path.is_file():
            reader = csv.DictReader(io.StringIO(normalise(decode(read_bytes(path), path))))
            if not {"name", "pseudonym"} <= set(reader.fieldnames or []):
                raise FileError(path, "is not a pseudonym key (needs columns name, pseudonym)",
                                line=1)
            for row in reader:
                if row["name"].strip() and row["pseudonym"].strip():
                    self.entries[fold(row["name"].strip())] = (row["name"].strip(),
                                                              row["pseudonym"].strip())
        self.added = 0

    def pseudonym(self, name: str, preferred: str | None = None) -> str:
        key = fold(name)
        if key not in self.entries:
            used = {p for _, p in self.entries.values()}
            if preferred is None or preferred in used:
                numbers = [int(m[1]) for p in used if (m := PSEUDONYM.match(p))]
                preferred = f"Person{max(numbers, default=0) + 1:02d}"
            self.entries[key] = (name, preferred)
            self.added += 1
        return self.entries[key][1]

    def save(self) -> None:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["name", "pseudonym"])
        writer.writerows(self.entries.values())
        atomic_write_text(self.path, out.getvalue())
        os.chmod(self.path, 0o600)


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


def pseudonymise(paths: Sequence[Path], out: Path, key_path: Path, scanner: Scanner, *,
                 options: ReadOptions | None = None,
                 project_root: Path | None = None) -> PseudonymiseResult:
    """Write a pseudonymised ``NAME.txt`` into ``out`` for every file; extend the key."""
    options = options or ReadOptions()
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
    roster = list(scanner.names.people) if scanner.names is not None else []
    known = {fold(p.name) for p in roster}
    for path in paths:  # speakers missing from participants.csv are people to rename too
        source = read_source(path, options)
        for hit in scanner.hits(source.text, source.turns, source.labelled):
            if hit.kind is Kind.UNKNOWN_SPEAKER:
                name = source.text[hit.start:hit.end]
                if fold(name) not in known:
                    known.add(fold(name))
                    roster.append(Person(name))
    names = RealNames(roster) if roster else None
    full = Scanner(participants=scanner.participants, names=names, entities=scanner.entities)
    result = PseudonymiseResult()
    out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        source = read_source(path, options)
        text = source.text
        pieces: list[str] = []
        last = 0
        for hit in full.hits(text, source.turns, labelled=False):
            if hit.kind is Kind.ROSTER_NAME:
                if hit.person is None:
                    replacement, result.ambiguous = "[name]", result.ambiguous + 1
                else:
                    person = roster[hit.person]
                    replacement = key.pseudonym(person.name, person.pseudonym)
                    result.names += 1
            elif hit.kind is Kind.PERSON:
                replacement = key.pseudonym(" ".join(text[hit.start:hit.end].split()))
                result.names += 1
            else:
                replacement, result.others = hit.kind.placeholder, result.others + 1
            pieces += [text[last:hit.start], replacement]
            last = hit.end
        pieces.append(text[last:])
        target = out / f"{path.stem}.txt"
        atomic_write_text(target, "".join(pieces))
        result.written.append(target)
    key.save()
    result.people, result.new_people = len(key.entries), key.added
    return result
