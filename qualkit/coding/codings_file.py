"""A coder's decisions as a CSV of quoted passages, imported into the coding log.

This is the shape coders produce when they work on paper or in a word processor: for each
passage they coded, the transcript, optionally the speaker, the passage copied from the
transcript, and the codes. Quotes, not segment ids, make the file independent of how qualkit
cuts sentences; a quote maps to every segment it overlaps (the same rule REFI-QDA selections
follow).

A transcript named in the file counts as reviewed in full by that coder: segments no quote
touches are recorded as "reviewed, none apply". A row with a transcript and no quote or codes
declares a transcript reviewed with nothing coded. Re-importing a file appends only what
changed (see :func:`qualkit.decisions.diff`), so importing twice records nothing new.

Columns: ``transcript, speaker, quote, codes, memo`` (codes separated by ``;``). A memo is
kept on the first segment its quote touches, in the note log beside the coder's decisions.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from qualkit.decisions import diff
from qualkit.errors import FileError, did_you_mean
from qualkit.ingest.normalise import decode, normalise
from qualkit.model import Codebook, CodingEvent, NoteKind, Segment, SegmentNote, Transcript
from qualkit.project import Project
from qualkit.store import Store

REQUIRED = ("transcript", "quote", "codes")
SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class CodingsImport:
    coder: str
    transcripts: int
    segments_coded: int
    events: int
    skipped_unchanged: bool = False


class _Collapsed:
    """A transcript with whitespace runs collapsed, and the way back to real offsets."""

    def __init__(self, text: str) -> None:
        parts: list[str] = []
        self.offsets: list[int] = []
        last_space = False
        for i, ch in enumerate(text):
            if ch.isspace():
                if last_space:
                    continue
                parts.append(" ")
                last_space = True
            else:
                parts.append(ch)
                last_space = False
            self.offsets.append(i)
        self.text = "".join(parts)

    def find_all(self, needle: str) -> list[tuple[int, int]]:
        spans = []
        start = self.text.find(needle)
        while start != -1:
            end = start + len(needle)
            spans.append((self.offsets[start], self.offsets[end - 1] + 1))
            start = self.text.find(needle, start + 1)
        return spans


def import_codings_file(store: Store, project: Project, path: Path, codebook: Codebook,
                        coder: str | None = None) -> CodingsImport:
    """Validate the whole file first, then append the events that bring the coder's state
    in line with it — all in one transaction, or nothing."""
    coder = coder or path.stem
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileError(path, f"cannot be read ({exc.strerror})") from None
    digest = hashlib.sha256(data + coder.encode()).hexdigest()
    rel = project.relative(path)
    if store.imported_hash(f"{rel}#{coder}") == digest:
        return CodingsImport(coder=coder, transcripts=0, segments_coded=0, events=0,
                             skipped_unchanged=True)
    wanted, transcripts, memos = _read(path, normalise(decode(data, path)), store, codebook)
    current = {seg: c.codes for seg, c in store.codings(coder).items()}
    changes = diff({s: current[s] for s in wanted if s in current}, wanted)
    at = datetime.now(UTC)
    events = [CodingEvent(segment_id=seg, coder=coder, action=action, code_id=code,
                          codebook_version=codebook.version, origin=f"file:{rel}", at=at)
              for seg, action, code in changes]
    had = store.notes(NoteKind.MEMO, coder=coder)
    notes = [SegmentNote(segment_id=seg, coder=coder, kind=NoteKind.MEMO, value=memo, at=at)
             for seg, memo in memos.items() if had.get((coder, seg), "") != memo]
    with store.transaction() as conn:
        store.ensure_coder(conn, coder)
        store.append_events(conn, events)
        store.add_notes(conn, notes)
        store.record_import(conn, f"{rel}#{coder}", "codings", digest)
    coded = sum(1 for codes in wanted.values() if codes)
    return CodingsImport(coder=coder, transcripts=len(transcripts), segments_coded=coded,
                         events=len(events))


def _read(path: Path, text: str, store: Store, codebook: Codebook
          ) -> tuple[dict[int, frozenset[str]], list[str], dict[int, str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FileError(path, f"needs the columns {', '.join(REQUIRED)} "
                              f"(missing: {', '.join(missing)})", line=1)
    reader.fieldnames = header
    by_name = {t.name: t for t in store.transcripts()}
    code_ids = [c.id for c in codebook.codes]
    segments: dict[str, list[Segment]] = {}
    collapsed: dict[str, _Collapsed] = {}
    wanted: dict[int, set[str]] = {}
    memos: dict[int, str] = {}
    for row in reader:
        line = reader.line_num
        name = (row.get("transcript") or "").strip()
        if not name:
            raise FileError(path, "names no transcript", line=line)
        transcript = by_name.get(name)
        if transcript is None:
            hint = did_you_mean(name, list(by_name))
            raise FileError(path, f"transcript `{name}` is not in the project{hint} "
                                  "(import it first with `qualkit import`)", line=line)
        if name not in segments:
            segments[name] = store.segments([transcript.id])
            collapsed[name] = _Collapsed(transcript.text)
            for seg in segments[name]:
                wanted.setdefault(seg.id, set())
        codes = [c.strip() for c in (row.get("codes") or "").split(";") if c.strip()]
        for code in codes:
            if code not in code_ids:
                raise FileError(path, f"unknown code `{code}`{did_you_mean(code, code_ids)}",
                                line=line)
        quote = SPACE.sub(" ", normalise(row.get("quote") or "")).strip()
        if not quote and not codes:
            continue
        if not quote or not codes:
            raise FileError(path, "a row needs both a quote and at least one code "
                                  "(or neither, to mark the transcript reviewed)", line=line)
        span = _locate(path, line, transcript, collapsed[name], segments[name], quote,
                       (row.get("speaker") or "").strip())
        touched = _overlapping(segments[name], span)
        for seg in touched:
            wanted[seg.id].update(codes)
        memo = normalise(row.get("memo") or "").strip()
        if memo and touched:
            memos[touched[0].id] = memo
    return {k: frozenset(v) for k, v in wanted.items()}, list(segments), memos


def _locate(path: Path, line: int, transcript: Transcript, text: _Collapsed,
            segments: list[Segment], quote: str, speaker: str) -> tuple[int, int]:
    spans = text.find_all(quote)
    if speaker:
        spans = [sp for sp in spans
                 if any(s.speaker == speaker for s in _overlapping(segments, sp))]
    where = f"{transcript.name}" + (f" ({speaker}'s turns)" if speaker else "")
    if not spans:
        raise FileError(path, f"quote not found in {where}; copy it exactly from the "
                              "transcript", line=line)
    if len(spans) > 1:
        raise FileError(path, f"quote occurs {len(spans)} times in {where}; quote a longer "
                              "passage", line=line)
    return spans[0]


def _overlapping(segments: list[Segment], span: tuple[int, int]) -> list[Segment]:
    starts = [s.start for s in segments]
    i = max(bisect.bisect_right(starts, span[0]) - 1, 0)
    found = []
    while i < len(segments) and segments[i].start < span[1]:
        if segments[i].end > span[0]:
            found.append(segments[i])
        i += 1
    return found


def codings_files(project: Project) -> list[Path]:
    """The coders' files of a project: ``codings/<coder>.csv``."""
    if not project.codings.is_dir():
        return []
    return sorted(p for p in project.codings.glob("*.csv") if p.is_file())
