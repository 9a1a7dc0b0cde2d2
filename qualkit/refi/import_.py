"""A REFI-QDA project (.qdpx) into a qualkit project: one transaction, warnings for
everything not carried over.

How selections become segment codings (``docs/refi-qda.md`` says the same for users):

- how the sender counted positions (code points or UTF-16 units, CR LF as one or two, a
  BOM) is found per source from where its selections fall
  (:mod:`qualkit.refi.positions`), and each position is translated exactly into the
  normalised text (CRLF and decomposed accents are normalised once;
  :mod:`qualkit.refi.text` maps each offset);
- a selection codes **every segment it overlaps** — the rule quotes in a codings CSV
  follow (:mod:`qualkit.refi.selections`) — and its exact span is kept in the store
  (``coded_spans``) unless it is exactly one segment, so an export writes the same
  characters back; the file's positions are also the coding event's origin
  (``qdpx:FILE@START-END``);
- a selection that covers no segment's text (a speaker label, a header) codes nothing,
  and is kept as a span all the same, not stretched onto a neighbour;
- REFI-QDA does not say what a coder *read*, only what they coded; a user with any coding
  in a source is taken to have reviewed all of it (segments they left uncoded become
  "reviewed, none apply"), the rule a codings CSV follows. A file qualkit wrote carries
  the exact reviewed segments, turns and segment boundaries in ``qualkit.json``, so a
  round trip changes nothing.

Turns and segments of a source from another tool are found as for a text file when it has
two speakers at least; anything else is one-voice text (one turn, segments cut at line
ends, then sentences, or lines with ``unit=turn``). The privacy gate runs on every new
source before anything is stored, as for any transcript.
"""
from __future__ import annotations

import hashlib
import logging
import shutil
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qualkit.decisions import diff
from qualkit.errors import FileError, ProjectError
from qualkit.ingest.formats import FORMATS
from qualkit.ingest.source import Locator
from qualkit.model import (
    Codebook,
    CodedSpan,
    CodingEvent,
    NoteKind,
    Participant,
    SegmentNote,
    Turn,
    Unit,
)
from qualkit.project import Project
from qualkit.refi.positions import STANDARD, Convention, Reading, detect
from qualkit.refi.read import Document, TextSource, read_document
from qualkit.refi.selections import Mapper, Span
from qualkit.refi.text import cut_at_lines, normalise_mapped, one_voice
from qualkit.refi.xml import norm_guid
from qualkit.store import Store

log = logging.getLogger(__name__)



@dataclass
class QdpxImport:
    """What an import did, and what the user must know about what it did not carry."""

    added: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)
    """Transcripts the project already had with the same text; codings were added to them."""
    segments: int = 0
    coders: list[str] = field(default_factory=list)
    codings: int = 0
    events: int = 0
    memos: int = 0
    participants: int = 0
    codebook: str | None = None
    codebook_new: bool = False
    codebook_file: str | None = None
    spans: int = 0
    """Exact selection spans kept (beside the segment codings derived from them)."""
    positions: dict[str, list[str]] = field(default_factory=dict)
    """How each source's positions were counted: description -> source names."""
    notes: list[str] = field(default_factory=list)


@dataclass
class _Plan:
    name: str
    text: str
    existing: int | None
    turns: list[Turn]
    spans: list[Span]
    attributes: dict[str, str]
    labelled: bool
    state: dict[str, dict[int, frozenset[str]]]  # coder -> segment index -> codes
    origins: dict[tuple[str, int, str], str]
    memos: list[tuple[str, int, str]]
    exact: list[tuple[int, int, str, str, str]]  # (start, end, coder, code, origin)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _codebook(doc: Document, path: Path, sidecar: Mapping[str, Any] | None, unit: Unit,
              notes: list[str]) -> tuple[Codebook | None, dict[str, Any] | None,
                                         dict[str, str], set[str]]:
    """The codebook, its content, code GUID -> code id, and the GUIDs of themes."""
    from qualkit.codebook.formats.qdc import read_codes
    from qualkit.codebook.formats.tree import to_data, walk
    from qualkit.codebook.load import check_data

    nodes = read_codes(doc.codes) if doc.codes is not None else []
    if not nodes:
        notes.append("the file has no codebook; its codings (if any) were left out")
        return None, None, {}, set()
    coded = {g for source in doc.sources for sel in source.selections
             for _, g in sel.codings}
    promoted = [n for n in nodes if n.codable and n.children
                and norm_guid(n.guid) not in coded]
    for node in promoted:  # a tool without themes (qualitative-coding): a parent nobody
        node.codable = False  # coded directly is what qualkit calls a theme
    if promoted:
        notes.append(f"{len(promoted)} top-level code(s) with sub-codes and no codings of "
                     "their own became themes: " + ", ".join(f"`{n.name}`" for n in promoted))
    data = to_data(nodes, doc.name, notes)
    extra = sidecar.get("codebook") if sidecar else None
    if isinstance(extra, dict):
        data.update({k: v for k, v in extra.items()
                     if k in ("name", "version", "description", "unit", "authors")})
    else:
        data["unit"] = unit.value
    checked = check_data(data, path)
    book = checked.codebook
    codable = {c.id for c in book.codes}
    code_of: dict[str, str] = {}
    themes: set[str] = set()
    for node in walk(nodes):
        key = norm_guid(node.guid)
        if node.id in codable:
            code_of[key] = node.id
        else:
            themes.add(key)
    return book, checked.content, code_of, themes


