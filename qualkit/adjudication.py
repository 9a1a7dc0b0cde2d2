"""Disagreements between coders, and settling them into the ``consensus`` coder.

A disagreement is a segment every chosen coder reviewed on which their sets of applied
codes differ (or, for one code, on which some applied it and some did not). Segments not
reviewed by everyone are not disagreements: they are missing data.

The consensus is an ordinary coder named :data:`qualkit.model.CONSENSUS`, written to the
same append-only log, so the report, agreement and export treat it like anyone else. Every
decision is an event with the time and an origin that says how it was reached:

* ``adjudication:agreed:<coders>`` -- copied by :func:`accept_agreed` from a segment on which
  all those coders agreed;
* ``adjudication:by:<name>`` -- settled by a person with :func:`settle`.

Neither overwrites a decision the consensus already holds, except :func:`settle`, which is a
person's explicit decision about one segment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from qualkit.agreement_project import choose_coders, compared_segments
from qualkit.coding import diff
from qualkit.errors import NotFoundError, QualkitError, did_you_mean
from qualkit.model import CONSENSUS, Codebook, CodingEvent, NoteKind
from qualkit.store import Store

__all__ = ["AcceptResult", "Disagreement", "Disagreements", "SettleResult", "accept_agreed",
           "disagreements", "settle"]

ORIGIN = "adjudication"


@dataclass(frozen=True)
class Disagreement:
    """One segment on which the coders differ; ``codes[i]`` is coder ``i``'s codes."""

    segment_id: int
    transcript: str
    position: int
    speaker: str
    text: str
    codes: tuple[frozenset[str], ...]
    before: str = ""  # the segment before, in the same turn (context for the discussion)
    after: str = ""  # the segment after, in the same turn
    memos: tuple[str, ...] = ()  # memos[i]: coder i's memo on this segment, or ""


@dataclass(frozen=True)
class Disagreements:
    coders: tuple[str, ...]
    code: str | None
    segments_compared: int
    segments_left_out: int
    rows: tuple[Disagreement, ...]


@dataclass(frozen=True)
class AcceptResult:
    coders: tuple[str, ...]
    segments_recorded: int
    events: int
    already_decided: int
    disagreements_left: int


@dataclass(frozen=True)
class SettleResult:
    segment_id: int
    transcript: str
    codes: frozenset[str]
    events: int


def _check_code(code: str, codebook: Codebook) -> None:
    ids = [c.id for c in codebook.codes]
    if code not in ids:
        raise NotFoundError(f"unknown code `{code}`{did_you_mean(code, ids, list_all=True)}")


def disagreements(store: Store, coders: Sequence[str] | None = None, code: str | None = None,
                  codebook: Codebook | None = None) -> Disagreements:
    """Segments every chosen coder reviewed on which they differ, in reading order."""
    if code is not None and codebook is not None:
        _check_code(code, codebook)
    chosen = choose_coders(store, coders)
    compared, codings, _, total = compared_segments(store, chosen)
    names = {t.id: t.name for t in store.transcripts()}
    memos = store.notes(NoteKind.MEMO)
    by_place = {(s.transcript_id, s.index): s for s in compared}
    rows = []
    for seg in compared:
        sets = tuple(codings[c][seg.id] for c in chosen)
        differ = (len({code in s for s in sets}) > 1 if code is not None
                  else len(set(sets)) > 1)
        if differ:
            near = [by_place.get((seg.transcript_id, seg.index + step)) for step in (-1, 1)]
            before, after = (n.text if n is not None and n.turn_index == seg.turn_index
                             else "" for n in near)
            rows.append(Disagreement(segment_id=seg.id, transcript=names[seg.transcript_id],
                                     position=seg.index, speaker=seg.speaker, text=seg.text,
                                     codes=sets, before=before, after=after,
                                     memos=tuple(memos.get((c, seg.id), "") for c in chosen)))
    return Disagreements(coders=chosen, code=code, segments_compared=len(compared),
                         segments_left_out=total - len(compared), rows=tuple(rows))


def accept_agreed(store: Store, codebook: Codebook, coders: Sequence[str] | None = None,
                  ) -> AcceptResult:
    """Copy every segment on which all chosen coders agree into the consensus, unless the
    consensus already decided it; the disagreements are left for a person."""
    chosen = choose_coders(store, coders)
    if CONSENSUS in chosen:
        raise QualkitError(f"--coders names {CONSENSUS!r}; choose the coders whose agreed "
                           "decisions should become the consensus")
    compared, codings, _, _ = compared_segments(store, chosen)
    current = {s: c.codes for s, c in store.codings(CONSENSUS).items()}
    wanted: dict[int, frozenset[str]] = {}
    already = left = 0
    for seg in compared:
        sets = {codings[c][seg.id] for c in chosen}
        if len(sets) > 1:
            left += 1
        elif seg.id in current:
            already += 1
        else:
            wanted[seg.id] = sets.pop()
    changes = diff({}, wanted)
    at = datetime.now(UTC)
    origin = f"{ORIGIN}:agreed:{','.join(chosen)}"
    events = [CodingEvent(segment_id=seg, coder=CONSENSUS, action=action, code_id=code,
                          codebook_version=codebook.version, origin=origin, at=at)
              for seg, action, code in changes]
    if events:
        with store.transaction() as conn:
            store.append_events(conn, events)
    return AcceptResult(coders=chosen, segments_recorded=len(wanted), events=len(events),
                        already_decided=already, disagreements_left=left)


def settle(store: Store, codebook: Codebook, segment_id: int, codes: Sequence[str],
           decided_by: str, memo: str | None = None) -> SettleResult:
    """Record a person's decision on one segment as the consensus: exactly ``codes``
    (empty: reviewed, none apply), replacing what the consensus held for it."""
    name = decided_by.strip()
    if not name:
        raise QualkitError("--coder-name needs the name of the person who decided")
    for code in codes:
        _check_code(code, codebook)
    segment = next((s for s in store.segments() if s.id == segment_id), None)
    if segment is None:
        raise NotFoundError(f"no segment with id {segment_id}; list the disagreements with "
                            "`qualkit disagreements` to see segment ids")
    transcript = next(t.name for t in store.transcripts() if t.id == segment.transcript_id)
    have = store.codings(CONSENSUS).get(segment_id)
    current = {segment_id: have.codes} if have is not None else {}
    target = frozenset(codes)
    changes = diff(current, {segment_id: target})
    at = datetime.now(UTC)
    events = [CodingEvent(segment_id=seg, coder=CONSENSUS, action=action, code_id=code,
                          codebook_version=codebook.version, origin=f"{ORIGIN}:by:{name}",
                          at=at, memo=memo or None)
              for seg, action, code in changes]
    if events:
        with store.transaction() as conn:
            store.append_events(conn, events)
    return SettleResult(segment_id=segment_id, transcript=transcript, codes=target,
                        events=len(events))
