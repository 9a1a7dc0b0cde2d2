"""The audit trail: what happened to one segment, and where each coder stands.

Both are read straight from the append-only logs, so what a reviewer sees is what was
recorded: every event with its coder, time, origin (``manual``, ``suggestion``, ``undo``,
``sheet:FILE``, ``file:FILE``, ``adjudication:…``) and codebook version. History shows no
transcript text beyond the segment's position: it is meant to be pasted into a discussion.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from qualkit.errors import NotFoundError
from qualkit.store import Store

__all__ = ["CoderProgress", "HistoryEntry", "SegmentHistory", "coder_progress",
           "segment_history"]


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    coder: str
    what: str  # apply, remove, reviewed_none, unreview, memo, quote
    code: str | None
    origin: str
    codebook_version: str | None
    note: str | None = None

    def line(self) -> str:
        when = self.at.strftime("%Y-%m-%d %H:%M:%S")
        detail = self.code or ""
        if self.what == "quote":
            detail = "marked" if self.note else "unmarked"
        elif self.what == "memo":
            detail = f"“{self.note}”" if self.note else "cleared"
        version = f" · codebook {self.codebook_version[:12]}" if self.codebook_version else ""
        return (f"{when}  {self.coder:<10} {self.what:<13} {detail}  "
                f"({self.origin}{version})").rstrip()

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "coder": self.coder, "action": self.what,
                "code": self.code, "origin": self.origin,
                "codebook_version": self.codebook_version, "note": self.note}


@dataclass(frozen=True)
class SegmentHistory:
    segment_id: int
    transcript: str
    position: int
    speaker: str
    entries: tuple[HistoryEntry, ...]

    def as_json(self) -> dict[str, Any]:
        return {"segment_id": self.segment_id, "transcript": self.transcript,
                "position": self.position, "speaker": self.speaker,
                "events": [e.as_json() for e in self.entries]}


def segment_history(store: Store, segment_id: int) -> SegmentHistory:
    """Every coding event and note on a segment, all coders, in time order."""
    segment = store.segment(segment_id)
    if segment is None:
        raise NotFoundError(f"no segment with id {segment_id}; segment ids are shown by "
                            "`qualkit tag`, `qualkit disagreements` and in exported sheets")
    names = {t.id: t.name for t in store.transcripts()}
    entries = [HistoryEntry(at=e.at, coder=e.coder, what=e.action.value, code=e.code_id,
                            origin=e.origin, codebook_version=e.codebook_version,
                            note=e.memo)
               for e in store.segment_events(segment_id)]
    entries += [HistoryEntry(at=n.at, coder=n.coder, what=n.kind.value, code=None,
                             origin="note", codebook_version=None, note=n.value)
                for n in store.segment_note_log(segment_id)]
    entries.sort(key=lambda e: e.at)
    return SegmentHistory(segment_id=segment_id, transcript=names[segment.transcript_id],
                          position=segment.index, speaker=segment.speaker,
                          entries=tuple(entries))


@dataclass(frozen=True)
class CoderProgress:
    name: str
    segments: int
    reviewed: int
    coded: int
    none: int
    decisions: int
    notes: int
    last_active: str | None  # ISO-8601 UTC, to the second

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "segments": self.segments, "reviewed": self.reviewed,
                "coded": self.coded, "none_apply": self.none, "decisions": self.decisions,
                "notes": self.notes, "last_active": self.last_active}


def coder_progress(store: Store) -> list[CoderProgress]:
    """Each coder's segments reviewed (with codes / none apply), events, notes, last active."""
    total = sum(n[3] for n in store.transcript_counts().values())
    rows = []
    for name, (events, notes, last) in store.coder_activity().items():
        codings = store.codings(name)
        coded = sum(1 for c in codings.values() if c.codes)
        when = datetime.fromisoformat(last).strftime("%Y-%m-%d %H:%M:%S") if last else None
        rows.append(CoderProgress(name=name, segments=total, reviewed=len(codings),
                                  coded=coded, none=len(codings) - coded, decisions=events,
                                  notes=notes, last_active=when))
    return rows