def _transcript_name(source: TextSource, used: set[str]) -> str:
    name = source.name.strip() or source.guid
    if Path(name).suffix.lower() in FORMATS:
        name = Path(name).stem
    name = name[:190]
    candidate, number = name, 2
    while candidate in used:
        candidate, number = f"{name} ({number})", number + 1
    used.add(candidate)
    return candidate


def _sidecar_source(sidecar: Mapping[str, Any] | None, guid: str, text: str
                    ) -> dict[str, Any] | None:
    """The sidecar's turns, segments and reviewed ranges for a source, if they are
    well-formed and were written for exactly this text; else None (derive them)."""
    if not sidecar or not isinstance(sidecar.get("sources"), dict):
        return None
    entry = {norm_guid(k): v for k, v in sidecar["sources"].items()}.get(guid)
    if not isinstance(entry, dict) or entry.get("sha256") != _sha(text):
        return None
    try:
        turns = [Turn(0, i, str(s), int(a), int(b), None if ts is None else str(ts))
                 for i, (s, a, b, ts) in enumerate(entry["turns"])]
        spans = [(int(ti), int(a), int(b), str(s)) for ti, a, b, s in entry["segments"]]
        reviewed = {str(coder): [(int(a), int(b)) for a, b in runs]
                    for coder, runs in entry.get("reviewed", {}).items()}
    except (KeyError, TypeError, ValueError):
        return None
    size = len(text)
    if any(not 0 <= t.start <= t.end <= size for t in turns) or any(
            not (0 <= a < b <= size and 0 <= ti < len(turns)) for ti, a, b, _ in spans):
        return None
    if any(b < a or a < 0 or b >= len(spans) for runs in reviewed.values() for a, b in runs):
        return None
    if any(spans[i][1] < spans[i - 1][2] for i in range(1, len(spans))):
        return None
    return {"turns": turns, "spans": spans, "reviewed": reviewed}


def _derive(text: str, name: str, roster: Mapping[str, Participant], unit: Unit
            ) -> tuple[list[Turn], list[Span], bool]:
    from qualkit.ingest.reader import canonical_turns
    from qualkit.ingest.segment import segment
    from qualkit.ingest.speakers import read_turns

    try:
        turns, _ = read_turns(text, Path(name))
    except FileError:
        turns = []
    # A conversation has two voices at least. One "speaker" is a label-like line in text
    # that is not a transcript (a table exported one field per line, whose "Respondent"
    # field reads as a role): that text is one voice, all of it in one turn.
    labelled = len({t.speaker for t in turns}) >= 2
    if not labelled:
        turns = one_voice(text, name)
    turns = canonical_turns(turns, roster)
    spans = segment(text, turns, unit)
    return turns, spans if labelled else cut_at_lines(text, spans), labelled


