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
from qualkit.gate.scan import Finding, PiiFound, build_scanner
from qualkit.ingest.attributes import (
    ATTRIBUTES_FILE,
    read_transcript_attributes,
    transcript_attributes,
)
from qualkit.ingest.formats import FORMATS, file_digest
from qualkit.ingest.participants import read_participants
from qualkit.ingest.reader import (
    MIN_FILES,
    Read,
    ReadContext,
    Reader,
    workers_for,
)
from qualkit.ingest.segment import iter_segments
from qualkit.ingest.source import ReadOptions
from qualkit.model import Participant, Unit, natural_key
from qualkit.project import PARTICIPANTS, Project
from qualkit.store import Store
from qualkit.store.base import now

if TYPE_CHECKING:
    from sqlalchemy import Connection

log = logging.getLogger(__name__)

TRANSCRIPT_SUFFIXES = tuple(FORMATS)
RESERVED = frozenset({PARTICIPANTS, ATTRIBUTES_FILE})
ALLOW_PII_SETTING = "privacy.allow_pii"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FileWarning:
    """A file imported although its reading looked odd: where, and what (counts, never
    the text)."""

    file: str
    line: int | None
    what: str

    def describe(self) -> str:
        return f"{self.file}{'' if self.line is None else f':{self.line}'}: {self.what}"


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
    warnings: list[FileWarning] = field(default_factory=list)
    """Files imported whose reading looked odd but plausible, one entry per concern."""
    styles: dict[str, str] = field(default_factory=dict)
    """The label style each read file was read with (inline, header, pattern, …)."""


@dataclass(frozen=True)
class _Plan:
    """One file of the import, checked against the store but not read yet."""

    path: Path
    name: str
    rel: str
    digest: str
    replaces: int | None
    unchanged: bool = False


def transcript_files(project: Project) -> list[Path]:
    """The transcripts a project holds, in natural name order (``participants.csv`` and
    ``transcripts.csv`` are not ones; nor are hidden files and Word's ``~$`` lock files)."""
    if not project.transcripts.is_dir():
        return []
    return sorted((p for p in project.transcripts.iterdir()
                   if p.is_file() and p.suffix.lower() in TRANSCRIPT_SUFFIXES
                   and p.name.lower() not in RESERVED and not p.name.startswith((".", "~$"))),
                  key=lambda p: natural_key(p.name))


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


def import_transcripts(store: Store, project: Project, paths: Sequence[Path] | None = None,
                       *, unit: Unit = Unit.SENTENCE, allow_pii: bool = False,
                       encoding: str | None = None, options: ReadOptions | None = None,
                       roster: Path | None = None, ner: str | None = "auto",
                       spacy_model: str | None = None,
                       progress: Progress | None = None,
                       workers: int | None = None,
                       moderators: Sequence[str] = ()) -> ImportResult:
    """Import new and changed transcripts, with the privacy gate before anything is stored.

    ``roster`` is a file of real names (kept outside the project); ``ner`` is "auto" (an
    installed trained spaCy pipeline, if any), a pipeline name, or None for no entity check.
    ``workers``: 1 cuts segments in a worker process while this one reads, scans and
    stores (see :mod:`qualkit.ingest.reader`), 0 cuts them here; None decides by the
    platform, the cores, the import's size and whether a core is idle. ``moderators``:
    speaker labels that are moderators besides the usual ones (Moderator, Interviewer,
    …); they are spelt as given and get the role ``moderator`` unless the roster gives
    them a role.
    """
    options = options or ReadOptions(encoding=encoding)
    people = read_roster(project)
    roster_map = {p.name: p for p in people or []}
    sheet = read_transcript_attributes(project.transcripts / ATTRIBUTES_FILE)
    scanner = build_scanner(roster_map, roster, ner)
    result = ImportResult(participants=len(roster_map), checks=scanner.summary())
    marked = [Participant(label, {"role": "moderator"}) for label in moderators
              if not (label in roster_map and roster_map[label].role)]
    files = list(paths) if paths is not None else transcript_files(project)
    total = len(files)
    checks = scanner.summary()

    findings: list[Finding] = []
    names: dict[str, Path] = {}
    allowed = allowed_pii(store)  # read before writing
    recorded = len(allowed)
    spelt = {**{p.name: p for p in marked}, **roster_map}
    context = ReadContext(options, spelt, scanner, unit, spacy_model)
    probe = workers is None  # decided here: start the worker only on an idle core
    if workers is None:
        size = sum(_size(p) for p in files) if len(files) >= MIN_FILES else 0
        workers = workers_for(len(files), size)
    with store.transaction() as conn:
        if people is not None:
            _store_roster(store, project, people)
        plans = (_plan(store, project, path, names) for path in files)
        with Reader(context, workers, probe) as reader:
            read = reader.read(plans, allow_pii)
            for done, (plan, got) in enumerate(read, start=1):
                if got is None:
                    result.unchanged.append(plan.name)
                else:
                    findings.extend(got.found)
                    result.styles[plan.name] = got.style
                    result.warnings.extend(FileWarning(plan.rel, c.line, c.what)
                                           for c in got.concerns)
                    log.info("%s: %s, %d turns, labels %s, %d finding(s)", plan.path.name,
                             got.format, len(got.turns), got.style or "-", len(got.found))
                    if allow_pii or not findings:
                        _store_one(store, conn, plan, got, roster_map, sheet, context,
                                   result, checks, allowed)
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
        if marked:
            store.merge_participants(conn, marked)
        if len(allowed) > recorded:
            store.set_setting(ALLOW_PII_SETTING, json.dumps(allowed, ensure_ascii=False), conn)
    if progress:
        progress(total, total)
    return result


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reading it will say what is wrong, in its turn


