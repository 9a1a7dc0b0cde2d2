"""Transcript files into the store: the import arrow of the data flow.

Import reads each file once, inside one database transaction, so that a problem anywhere
stores nothing anywhere: each new or changed file is read, its turns found, the privacy
gate run on it (keeping only the findings: places and kinds, never text), and, while the
gate has found nothing (or --allow-pii was given), it is segmented and stored in batches.
A bad file, or any finding without --allow-pii, rolls the whole transaction back; after
the first finding the remaining files are only read and scanned, so that every finding is
listed. Reading every file twice (once to check, once to store) cost a sixth of the import.
Only one transcript's text, turns and segments are in memory at a time, and SQLite spills
a large transaction to its write-ahead log, so memory does not grow with the corpus.

Re-importing an unchanged file does nothing (its bytes' hash is compared). A changed file
is re-read only when nobody has coded it yet; a coded one is refused, because silently
re-segmenting it would orphan people's decisions.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qualkit.errors import FileError, ProjectError
from qualkit.ingest.attributes import (
    ATTRIBUTES_FILE,
    read_transcript_attributes,
    transcript_attributes,
)
from qualkit.ingest.formats import FORMATS, file_digest, read_source
from qualkit.ingest.participants import read_participants
from qualkit.ingest.segment import iter_segments
from qualkit.ingest.source import ReadOptions, Source
from qualkit.model import Participant, Turn, Unit
from qualkit.privacy.scan import Finding, PiiFound, Scanner, build_scanner
from qualkit.project import PARTICIPANTS, Project
from qualkit.store import Store
from qualkit.store.db import now

if TYPE_CHECKING:
    from sqlalchemy import Connection

log = logging.getLogger(__name__)

TRANSCRIPT_SUFFIXES = tuple(FORMATS)
RESERVED = frozenset({PARTICIPANTS, ATTRIBUTES_FILE})
ALLOW_PII_SETTING = "privacy.allow_pii"
Progress = Callable[[int, int], None]


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    segments: int = 0
    participants: int = 0
    allowed: dict[str, int] = field(default_factory=dict)
    """Transcripts imported with --allow-pii despite findings, with how many."""
    checks: str = ""
    notes: list[str] = field(default_factory=list)
    """Things the user should know that did not stop the import."""


@dataclass(frozen=True)
class _Planned:
    path: Path
    name: str
    digest: str
    replaces: int | None
    findings: Mapping[str, int]
    people: Mapping[str, Mapping[str, str]]
    source: Source
    turns: list[Turn]


def transcript_files(project: Project) -> list[Path]:
    """The transcripts a project holds, in name order (``participants.csv`` and
    ``transcripts.csv`` are not ones; nor are hidden files and Word's ``~$`` lock files)."""
    if not project.transcripts.is_dir():
        return []
    return sorted(p for p in project.transcripts.iterdir()
                  if p.is_file() and p.suffix.lower() in TRANSCRIPT_SUFFIXES
                  and p.name.lower() not in RESERVED and not p.name.startswith((".", "~$")))


def import_participants(store: Store, project: Project) -> list[Participant] | None:
    """Load ``transcripts/participants.csv`` when it is new or changed."""
    people = read_roster(project)
    if people is None:
        return None
    _store_roster(store, project, people)
    return people


def read_roster(project: Project) -> list[Participant] | None:
    path = project.participants_file
    return read_participants(path) if path.is_file() else None


def _store_roster(store: Store, project: Project, people: list[Participant]) -> None:
    path = project.participants_file
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    rel = project.relative(path)
    if store.imported_hash(rel) != digest:
        with store.transaction() as conn:
            store.replace_participants(conn, people)
            store.record_import(conn, rel, "participants", digest)


def canonical_turns(turns: Iterable[Turn], roster: Mapping[str, Participant],
                    transcript_id: int = 0) -> list[Turn]:
    """Speakers spelt as on the roster (``MODERATOR`` is ``Moderator``)."""
    spelling = {name.casefold(): name for name in roster}
    canonical: dict[str, str] = {}
    out = []
    # A turn already right is kept as it is: building a new one per turn was a noticeable
    # share of an import.
    for t in turns:
        speaker = canonical.get(t.speaker)
        if speaker is None:
            speaker = canonical[t.speaker] = spelling.get(t.speaker.casefold(), t.speaker)
        out.append(t if speaker == t.speaker and t.transcript_id == transcript_id else
                   Turn(transcript_id, t.index, speaker, t.start, t.end, t.timestamp))
    return out


def findings_of(source: Source, scanner: Scanner, rel: str,
                turns: Sequence[Turn] | None = None) -> list[Finding]:
    """The gate's findings for one read file, located in the original file."""
    hits = scanner.hits(source.text, turns if turns is not None else source.turns,
                        source.labelled)
    places = (source.locator.place(h.start) for h in hits)
    return [Finding(rel, h.kind, p.line, p.column, p.unit)
            for h, p in zip(hits, places, strict=True)]


def import_transcripts(store: Store, project: Project, paths: Sequence[Path] | None = None,
                       *, unit: Unit = Unit.SENTENCE, allow_pii: bool = False,
                       encoding: str | None = None, options: ReadOptions | None = None,
                       roster: Path | None = None, ner: str | None = "auto",
                       spacy_model: str | None = None,
                       progress: Progress | None = None) -> ImportResult:
    """Import new and changed transcripts, with the privacy gate before anything is stored.

    ``roster`` is a file of real names (kept outside the project); ``ner`` is "auto" (an
    installed trained spaCy pipeline, if any), a pipeline name, or None for no entity check.
    """
    options = options or ReadOptions(encoding=encoding)
    people = read_roster(project)
    roster_map = {p.name: p for p in people or []}
    sheet = read_transcript_attributes(project.transcripts / ATTRIBUTES_FILE)
    scanner = build_scanner(roster_map, roster, ner)
    result = ImportResult(participants=len(roster_map), checks=scanner.summary())
    files = list(paths) if paths is not None else transcript_files(project)
    total = len(files)
    checks = scanner.summary()

    findings: list[Finding] = []
    names: dict[str, Path] = {}
    allowed = allowed_pii(store)  # read before writing
    recorded = len(allowed)
    with store.transaction() as conn:
        if people is not None:
            _store_roster(store, project, people)
        for done, path in enumerate(files, start=1):
            name = path.stem
            if name in names:
                raise FileError(path, f"gives the same transcript name as "
                                      f"{names[name].name} ({name}); rename one of them")
            names[name] = path
            planned = _check(store, project, path, options, roster_map, scanner, findings,
                             result)
            if planned is not None and (allow_pii or not findings):
                _store_one(store, conn, project, planned, roster_map, sheet, unit,
                           spacy_model, result, checks, allowed)
            if progress:
                progress(done, total)
        unknown = sorted(n for n in set(sheet) - set(names) if store.transcript(n) is None)
        if unknown:
            result.notes.append(f"{ATTRIBUTES_FILE} names {len(unknown)} transcript(s) "
                                f"qualkit does not have: {', '.join(unknown[:5])}")
        if findings and not allow_pii:
            raise PiiFound(findings, len({f.file for f in findings}), checks)
        for name in result.unchanged:
            _refresh_attributes(store, name, roster_map, sheet)
        if len(allowed) > recorded:
            store.set_setting(ALLOW_PII_SETTING, json.dumps(allowed, ensure_ascii=False), conn)
    if progress:
        progress(total, total)
    return result


def _check(store: Store, project: Project, path: Path, options: ReadOptions,
           roster: Mapping[str, Participant], scanner: Scanner, findings: list[Finding],
           result: ImportResult) -> _Planned | None:
    """First pass over one file: is it new, changed or unchanged; can it be read; is it
    free of identifiers. Nothing is stored."""
    name = path.stem
    digest = file_digest(path)
    existing = store.transcript(name)
    if existing is not None and existing.sha256 == digest:
        result.unchanged.append(name)
        return None
    if existing is not None:
        events, coders = store.count_codings_on(existing.id)
        if events:
            raise ProjectError(
                f"{path}: changed since it was imported, and {coders} coder(s) have recorded "
                f"{events} decision(s) on it; qualkit will not re-segment a coded transcript "
                "(their decisions would lose their segments), so nothing was imported. "
                "Restore the imported version, or import the new one under another file name")
    source = read_source(path, options)
    turns = canonical_turns(source.turns, roster)
    found = findings_of(source, scanner, project.relative(path), turns)
    findings.extend(found)
    log.info("%s: %s, %d turns, labels %s, %d finding(s)", path.name, source.format,
             len(source.turns), source.style or "-", len(found))
    return _Planned(path, name, digest, existing.id if existing else None,
                    Counter(f.kind.value for f in found), source.participants, source, turns)


def _refresh_attributes(store: Store, name: str, roster: Mapping[str, Participant],
                        sheet: Mapping[str, Mapping[str, str]]) -> None:
    """An unchanged transcript picks up edits to transcripts.csv and the roster."""
    transcript = store.transcript(name)
    if transcript is None:
        return
    speakers = sorted({t.speaker for t in store.turns(transcript.id)})
    attributes = transcript_attributes(name, speakers, roster, sheet)
    if attributes != dict(transcript.attributes):
        with store.transaction() as conn:
            store.set_transcript_attributes(conn, transcript.id, attributes)


def _store_one(store: Store, conn: Connection, project: Project, planned: _Planned,
               roster: Mapping[str, Participant], sheet: Mapping[str, Mapping[str, str]],
               unit: Unit, spacy_model: str | None, result: ImportResult, checks: str,
               allowed: list[dict[str, object]]) -> None:
    """Store one checked file, in the import's transaction; an allowed finding is added to
    ``allowed`` (written once, at the end)."""
    source, turns = planned.source, planned.turns
    attributes = transcript_attributes(planned.name, [t.speaker for t in turns], roster, sheet)
    rel = project.relative(planned.path)
    segments = 0

    def counted() -> Iterable[tuple[int, int, int, str]]:
        nonlocal segments
        for span in iter_segments(source.text, turns, unit, spacy_model):
            segments += 1
            yield span

    if planned.replaces is not None:
        store.delete_transcript(conn, planned.replaces)
    store.add_transcript(conn, name=planned.name, source=rel, sha256=planned.digest,
                         text=source.text, attributes=attributes, turns=turns,
                         spans=counted())
    if planned.people:
        store.merge_participants(conn, [Participant(n, a) for n, a in planned.people.items()])
    store.record_import(conn, rel, "transcript", planned.digest)
    if planned.findings:
        allowed.append({"transcript": planned.name, "source": rel,
                        "sha256": planned.digest, "at": now(),
                        "findings": dict(planned.findings), "checks": checks})
        result.allowed[planned.name] = sum(planned.findings.values())
    (result.replaced if planned.replaces is not None else result.added).append(planned.name)
    result.segments += segments
    log.info("imported %s: %d turns, %d segments", planned.name, len(turns), segments)


def allowed_pii(store: Store) -> list[dict[str, object]]:
    """Every import that passed the gate with --allow-pii, oldest first: a decision someone
    took, so the project keeps it (kinds and counts only, never the text found)."""
    return list(json.loads(store.setting(ALLOW_PII_SETTING) or "[]"))