def import_qdpx(store: Store, project: Project, path: Path, *, unit: Unit = Unit.SENTENCE,
                allow_pii: bool = False, roster: Path | None = None,
                ner: str | None = "auto") -> QdpxImport:
    """Read ``path`` whole, check it, then store it in one transaction."""
    from qualkit.codebook.versions import ACTIVE, active_codebook
    from qualkit.gate.scan import Finding, PiiFound, build_scanner

    doc = read_document(path)
    result = QdpxImport()
    counts: dict[str, int] = defaultdict(int)
    sidecar = doc.sidecar if doc.sidecar and doc.sidecar.get("format") == 1 else None
    declared = {"characters": STANDARD, "utf16": Convention(utf16=True)}.get(
        str((sidecar or {}).get("positions")))
    book, content, code_of, themes = _codebook(doc, path, sidecar, unit, result.notes)

    known_people = store.participants()
    people = {n: Participant(n, a) for n, a in doc.cases.items()}
    roster_map = {**people, **known_people}
    scanner = build_scanner(roster_map, roster, ner)
    rel = project.relative(path)
    origin = f"qdpx:{path.name[:150]}"
    mapper = Mapper(doc, book, code_of, themes, origin, counts)
    used: set[str] = set()
    plans: list[_Plan] = []
    findings: list[Finding] = []
    derived = 0
    for source in doc.sources:
        if source.text is None:
            result.notes.append(f"source `{source.name}` was left out: {source.why_no_text}")
            continue
        if not source.text.strip():
            result.notes.append(f"source `{source.name}` was left out: its text is empty")
            continue
        reading = detect(source.text, [(s.start, s.end) for s in source.selections],
                         bom=source.bom, declared=declared)
        text, normalised, composed = normalise_mapped(source.text)
        offsets = [normalised[i] for i in reading.to_raw]
        _say_reading(result, source.name, reading, len(source.selections))
        if not composed:
            result.notes.append(f"source `{source.name}`: its Unicode could not be composed "
                                "(NFC) without moving offsets; kept as written")
        if source.rich_only:
            result.notes.append(f"source `{source.name}` has only a Word file; its text was "
                                "read from it, and selections may not fall where the sending "
                                "tool put them")
        if source.whole_codings:
            counts["codings of whole sources (qualkit codes segments)"] += source.whole_codings
        name = _transcript_name(source, used)
        existing = store.transcript(name)
        carried = _sidecar_source(sidecar, source.guid, text)
        if existing is not None:
            if existing.text != text:
                raise ProjectError(f"{path}: source `{source.name}` has the name of transcript "
                                   f"{name} in this project, with different text; nothing was "
                                   "imported. Rename one of them (in the sending tool) or "
                                   "import into a new project")
            turns = store.turns(existing.id)
            spans = [(s.turn_index, s.start, s.end, s.speaker)
                     for s in store.segments([existing.id])]
            labelled = True
        elif carried is not None:
            turns, spans, labelled = carried["turns"], carried["spans"], True
        else:
            turns, spans, labelled = _derive(text, name, roster_map, unit)
            derived += 1
        reviewed = carried["reviewed"] if carried is not None else None
        state, origins, memos, exact = mapper.map(source, len(text), offsets, spans,
                                                  reviewed)
        if existing is None:
            locator = Locator(text)
            for hit in scanner.hits(text, turns, labelled):
                place = locator.place(hit.start)
                findings.append(Finding(f"{rel}: {name}", hit.kind, place.line, place.column))
        plans.append(_Plan(name, text, existing.id if existing else None, turns, spans,
                           source.attributes, labelled, state, origins, memos, exact))
    if findings and not allow_pii:
        raise PiiFound(findings, len({f.file for f in findings}), scanner.summary())
    if derived:
        result.notes.append(f"{derived} source(s) had no qualkit segment boundaries: turns "
                            "and segments were found as for a text file, and each coder "
                            "with a coding in a source is taken to have reviewed all of it")
    if counts.get("outside"):
        result.notes.append(f"{counts['outside']} selection(s) cover no segment's text (a "
                            "speaker label, a header, blank lines): kept as exact spans, "
                            "which an export writes back, but they code no segment")
    for what, n in sorted(counts.items()):
        if what.startswith("adjusted:"):
            result.notes.append(f"{n} {what.removeprefix('adjusted:')}")
        elif what not in ("codings", "outside"):
            result.notes.append(f"{n} {what} not carried over")
    for what, n in sorted(doc.skipped.items()):
        if n:
            result.notes.append(f"{n} {what} not carried over (qualkit has no place for them)")
    unused = [g for g, note in doc.notes.items()
              if g not in mapper.used_notes and note.text]
    if unused:
        result.notes.append(f"{len(unused)} note(s) not attached to a coded passage not "
                            "carried over")

    # -- everything is read and checked; store it in one transaction --------------------
    previous = active_codebook(store)
    coders = sorted({c for plan in plans for c in plan.state} |
                    {c for plan in plans for c, _, _ in plan.memos})
    current = {coder: store.codings(coder) for coder in coders}
    memos_now = store.notes(NoteKind.MEMO)
    at = datetime.now(UTC)
    written: Path | None = None
    try:
        with store.transaction() as conn:
            if book is not None and content is not None:
                target = _codebook_file(project, path, book)
                result.codebook_new = store.save_codebook(
                    conn, version=book.version, name=book.name, label=book.label,
                    content=content, source=project.relative(target))
                store.set_setting(ACTIVE, book.version, conn)
                result.codebook = book.version
                if result.codebook_new:
                    _write_codebook(target, content)
                    written = target
                    result.codebook_file = project.relative(target)
                if previous is not None and previous.version != book.version:
                    result.notes.append(f"the project's active codebook is now the file's "
                                        f"({book.version}; it was {previous.version})")
            if people:
                conflicts = [n for n, p in people.items() if n in known_people
                             and dict(known_people[n].attributes) != dict(p.attributes)]
                if conflicts:
                    result.notes.append(f"{len(conflicts)} participant(s) already in the "
                                        "project kept their attributes: "
                                        + ", ".join(conflicts[:5]))
                store.merge_participants(conn, people.values())
                result.participants = len(people)
            events: list[CodingEvent] = []
            notes: list[SegmentNote] = []
            for plan in plans:
                if plan.existing is None:
                    tid = store.add_transcript(conn, name=plan.name, source=f"{rel}: {plan.name}",
                                               sha256=_sha(plan.text), text=plan.text,
                                               attributes=plan.attributes, turns=plan.turns,
                                               spans=plan.spans)
                    result.added.append(plan.name)
                    result.segments += len(plan.spans)
                else:
                    tid = plan.existing
                    result.matched.append(plan.name)
                ids = store.segment_ids(conn, tid)
                events.extend(_events(plan, ids, current, book, origin, at))
                if book is not None:
                    result.spans += store.add_spans(conn, [
                        CodedSpan(tid, a, b, coder, code, book.version, where, at)
                        for a, b, coder, code, where in plan.exact])
                for coder, index, memo in plan.memos:
                    if memos_now.get((coder, ids[index])) != memo:
                        notes.append(SegmentNote(ids[index], coder, NoteKind.MEMO, memo, at))
            store.append_events(conn, events)
            store.add_notes(conn, notes)
            store.record_import(conn, rel, "qdpx", _file_sha(path))
    except BaseException:
        if written is not None:
            written.unlink(missing_ok=True)
        raise
    result.coders = coders
    result.codings = counts.get("codings", 0)
    result.events = len(events)
    result.memos = len(notes)
    log.info("imported %s: %d transcript(s), %d event(s)", path.name, len(plans), len(events))
    return result


