"""Disagreements between coders, and settling them into the ``consensus`` coder.

A disagreement is a segment every chosen coder reviewed on which their sets of applied
codes differ (or, for one code, on which some applied it and some did not). Segments not
reviewed by everyone are not disagreements: they are missing data.

The consensus is an ordinary coder named :data:`qualkit.model.CONSENSUS`, written to the
same append-only log, so the report, agreement and export treat it like anyone else. Every
decision is an event with the time and an origin that says how it was reached:

* ``adjudication:agreed:<coders>`` -- copied by :func:`accept_agreed` from a segment on which
  all those coders agreed;
* ``adjudication:by:<name>`` -- settled by a person: one segment with :func:`settle`, in
  the terminal walk-through (:func:`walk_session`, the ``qualkit tag`` session over the
  disagreements; its undos are ``adjudication:by:<name>:undo``) or from an adjudication
  sheet (:func:`import_consensus_sheet`).

Neither overwrites a decision the consensus already holds, except a person's explicit
decision about a segment.

:func:`before_after` gives the numbers shown once a walk or sheet is done: the coders'
pooled agreement, and each coder's agreement with the consensus.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qualkit.agreement.project import choose_coders, compared_segments
from qualkit.decisions import diff
from qualkit.errors import NotFoundError, QualkitError, did_you_mean
from qualkit.model import CONSENSUS, Codebook, CodingEvent, NoteKind
from qualkit.store import Store

if TYPE_CHECKING:
    from qualkit.coding.session import TaggingSession
    from qualkit.coding.sheet import ExportResult, ImportResult

__all__ = ["AcceptResult", "BeforeAfter", "Disagreement", "Disagreements", "Pooled",
           "SettleResult", "accept_agreed", "before_after", "by_origin", "disagreements",
           "export_consensus_sheet", "import_consensus_sheet", "settle", "walk_session"]

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


# -- the walk-through and the sheet -----------------------------------------------------


def by_origin(decided_by: str) -> str:
    """The origin of a person's decisions, refusing an empty name (who decided must be
    on record)."""
    name = decided_by.strip()
    if not name:
        raise QualkitError("--coder-name needs the name of the person who decided")
    return f"{ORIGIN}:by:{name}"


def _to_settle(store: Store, codebook: Codebook, coders: Sequence[str] | None,
               code: str | None) -> Disagreements:
    if coders and CONSENSUS in coders:
        raise QualkitError(f"--coders names {CONSENSUS!r}; choose the coders whose "
                           "disagreements the consensus should settle")
    found = disagreements(store, coders, code, codebook)
    if not found.rows:
        about = f" on {code}" if code else ""
        raise QualkitError(f"{', '.join(found.coders)} do not disagree{about} on any segment "
                           "they all reviewed; record the agreed ones with `qualkit "
                           "adjudicate --accept-agreed`")
    return found


def walk_session(store: Store, codebook: Codebook, decided_by: str,
                 coders: Sequence[str] | None = None, code: str | None = None,
                 ) -> TaggingSession:
    """The ``qualkit tag`` session over exactly the disagreements, showing each coder's
    codes and memos and recording as the consensus. Every key press that decides is its own
    transaction; reopening resumes at the first segment the consensus has not decided
    (or where the last walk stopped)."""
    from qualkit.coding.session import TaggingSession

    origin = by_origin(decided_by)
    found = _to_settle(store, codebook, coders, code)
    ids = [d.segment_id for d in found.rows]
    others = {name: {d.segment_id: d.codes[i] for d in found.rows}
              for i, name in enumerate(found.coders)}
    memos = {name: {d.segment_id: d.memos[i] for d in found.rows if d.memos[i]}
             for i, name in enumerate(found.coders)}
    return TaggingSession(store, codebook, CONSENSUS, segment_ids=ids, others=others,
                          others_memos=memos, origin_prefix=origin)


def _shown(codes: frozenset[str], memo: str) -> str:
    text = "; ".join(sorted(codes)) or "(none apply)"
    return f"{text}\nmemo: {memo}" if memo else text


def export_consensus_sheet(store: Store, codebook: Codebook, path: Path,
                           coders: Sequence[str] | None = None, code: str | None = None,
                           ) -> tuple[Disagreements, ExportResult]:
    """The consensus coder's coding sheet over the disagreements: its own decisions filled
    in, and each coder's codes and memo in a grey ``codes: NAME`` column import skips."""
    from qualkit.coding.sheet import export_sheet

    found = _to_settle(store, codebook, coders, code)
    reference = {name: {d.segment_id: _shown(d.codes[i], d.memos[i]) for d in found.rows}
                 for i, name in enumerate(found.coders)}
    done = export_sheet(store, codebook, CONSENSUS, path,
                        segment_ids=[d.segment_id for d in found.rows], reference=reference,
                        extra_meta={"adjudication_coders": ",".join(found.coders)})
    return found, done


