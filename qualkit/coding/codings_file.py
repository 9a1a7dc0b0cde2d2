"""A coder's decisions as a table of quoted passages, imported into the coding log.

This is the shape coders produce when they work on paper, in a word processor or in another
tool: for each passage they coded, the transcript, the passage quoted from it and the codes
(qualkit's own CSV, or another tool's coded-segment export: see
:mod:`qualkit.coding.foreign`). Quotes, not segment ids, make the file independent of how
qualkit cuts sentences; a quote maps to every segment it overlaps (the same rule REFI-QDA
selections follow), and is found the way people quote (:mod:`qualkit.coding.placement`).

The whole file is checked before anything is recorded, and every problem is reported at
once. With ``partial`` the valid rows are applied and the refused ones written to a file
with the reason per row.

**Review semantics.** A transcript named in the file counts as reviewed in full by that
coder: segments no quote touches are recorded as "reviewed, none apply". But a transcript
with a refused row is only *partly reviewed*: the coder did code the refused passage, so
recording its segments as "none apply" would invent "no" decisions nobody made. Only the
placed decisions are recorded for it, unless the coder says the review was complete
(``reviewed_in_full``). A row with a transcript and no quote or codes declares a transcript
reviewed with nothing coded. Re-importing a file appends only what changed (see
:func:`qualkit.decisions.diff`), so importing twice records nothing new.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from qualkit.coding.foreign import QUALKIT, Row, Table, code_path, read_table
from qualkit.coding.placement import MIN_SCORE, Placed, Refused, Source, place
from qualkit.decisions import diff
from qualkit.errors import FileError, ProblemsError, did_you_mean
from qualkit.model import Codebook, CodingEvent, NoteKind, Segment, SegmentNote, Transcript
from qualkit.project import Project
from qualkit.store import Store

# How alike an unknown code must be to a codebook code before "did you mean" names it:
# coders who add codes while coding write new names, not misspellings, and a loose match
# (60 on rapidfuzz's WRatio) sent them to unrelated codes.
SIMILAR_CODE = 80.0


@dataclass(frozen=True)
class Refusal:
    line: int
    reason: str


@dataclass(frozen=True)
class CodingsImport:
    coder: str
    transcripts: int
    segments_coded: int
    events: int
    skipped_unchanged: bool = False
    format: str = QUALKIT.name
    rows: int = 0
    placed: dict[str, int] = field(default_factory=dict)  # rule → rows
    approximate: tuple[tuple[int, float], ...] = ()  # (line, score) of rows not verbatim
    refused: tuple[Refusal, ...] = ()
    refused_file: Path | None = None
    partly_reviewed: tuple[str, ...] = ()
    new_codes: dict[str, str] = field(default_factory=dict)  # name → id
    codebook_version: str = ""


@dataclass
class _Plan:
    """What the file asks for, before anything is written."""

    wanted: dict[int, set[str]] = field(default_factory=dict)
    memos: dict[int, str] = field(default_factory=dict)
    transcripts: dict[str, list[Segment]] = field(default_factory=dict)
    refused: list[Refusal] = field(default_factory=list)
    refused_rows: list[Row] = field(default_factory=list)
    placed: dict[str, int] = field(default_factory=dict)
    approximate: list[tuple[int, float]] = field(default_factory=list)
    unknown: dict[str, list[int]] = field(default_factory=dict)  # first spelling → lines
    spelling: dict[str, str] = field(default_factory=dict)  # case-folded → first spelling
    partly: set[str] = field(default_factory=set)  # transcripts with a refused row


def import_codings_file(store: Store, project: Project, path: Path, codebook: Codebook,
                        coder: str | None = None, *, partial: bool = False,
                        new_codes: bool = False, min_score: float = MIN_SCORE,
                        reviewed_in_full: bool = False,
                        refused_file: Path | None = None) -> CodingsImport:
    """Check the whole file, then append the events that bring the coder's state in line
    with it — all in one transaction, or nothing.

    Raises :class:`ProblemsError` listing every problem unless ``partial``; then the valid
    rows are applied and the refused ones written to ``refused_file`` (default
    ``<file>.refused.csv`` beside the file). ``new_codes`` adds unknown codes to the
    codebook as inductive codes instead of refusing their rows.
    """
    coder = coder or path.stem
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileError(path, f"cannot be read ({exc.strerror})") from None
    settings = f"{partial}{new_codes}{min_score}{reviewed_in_full}".encode()
    digest = hashlib.sha256(data + coder.encode() + settings).hexdigest()
    rel = project.relative(path)
    if store.imported_hash(f"{rel}#{coder}") == digest:
        return CodingsImport(coder=coder, transcripts=0, segments_coded=0, events=0,
                             skipped_unchanged=True)
    table = read_table(path, data)
    lookup = _code_lookup(codebook, table)
    plan = _plan(table, store, lookup, min_score, new_codes)
    made: dict[str, str] = {}
    if plan.unknown and not new_codes:
        ids = [c.id for c in codebook.codes]
        for name, lines in plan.unknown.items():
            hint = did_you_mean(name, ids, min_similarity=SIMILAR_CODE)
            todo = hint or ("; add it to the codebook, or pass --new-codes to add the "
                            "file's new codes as inductive codes")
            plan.refused.append(Refusal(lines[0], f"unknown code `{name}` (line(s) "
                                        f"{_lines(lines)}){todo}"))
    problems = sorted(plan.refused, key=lambda r: r.line)
    if problems and not partial:
        raise ProblemsError(path, [f"line {r.line}: {r.reason}" for r in problems])
    partly = [] if reviewed_in_full else sorted(plan.partly & set(plan.transcripts))
    wanted = _decisions(plan, partly)
    at = datetime.now(UTC)
    current = {seg: c.codes for seg, c in store.codings(coder).items()}
    had = store.notes(NoteKind.MEMO, coder=coder)
    notes = [SegmentNote(segment_id=seg, coder=coder, kind=NoteKind.MEMO, value=memo, at=at)
             for seg, memo in plan.memos.items() if had.get((coder, seg), "") != memo]
    target = refused_file or path.with_name(f"{path.stem}.refused.csv")
    version = codebook.version
    with store.transaction() as conn:
        if plan.unknown and new_codes:
            from qualkit.codebook.versions import add_inductive_codes

            book, made = add_inductive_codes(store, conn, codebook, list(plan.unknown),
                                             coder, str(rel))
            version = book.version
            wanted = {seg: {made.get(c, c) for c in codes} for seg, codes in wanted.items()}
        frozen = {k: frozenset(v) for k, v in wanted.items()}
        changes = diff({s: current[s] for s in frozen if s in current}, frozen)
        events = [CodingEvent(segment_id=seg, coder=coder, action=action, code_id=code,
                              codebook_version=version, origin=f"file:{rel}", at=at)
                  for seg, action, code in changes]
        store.ensure_coder(conn, coder)
        store.append_events(conn, events)
        store.add_notes(conn, notes)
        store.record_import(conn, f"{rel}#{coder}", "codings", digest)
    if plan.refused_rows:
        _write_refused(target, table, plan)
    coded = sum(1 for codes in wanted.values() if codes)
    return CodingsImport(
        coder=coder, transcripts=len(plan.transcripts), segments_coded=coded,
        events=len(events), format=table.format.name, rows=len(table.rows),
        placed=dict(plan.placed), approximate=tuple(plan.approximate),
        refused=tuple(problems), refused_file=target if plan.refused_rows else None,
        partly_reviewed=tuple(partly), new_codes=made, codebook_version=version)


def _code_lookup(codebook: Codebook, table: Table) -> dict[str, str]:
    """Every way a file may name a code (id, name, or its tool's path ending in the
    name), case-folded → code id."""
    lookup: dict[str, str] = {}
    for code in codebook.codes:
        lookup.setdefault(code.name.casefold(), code.id)
    for code in codebook.codes:
        lookup[code.id.casefold()] = code.id
    return lookup


def _resolve(name: str, lookup: dict[str, str], table: Table) -> str | None:
    found = lookup.get(name.casefold())
    if found is None and table.format is not QUALKIT:
        parts = code_path(name, table.format)
        found = lookup.get(parts[-1].casefold()) if parts else None
    return found


def _plan(table: Table, store: Store, lookup: dict[str, str], min_score: float,
          new_codes: bool) -> _Plan:
    plan = _Plan()
    by_name = {t.name: t for t in store.transcripts()}
    sources: dict[str, Source] = {}
    for row in table.rows:
        problem = row.problem
        transcript = _transcript(row.transcript, by_name)
        if problem is None and not row.transcript:
            problem = "names no transcript"
        elif problem is None and transcript is None:
            hint = did_you_mean(row.transcript, list(by_name))
            problem = (f"transcript `{row.transcript}` is not in the project{hint} (import "
                       "it first with `qualkit import`)")
        if problem is not None or transcript is None:
            _refuse(plan, row, problem or "names no transcript",
                    transcript.name if transcript is not None else None)
            continue
        if transcript.name not in sources:
            segments = store.segments([transcript.id])
            sources[transcript.name] = Source(transcript, store.turns(transcript.id), segments)
            plan.transcripts[transcript.name] = segments
        codes: list[str] = []
        unknown = False
        for name in row.codes:
            resolved = _resolve(name, lookup, table)
            if resolved is None:
                label = code_path(name, table.format)[-1] if table.format is not QUALKIT \
                    else name
                label = plan.spelling.setdefault(label.casefold(), label)
                plan.unknown.setdefault(label, []).append(row.line)
                codes.append(label)
                unknown = True
            else:
                codes.append(resolved)
        if not row.quote and not codes:
            continue
        if not row.quote or not codes:
            _refuse(plan, row, "a row needs both a quote and at least one code (or "
                               "neither, to mark the transcript reviewed)", transcript.name)
            continue
        found = place(sources[transcript.name], row.quote, row.speaker, row.hint, min_score)
        if isinstance(found, Refused):
            _refuse(plan, row, found.reason, transcript.name)
            continue
        if unknown and not new_codes:  # the reason is listed once per code, not per row
            plan.refused_rows.append(row)
            plan.partly.add(transcript.name)
            continue
        _apply(plan, sources[transcript.name], row, found, codes)
    return plan


def _transcript(name: str, by_name: dict[str, Transcript]) -> Transcript | None:
    """The project transcript a row names: exactly, case-insensitively, or without the
    file extension or document number other tools add (``P1.txt``, ``3: P1``)."""
    if name in by_name:
        return by_name[name]
    folded = {k.casefold(): v for k, v in by_name.items()}
    candidates = [name, Path(name).stem, name.split(":", 1)[-1].strip(),
                  Path(name.split(":", 1)[-1].strip()).stem]
    for candidate in candidates:
        if candidate.casefold() in folded:
            return folded[candidate.casefold()]
    return None


def _apply(plan: _Plan, source: Source, row: Row, found: Placed, codes: list[str]) -> None:
    rule = found.rule + (" across turns" if found.turns > 1 else "")
    plan.placed[rule] = plan.placed.get(rule, 0) + 1
    if found.rule in ("anchored", "approximate"):
        plan.approximate.append((row.line, found.score))
    touched: list[Segment] = []
    for span in found.spans:
        touched.extend(source.segments_in(span))
    for seg in touched:
        plan.wanted.setdefault(seg.id, set()).update(codes)
    if row.memo and touched:
        plan.memos[touched[0].id] = row.memo


def _refuse(plan: _Plan, row: Row, reason: str, transcript: str | None = None) -> None:
    plan.refused.append(Refusal(row.line, reason))
    plan.refused_rows.append(row)
    if transcript is not None:
        plan.partly.add(transcript)


def _decisions(plan: _Plan, partly: list[str]) -> dict[int, set[str]]:
    """Segment → codes: placed decisions, plus "none apply" for the untouched segments of
    transcripts reviewed in full."""
    wanted = {seg: set(codes) for seg, codes in plan.wanted.items()}
    for name, segments in plan.transcripts.items():
        if name in partly:
            continue
        for seg in segments:
            wanted.setdefault(seg.id, set())
    return wanted


def _lines(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:8])
    return shown + (f" and {len(lines) - 8} more" if len(lines) > 8 else "")


def _write_refused(target: Path, table: Table, plan: _Plan) -> None:
    """The refused rows as they were read, with the line and the reason first, so the
    coder can fix them and import that file."""
    from qualkit.fileio import atomic_write_text, safe_cell

    reasons: dict[int, list[str]] = defaultdict(list)
    for refusal in plan.refused:
        reasons[refusal.line].append(refusal.reason)
    for name, lines in plan.unknown.items():
        for line in lines:
            if not any(f"`{name}`" in r for r in reasons[line]):
                reasons[line].append(f"unknown code `{name}`")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["line", "problem", *table.header])
    for row in sorted(plan.refused_rows, key=lambda r: r.line):
        writer.writerow([row.line, safe_cell("; ".join(reasons[row.line])),
                         *(safe_cell(c) for c in row.cells)])
    atomic_write_text(target, out.getvalue())


def codings_files(project: Project) -> list[Path]:
    """The coders' files of a project: ``codings/<coder>.csv`` (refused-row files that
    ``--partial`` writes beside them are not coders)."""
    if not project.codings.is_dir():
        return []
    return sorted(p for p in project.codings.glob("*.csv")
                  if p.is_file() and not p.name.endswith(".refused.csv"))