def _say_reading(result: QdpxImport, name: str, reading: Reading, selections: int) -> None:
    """Record how a source's positions were counted, and warn when its selections fit no
    convention qualkit knows (they are then kept where they fall)."""
    result.positions.setdefault(reading.describe(), []).append(name)
    if selections and 4 * reading.misplaced > 2 * selections:
        result.notes.append(f"source `{name}`: {reading.misplaced} of {2 * selections} "
                            "selection bounds fall inside a word or a character under every "
                            "position convention qualkit knows; they were kept where they "
                            "fall: check a few against the sending tool")


def _events(plan: _Plan, ids: list[int], current: Mapping[str, Mapping[int, Any]],
            book: Codebook | None, origin: str, at: datetime) -> list[CodingEvent]:
    if book is None:
        return []
    events = []
    index_of = {segment_id: i for i, segment_id in enumerate(ids)}
    for coder, state in sorted(plan.state.items()):
        wanted = {ids[i]: codes for i, codes in state.items()}
        have = {seg: coding.codes for seg, coding in current.get(coder, {}).items()
                if seg in wanted}
        for segment_id, action, code in diff(have, wanted):
            index = index_of[segment_id]
            events.append(CodingEvent(
                segment_id=segment_id, coder=coder, action=action, code_id=code,
                codebook_version=book.version,
                origin=plan.origins.get((coder, index, code or ""), origin), at=at))
    return events


def _file_sha(path: Path) -> str:
    from qualkit.ingest.formats import file_digest

    return file_digest(path)


def _codebook_file(project: Project, path: Path, book: Codebook) -> Path:
    """Where an imported codebook is kept in the project: codebooks/<file>.yaml, or a free
    name beside it (an existing file is never overwritten)."""
    from qualkit.codebook.formats.tree import slug

    base = slug(path.stem).replace("_", "-")
    candidate, number = project.codebooks / f"{base}.yaml", 2
    while candidate.exists():
        candidate, number = project.codebooks / f"{base}-{number}.yaml", number + 1
    return candidate


def _write_codebook(target: Path, content: dict[str, Any]) -> None:
    from qualkit.codebook.formats.yamlfile import dump_yaml
    from qualkit.fileio import atomic_write_text

    atomic_write_text(target, dump_yaml(content))


def import_into(root: Path, path: Path, call: Callable[[Store, Project], QdpxImport]
                ) -> tuple[QdpxImport, bool]:
    """Run an import into the project at ``root``, creating the project when the folder is
    missing or empty; a project created here is removed again if the import fails, so a
    failed import leaves nothing half-written."""
    from qualkit import project as projects

    fresh = not root.exists() or (root.is_dir() and not any(root.iterdir()))
    existed = root.exists()
    if fresh:
        project, _ = projects.init(root)
    else:
        project = projects.find(root)
    try:
        with project.open_store() as store:
            try:
                return call(store, project), fresh
            except RecursionError:
                raise FileError(path, "nests its codes or elements too deeply to be a QDA "
                                      "project; export it again from the tool that made "
                                      "it") from None
    except BaseException:
        if fresh:
            if existed:
                for child in root.iterdir():
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
            else:
                shutil.rmtree(root, ignore_errors=True)
        raise
