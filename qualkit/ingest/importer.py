"""Transcript files into the store: the import arrow of the data flow.

Re-importing an unchanged file does nothing (its bytes' hash is compared). A changed file
is re-read only when nobody has coded it yet; otherwise the import stops and says so,
because silently re-segmenting a coded transcript would orphan people's decisions.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qualkit.errors import PrivacyError, ProjectError
from qualkit.ingest.normalise import read_text
from qualkit.ingest.participants import read_participants
from qualkit.ingest.segment import segment
from qualkit.ingest.speakers import parse_turns
from qualkit.model import Participant, Unit
from qualkit.privacy import scan
from qualkit.project import Project
from qualkit.store import Store

log = logging.getLogger(__name__)

TRANSCRIPT_SUFFIXES = (".txt",)
Progress = Callable[[int, int], None]


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    segments: int = 0
    participants: int = 0


def transcript_files(project: Project) -> list[Path]:
    """The transcripts a project holds, in name order (``participants.csv`` is not one)."""
    if not project.transcripts.is_dir():
        return []
    return sorted(p for p in project.transcripts.iterdir()
                  if p.is_file() and p.suffix.lower() in TRANSCRIPT_SUFFIXES)


def import_participants(store: Store, project: Project) -> list[Participant] | None:
    """Load ``transcripts/participants.csv`` when it is new or changed."""
    path = project.participants_file
    if not path.is_file():
        return None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    rel = project.relative(path)
    people = read_participants(path)
    if store.imported_hash(rel) != digest:
        with store.transaction() as conn:
            store.replace_participants(conn, people)
            store.record_import(conn, rel, "participants", digest)
    return people


def _group_of(speakers: Sequence[str], roster: dict[str, Participant]) -> str | None:
    groups = Counter(roster[s].attributes.get("group", "") for s in speakers if s in roster)
    groups.pop("", None)
    return groups.most_common(1)[0][0] if len(groups) == 1 else None


def import_transcripts(store: Store, project: Project, paths: Sequence[Path] | None = None,
                       *, unit: Unit = Unit.SENTENCE, allow_pii: bool = False,
                       encoding: str | None = None,
                       progress: Progress | None = None) -> ImportResult:
    """Import new and changed transcripts, with the privacy gate before anything is stored."""
    result = ImportResult()
    people = import_participants(store, project)
    roster = {p.name: p for p in people or []}
    result.participants = len(roster)
    files = list(paths) if paths is not None else transcript_files(project)
    for done, path in enumerate(files, start=1):
        _import_one(store, project, path, roster, unit, allow_pii, encoding, result)
        if progress:
            progress(done, len(files))
    return result


def _import_one(store: Store, project: Project, path: Path, roster: dict[str, Participant],
                unit: Unit, allow_pii: bool, encoding: str | None,
                result: ImportResult) -> None:
    name = path.stem
    text, digest = read_text(path, encoding)
    existing = store.transcript(name)
    if existing is not None and existing.sha256 == digest:
        result.unchanged.append(name)
        return
    if existing is not None:
        events, coders = store.count_codings_on(existing.id)
        if events:
            raise ProjectError(
                f"{path}: changed since it was imported, and {coders} coder(s) have recorded "
                f"{events} decision(s) on it; qualkit will not re-segment a coded transcript. "
                "Restore the imported version, or import the new one under another file name")
    turns = parse_turns(text, path)
    findings = scan(text, turns, roster)
    if findings and not allow_pii:
        first = findings[0]
        more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
        raise PrivacyError(
            f"{path}:{first.line}:{first.column}: {first.kind}{more}; pseudonymise the "
            "transcript (or add the speaker to participants.csv), or pass --allow-pii")
    spans = segment(text, turns, unit)
    attributes = {"group": g} if (g := _group_of([t.speaker for t in turns], roster)) else {}
    with store.transaction() as conn:
        if existing is not None:
            store.delete_transcript(conn, existing.id)
        store.add_transcript(conn, name=name, source=project.relative(path), sha256=digest,
                             text=text, attributes=attributes, turns=turns, spans=spans)
        store.record_import(conn, project.relative(path), "transcript", digest)
    (result.replaced if existing is not None else result.added).append(name)
    result.segments += len(spans)
    log.info("imported %s: %d turns, %d segments", name, len(turns), len(spans))