def _plan(store: Store, project: Project, path: Path, names: dict[str, Path]) -> _Plan:
    """First look at one file, in the main process: is its name free, is it new, changed
    or unchanged, and may it be replaced. Nothing is read beyond its bytes' hash."""
    name = path.stem
    if name in names:
        raise FileError(path, f"gives the same transcript name as "
                              f"{names[name].name} ({name}); rename one of them")
    names[name] = path
    rel = project.relative(path)
    digest = file_digest(path)
    existing = store.transcript(name)
    if existing is not None and existing.sha256 == digest:
        return _Plan(path, name, rel, digest, existing.id, unchanged=True)
    if existing is not None:
        events, coders = store.count_codings_on(existing.id)
        if events:
            raise ProjectError(
                f"{path}: changed since it was imported, and {coders} coder(s) have recorded "
                f"{events} decision(s) on it; qualkit will not re-segment a coded transcript "
                "(their decisions would lose their segments), so nothing was imported. "
                "Restore the imported version, or import the new one under another file name")
    return _Plan(path, name, rel, digest, existing.id if existing else None)


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


def _store_one(store: Store, conn: Connection, plan: _Plan, got: Read,
               roster: Mapping[str, Participant], sheet: Mapping[str, Mapping[str, str]],
               context: ReadContext, result: ImportResult, checks: str,
               allowed: list[dict[str, object]]) -> None:
    """Store one checked file, in the import's transaction; an allowed finding is added to
    ``allowed`` (written once, at the end)."""
    turns = got.turns
    attributes = transcript_attributes(plan.name, [t.speaker for t in turns], roster, sheet)
    findings = Counter(f.kind.value for f in got.found)
    segments = 0

    def counted() -> Iterable[tuple[int, int, int, str]]:
        nonlocal segments
        spans = got.spans if got.spans is not None else iter_segments(
            got.text, turns, context.unit, context.spacy_model)
        for span in spans:
            segments += 1
            yield span

    if plan.replaces is not None:
        store.delete_transcript(conn, plan.replaces)
    store.add_transcript(conn, name=plan.name, source=plan.rel, sha256=plan.digest,
                         text=got.text, attributes=attributes, turns=turns,
                         spans=counted())
    if got.participants:
        store.merge_participants(conn, [Participant(n, a) for n, a in got.participants.items()])
    store.record_import(conn, plan.rel, "transcript", plan.digest)
    if findings:
        allowed.append({"transcript": plan.name, "source": plan.rel,
                        "sha256": plan.digest, "at": now(),
                        "findings": dict(findings), "checks": checks})
        result.allowed[plan.name] = sum(findings.values())
    (result.replaced if plan.replaces is not None else result.added).append(plan.name)
    result.segments += segments
    log.info("imported %s: %d turns, %d segments", plan.name, len(turns), segments)


def allowed_pii(store: Store) -> list[dict[str, object]]:
    """Every import that passed the gate with --allow-pii, oldest first: a decision someone
    took, so the project keeps it (kinds and counts only, never the text found)."""
    return list(json.loads(store.setting(ALLOW_PII_SETTING) or "[]"))