def import_consensus_sheet(store: Store, codebook: Codebook, path: Path, decided_by: str,
                           ) -> tuple[ImportResult, tuple[str, ...] | None]:
    """Record a filled-in adjudication sheet as the consensus, everything or nothing (the
    checks of ``qualkit sheet import``), with origin ``adjudication:by:NAME``. Also returns
    the coders the sheet was made for, when it says."""
    from qualkit.coding.sheet import SheetError, import_sheet

    origin = by_origin(decided_by)
    try:
        done = import_sheet(store, codebook, CONSENSUS, path, origin=origin)
    except SheetError as err:  # the same problems, without the --partial of `sheet import`
        raise SheetError(path, err.problems, hint="fix them and record the sheet again"
                         ) from None
    named = done.meta.get("adjudication_coders", "")
    coders = tuple(c for c in named.split(",") if c) or None
    return done, coders


@dataclass(frozen=True)
class Pooled:
    """Pooled agreement (every code) of some coders over the segments they all reviewed."""

    coders: tuple[str, ...]
    segments: int
    alpha: float  # Krippendorff's alpha, nominal; NaN when undefined
    percent: float


@dataclass(frozen=True)
class BeforeAfter:
    """The coders' agreement with each other, and each one's with the consensus (None when
    they share no segment the consensus decided)."""

    coders: Pooled
    against_consensus: tuple[tuple[str, Pooled | None], ...]
    agreed_missing: int  # segments the coders agree on that the consensus lacks
    unsettled: int  # disagreements the consensus has not decided


def _pooled(store: Store, codebook: Codebook, coders: Sequence[str]) -> Pooled | None:
    from qualkit.agreement.project import project_agreement

    try:
        found = project_agreement(store, codebook, coders)
    except QualkitError:
        return None
    values = found.pooled.values
    return Pooled(coders=found.coders, segments=found.segments_compared,
                  alpha=values["krippendorff_alpha"], percent=values["percent_agreement"])


def before_after(store: Store, codebook: Codebook, coders: Sequence[str] | None = None,
                 ) -> BeforeAfter:
    """What ``qualkit agree --coders A,B`` and ``--coders A,consensus`` give pooled.

    The coders' agreement does not change by adjudicating (the consensus is a coder of its
    own); "after" is how close each coder is to the settled version, over the segments both
    decided, so the numbers are comparable only once the consensus covers the agreed
    segments too (``--accept-agreed``)."""
    chosen = choose_coders(store, coders)
    together = _pooled(store, codebook, chosen)
    if together is None:
        raise QualkitError(f"no segment was reviewed by all of {', '.join(chosen)}")
    against = tuple((name, _pooled(store, codebook, [name, CONSENSUS])
                     if CONSENSUS in store.coders() else None) for name in chosen)
    compared, codings, _, _ = compared_segments(store, chosen)
    decided = store.codings(CONSENSUS)
    agreed = [len({codings[c][s.id] for c in chosen}) == 1
              for s in compared if s.id not in decided]
    return BeforeAfter(coders=together, against_consensus=against,
                       agreed_missing=sum(agreed), unsettled=len(agreed) - sum(agreed))


def number(value: float) -> str:
    """Three decimals, or an em dash for an undefined coefficient."""
    return "—" if math.isnan(value) else f"{value:.3f}"
