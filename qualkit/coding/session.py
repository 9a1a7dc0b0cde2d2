"""The coding session behind ``qualkit tag``: queue, decide, undo, resume — no UI in it.

A researcher spends hours here, so two promises shape the design:

* **Nothing acknowledged is ever lost.** Every decision (a code toggled, "none apply", a
  suggestion accepted, a memo, a quote mark, an undo) is written in its own transaction
  before the method returns; the screen only shows a decision after that. A killed process
  loses at most the key press in flight. The resume position is written in the same
  transaction, so reopening shows the segment after the last decision.
* **The log is never edited.** Undo appends the inverse decision (origin ``undo``); undoing
  a first decision appends ``unreview``, which makes the segment missing data again instead
  of a "no".

The session is blind by default: it reads only its own coder's decisions and notes. The
adjudication walk-through (``qualkit adjudicate --walk``) reuses it over the disagreements,
with ``others`` (the coders being settled, and their memos) shown and the decisions
recorded as the consensus coder under the adjudicator's origin.

The whole queue is held in memory (100k segments are a few tens of MB), so moving and
deciding touch the database only for the one write and the current segment's suggestions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from qualkit.codebook.versions import project_code_mapping
from qualkit.coding.retrain import Model, Retrainer
from qualkit.coding.views import CodeLine, Filters, TurnView, View
from qualkit.decisions import diff
from qualkit.errors import NotFoundError, QualkitError, did_you_mean
from qualkit.model import (
    Code,
    Codebook,
    CodingAction,
    CodingEvent,
    NoteKind,
    Segment,
    SegmentNote,
    Suggestion,
    Turn,
    natural_key,
)
from qualkit.store import Store

__all__ = ["CodeLine", "Filters", "TaggingSession", "TurnView", "View", "position_key"]

MANUAL = "manual"
SUGGESTION = "suggestion"
UNDO = "undo"


def position_key(coder: str, origin_prefix: str = "") -> str:
    """The settings key holding where a session stands (a segment id). A walk records as
    the consensus for whoever decides, so each adjudicator keeps their own place: two
    people walking at once would otherwise move each other's resume point."""
    return f"tag.position:{coder}" + (f"@{origin_prefix}" if origin_prefix else "")


@dataclass(frozen=True)
class _Undo:
    kind: str  # "coding", "memo" or "quote"
    segment_id: int
    before: frozenset[str] | str | None  # raw codes (None: unreviewed) or the note value


class TaggingSession:
    """One coder working through a project's segments.

    Methods that decide return a short message for the status line, written after the
    decision is committed; navigation methods only move.
    """

    def __init__(self, store: Store, codebook: Codebook, coder: str, *,
                 filters: Filters | None = None, preselect: bool = False,
                 segment_ids: Sequence[int] | None = None,
                 others: Mapping[str, Mapping[int, frozenset[str]]] | None = None,
                 others_memos: Mapping[str, Mapping[int, str]] | None = None,
                 origin_prefix: str = "", order: Sequence[int] | None = None,
                 retrainer: Retrainer | None = None) -> None:
        """``origin_prefix``, when given, is the origin of every decision made here
        (``manual`` and ``suggestion`` alike) and prefixes undos (``PREFIX:undo``), so the
        adjudication walk records ``adjudication:by:NAME`` exactly as the one-segment
        ``qualkit adjudicate`` does. ``order``: segment ids in the order to walk them
        (others after, in reading order); the session then starts at the first one not
        reviewed rather than where the coder left off. ``retrainer``: retrains the learned
        suggester in the background as decisions arrive (:mod:`qualkit.coding.retrain`),
        its model shown as soon as it is ready."""
        if not coder.strip():
            raise QualkitError("--coder needs a name")
        self.store = store
        self.codebook = codebook
        self.coder = coder
        self.preselect = preselect
        self.others = dict(others or {})
        self.others_memos = dict(others_memos or {})
        self.origin_prefix = origin_prefix
        self._place = position_key(coder, origin_prefix)
        self.codes: tuple[Code, ...] = codebook.codes
        self._mapping = project_code_mapping(store, codebook)
        self.segments = store.segments()
        self._retrainer = retrainer
        self._live: Model | None = None
        if segment_ids is not None:
            wanted = set(segment_ids)
            self.segments = [s for s in self.segments if s.id in wanted]
        if order is not None:
            rank = {seg: i for i, seg in enumerate(order)}
            self.segments.sort(key=lambda s: rank.get(s.id, len(rank)))  # stable
        if not self.segments:
            raise QualkitError("there are no segments to code; import transcripts with "
                               "`qualkit import` first")
        self._by_id = {s.id: i for i, s in enumerate(self.segments)}
        transcripts = store.transcripts()
        self._texts = {t.id: t.text for t in transcripts}
        self._names = {t.id: t.name for t in transcripts}
        self._groups = {t.id: t.attributes.get("group", "") for t in transcripts}
        self._turns: dict[int, list[Turn]] = {}
        self._raw: dict[int, frozenset[str]] = {
            seg: c.codes for seg, c in store.codings(coder).items()}
        self._memos = {seg: v for (_, seg), v in store.notes(NoteKind.MEMO, coder).items()}
        self._quotes = {seg for (_, seg), v in store.notes(NoteKind.QUOTE, coder).items()
                        if v}
        self._suggestion_index: dict[int, frozenset[str]] | None = None
        self._suggestions: tuple[int, list[Suggestion]] | None = None
        self._learned: tuple[int, dict[str, float]] | None = None
        run = store.learned_run(codebook.version, coder)
        self.needs_examples = frozenset(run["abstaining"]) if run else frozenset()
        self._undo: list[_Undo] = []
        self.filters = Filters()
        self.queue: list[int] = list(range(len(self.segments)))
        self._in_queue: set[int] | None = None  # None: every segment
        self._reviewed: int | None = None
        self.cursor = 0
        if filters is not None:
            self.set_filters(filters, keep_place=False)
        if order is not None:
            self.next_unreviewed(from_start=True)
        else:
            self._resume()

    # -- reading -----------------------------------------------------------------------

    @property
    def current(self) -> Segment:
        return self.segments[self.queue[self.cursor]]

    def codes_of(self, segment_id: int) -> frozenset[str] | None:
        """The coder's codes on a segment, renamed codes under their current ids; None when
        not reviewed."""
        raw = self._raw.get(segment_id)
        if raw is None:
            return None
        return frozenset(self._mapping.get(c, c) for c in raw)

    def suggestions(self, segment_id: int) -> list[Suggestion]:
        if self._suggestions is None or self._suggestions[0] != segment_id:
            self._suggestions = (segment_id,
                                 self.store.suggestions(self.codebook.version, segment_id))
        return self._suggestions[1]

    def learned(self, segment_id: int) -> dict[str, float]:
        """This coder's model's probabilities for the codes it suggests here (stored by
        ``qualkit suggest --learn-from``; shown apart from keyword suggestions)."""
        if self._learned is None or self._learned[0] != segment_id:
            if self._live is not None and self._retrainer is not None:
                seg = self.segments[self._by_id[segment_id]]
                found = self._retrainer.suggest(self._live, seg)
            else:
                found = self.store.learned_suggestions(self.codebook.version, self.coder,
                                                       segment_id)
            self._learned = (segment_id, {x.code_id: x.probability for x in found})
        return self._learned[1]

    def poll_model(self) -> str:
        """Take a model retrained in the background, if one is ready; the message says so
        (empty when nothing changed). Called by the screen between key presses."""
        if self._retrainer is None:
            return ""
        model, message = self._retrainer.take()
        if model is not None:
            self._live, self._learned = model, None
            self.needs_examples = frozenset(model.learner.abstaining())
        return message

    def wait_for_model(self, timeout: float | None = None) -> None:
        """Block until a background training ends (tests; the screen never waits)."""
        if self._retrainer is not None:
            self._retrainer.wait(timeout)

    @property
    def retraining(self) -> bool:
        """A training runs in the background now."""
        return self._retrainer is not None and self._retrainer.training

    def reviewed_in_queue(self) -> int:
        """Kept as a running count: counting 100k segments on every key press would cost
        more than the rest of a screen update."""
        if self._reviewed is None:
            self._reviewed = sum(1 for i in self.queue if self.segments[i].id in self._raw)
        return self._reviewed

    def view(self) -> View:
        seg = self.current
        decided = self.codes_of(seg.id)
        found = {s.code_id: s for s in self.suggestions(seg.id)}
        pending = decided is None and self.preselect and bool(found)
        ticked = decided if decided is not None else (
            frozenset(found) if pending else frozenset())
        learned = self.learned(seg.id)
        lines = []
        for number, code in enumerate(self.codes, start=1):
            hit = found.get(code.id)
            who = tuple(name for name, codings in self.others.items()
                        if code.id in codings.get(seg.id, frozenset()))
            lines.append(CodeLine(number=number, code=code, ticked=code.id in ticked,
                                  suggested=hit is not None,
                                  score=hit.score if hit else 0.0,
                                  evidence=hit.evidence if hit else (), others=who,
                                  learned=learned.get(code.id),
                                  needs_examples=code.id in self.needs_examples))
        previous_turn, turn, next_turn = self._context(seg)
        return View(segment=seg, transcript=self._names[seg.transcript_id],
                    group=self._groups.get(seg.transcript_id, ""),
                    position=self.cursor + 1, total=len(self.queue),
                    reviewed=self.reviewed_in_queue(), previous_turn=previous_turn,
                    turn=turn, next_turn=next_turn, codes=tuple(lines),
                    decided=decided is not None, pending=pending,
                    memo=self._memos.get(seg.id, ""), quote=seg.id in self._quotes,
                    others={name: codings.get(seg.id) for name, codings in
                            self.others.items()},
                    others_memos={name: memos[seg.id] for name, memos in
                                  self.others_memos.items() if memos.get(seg.id)})

    def _context(self, seg: Segment) -> tuple[TurnView | None, TurnView, TurnView | None]:
        turns = self._turns.get(seg.transcript_id)
        if turns is None:
            turns = self._turns[seg.transcript_id] = self.store.turns(seg.transcript_id)
        text = self._texts[seg.transcript_id]
        at = next((i for i, t in enumerate(turns) if t.index == seg.turn_index), None)
        if at is None:  # no turn recorded: show the segment alone
            return None, TurnView(seg.speaker, "", seg.text, ""), None
        turn = turns[at]
        current = TurnView(turn.speaker, text[turn.start:seg.start].strip(), seg.text,
                           text[seg.end:turn.end].strip())

        def whole(i: int) -> TurnView | None:
            if 0 <= i < len(turns):
                other = turns[i]
                return TurnView(other.speaker, "", "", text[other.start:other.end].strip())
            return None

        return whole(at - 1), current, whole(at + 1)

    # -- moving ------------------------------------------------------------------------

    def _resume(self) -> None:
        saved = self.store.setting(self._place)
        if saved is not None and saved.isdigit() and self._goto_id(int(saved)):
            return
        self.next_unreviewed(from_start=True)

    def _goto_id(self, segment_id: int) -> bool:
        index = self._by_id.get(segment_id)
        if index is None or (self._in_queue is not None and index not in self._in_queue):
            return False
        self.cursor = self.queue.index(index)
        return True

    def goto(self, segment_id: int) -> None:
        if not self._goto_id(segment_id):
            raise NotFoundError(f"segment {segment_id} is not in this session's segments")

    def next(self) -> bool:
        """Move on one segment; False at the end of the queue."""
        if self.cursor + 1 < len(self.queue):
            self.cursor += 1
            return True
        return False

    def back(self) -> bool:
        if self.cursor > 0:
            self.cursor -= 1
            return True
        return False

    def next_unreviewed(self, from_start: bool = False) -> bool:
        """The next segment this coder has not reviewed (wrapping round); False when every
        segment of the queue is reviewed."""
        n = len(self.queue)
        start = 0 if from_start else self.cursor + 1
        for step in range(n):
            i = (start + step) % n
            if self.segments[self.queue[i]].id not in self._raw:
                self.cursor = i
                return True
        return False

    def set_filters(self, filters: Filters, keep_place: bool = True) -> int:
        """Walk only the segments the filters select; returns how many. Unknown names are
        refused with a "did you mean"."""
        indices = list(range(len(self.segments)))
        if filters.transcript:
            names = sorted(set(self._names_of_segments()), key=natural_key)
            if filters.transcript not in names:
                raise NotFoundError(f"no transcript `{filters.transcript}`"
                                    f"{did_you_mean(filters.transcript, names)}")
            indices = [i for i in indices
                       if self._names[self.segments[i].transcript_id] == filters.transcript]
        if filters.code or filters.suggested_only:
            index = self._suggestion_index_cached()
            if filters.code:
                code = self.find_code(filters.code)
                if code is None:
                    raise NotFoundError(f"no code `{filters.code}`"
                                        f"{did_you_mean(filters.code, [c.id for c in self.codes])}")
                filters = Filters(filters.transcript, code.id, filters.suggested_only)
                indices = [i for i in indices
                           if code.id in index.get(self.segments[i].id, frozenset())
                           or code.id in (self.codes_of(self.segments[i].id) or ())]
            if filters.suggested_only:
                indices = [i for i in indices if self.segments[i].id in index]
        if not indices:
            raise NotFoundError(f"no segment matches the filter ({filters.describe()})")
        here = self.segments[self.queue[self.cursor]].id if keep_place else None
        self.filters = filters
        self.queue = indices
        self._in_queue = None if len(indices) == len(self.segments) else set(indices)
        self._reviewed = None
        self.cursor = 0
        if here is None or not self._goto_id(here):
            self.cursor = 0
        return len(indices)

    def _names_of_segments(self) -> list[str]:
        return [self._names[tid] for tid in {s.transcript_id for s in self.segments}]

    def _suggestion_index_cached(self) -> dict[int, frozenset[str]]:
        if self._suggestion_index is None:
            self._suggestion_index = self.store.suggestion_index(self.codebook.version)
        return self._suggestion_index

    def find_code(self, query: str) -> Code | None:
        """A code by its number, id, or part of its name (fuzzy, for typos)."""
        text = query.strip()
        if not text:
            return None
        if text.isdigit():
            n = int(text)
            return self.codes[n - 1] if 1 <= n <= len(self.codes) else None
        lowered = text.lower()
        for code in self.codes:
            if lowered in (code.id.lower(), code.name.lower()):
                return code
        starts = [c for c in self.codes if c.name.lower().startswith(lowered)
                  or c.id.startswith(lowered)]
        if len(starts) == 1:
            return starts[0]
        inside = [c for c in self.codes if lowered in c.name.lower() or lowered in c.id]
        if len(inside) == 1:
            return inside[0]
        from rapidfuzz import fuzz, process

        choices = {i: f"{c.name} {c.id.replace('_', ' ')}" for i, c in enumerate(self.codes)}
        best = process.extractOne(lowered, choices, scorer=fuzz.WRatio, score_cutoff=60,
                                  processor=str.lower)
        return self.codes[best[2]] if best else None

    # -- deciding ----------------------------------------------------------------------

    def _origin(self, kind: str) -> str:
        if not self.origin_prefix:
            return kind
        # A suggestion ticked by the adjudicator is still the adjudicator's decision.
        return (self.origin_prefix if kind in (MANUAL, SUGGESTION)
                else f"{self.origin_prefix}:{kind}")

    def _write_coding(self, segment_id: int, target: frozenset[str] | None,
                      suggested: frozenset[str] = frozenset(), origin: str = MANUAL,
                      then: int | None = None, record_undo: bool = True) -> int:
        """Bring the segment to ``target`` (None: not reviewed) in one transaction; codes in
        ``suggested`` that get applied are recorded as accepted suggestions."""
        before = self._raw.get(segment_id)
        at = datetime.now(UTC)
        if target is None:
            changes: list[tuple[int, CodingAction, str | None]] = (
                [] if before is None else [(segment_id, CodingAction.UNREVIEW, None)])
        else:
            current = {segment_id: before} if before is not None else {}
            changes = diff(current, {segment_id: target})
        events = []
        for seg, action, code in changes:
            how = origin
            if origin == MANUAL and action is CodingAction.APPLY and code in suggested:
                how = SUGGESTION
            events.append(CodingEvent(segment_id=seg, coder=self.coder, action=action,
                                      code_id=code, codebook_version=self.codebook.version,
                                      origin=self._origin(how), at=at))
        where = then if then is not None else segment_id
        with self.store.transaction() as conn:
            self.store.ensure_coder(conn, self.coder)
            self.store.append_events(conn, events)
            self.store.set_setting(self._place, str(where), conn)
        if events:
            if record_undo:
                self._undo.append(_Undo("coding", segment_id, before))
            index = self._by_id[segment_id]
            if self._reviewed is not None and (self._in_queue is None
                                               or index in self._in_queue):
                self._reviewed += (target is not None) - (before is not None)
            if target is None:
                self._raw.pop(segment_id, None)
            else:
                self._raw[segment_id] = target
            if self._retrainer is not None:
                self._retrainer.decided(len(self._raw), self._decisions_now)
        return len(events)

    def _decisions_now(self) -> dict[int, frozenset[str]]:
        """The coder's decisions under the codebook's current code ids (a snapshot for
        a background training)."""
        return {seg: self.codes_of(seg) or frozenset() for seg in self._raw}

    def _next_id(self) -> int | None:
        if self.cursor + 1 < len(self.queue):
            return self.segments[self.queue[self.cursor + 1]].id
        return None

    def _ticked(self) -> frozenset[str]:
        """What is ticked on screen now (preselected suggestions included)."""
        seg = self.current
        decided = self.codes_of(seg.id)
        if decided is not None:
            return decided
        if self.preselect:
            return frozenset(s.code_id for s in self.suggestions(seg.id))
        return frozenset()

    def toggle(self, query: str) -> str:
        """Tick or untick one code (by number, id or part of its name); saved at once."""
        code = self.find_code(query)
        if code is None:
            hint = did_you_mean(query, [c.name for c in self.codes])
            return f"No code matches “{query}”{hint}"
        seg = self.current
        ticked = self._ticked()
        target = ticked - {code.id} if code.id in ticked else ticked | {code.id}
        suggested = frozenset(s.code_id for s in self.suggestions(seg.id))
        self._write_coding(seg.id, target, suggested=suggested)
        verb = "Applied" if code.id in target else "Removed"
        return f"{verb} {self.codes.index(code) + 1} {code.name} (saved)"

    def add_code(self, name: str) -> str:
        """Add an inductive code to the codebook (a new version, as ``codings import
        --new-codes`` does) and apply it to the current segment, in one transaction."""
        from qualkit.codebook.versions import add_inductive_codes

        name = " ".join(name.split())
        if not name:
            return "A new code needs a name"
        known = next((c for c in self.codes if c.name.casefold() == name.casefold()
                      or c.id == name), None)
        if known is not None:
            return f"{known.name} is code {self.codes.index(known) + 1}; tick it with its number"
        seg = self.current
        before = self._raw.get(seg.id)
        with self.store.transaction() as conn:
            book, made = add_inductive_codes(self.store, conn, self.codebook, [name],
                                             self.coder, "qualkit tag")
        self.codebook = book
        self.codes = book.codes
        code = book.code(made[name])
        target = (before or frozenset()) | {code.id}
        self._write_coding(seg.id, target)
        return (f"Added inductive code {self.codes.index(code) + 1} {code.name} and applied "
                "it (saved)")

    def accept(self) -> str:
        """Apply every suggested code (on top of what is ticked) and move on."""
        seg = self.current
        suggested = frozenset(s.code_id for s in self.suggestions(seg.id))
        if not suggested:
            return "No suggestions for this segment; toggle codes or press n for none"
        target = self._ticked() | suggested
        self._write_coding(seg.id, target, suggested=suggested, then=self._next_id())
        self.next()
        return f"Accepted {len(suggested)} suggestion(s) on segment {seg.id} (saved)"

    def none_apply(self) -> str:
        """Record "reviewed, none apply" and move on."""
        seg = self.current
        self._write_coding(seg.id, frozenset(), then=self._next_id())
        self.next()
        return f"Segment {seg.id}: none apply (saved)"

    def adopt(self, query: str) -> str:
        """Take one shown coder's codes (by number, 1 = first, or name) as this segment's
        decision and move on: in the adjudication walk, most disagreements are settled by
        siding with one coder."""
        names = list(self.others)
        if not names:
            return "No other coders' codes are shown in this session"
        text = query.strip()
        name = (names[int(text) - 1] if text.isdigit() and 1 <= int(text) <= len(names)
                else text if text in names else None)
        if name is None:
            return f"No coder “{text}”; choose " + ", ".join(
                f"{i} {n}" for i, n in enumerate(names, start=1))
        seg = self.current
        theirs = self.others[name].get(seg.id)
        if theirs is None:
            return f"{name} has not reviewed segment {seg.id}"
        self._write_coding(seg.id, frozenset(self._mapping.get(c, c) for c in theirs),
                           then=self._next_id())
        self.next()
        shown = ", ".join(sorted(theirs)) or "none apply"
        return f"Segment {seg.id}: {name}'s codes ({shown}) (saved)"

    def confirm(self) -> str:
        """Enter: keep what is shown and move on. Preselected suggestions become a decision
        here; an untouched segment stays unreviewed (press n for "none apply")."""
        seg = self.current
        message = ""
        if seg.id not in self._raw:
            ticked = self._ticked()
            if ticked:
                suggested = frozenset(s.code_id for s in self.suggestions(seg.id))
                self._write_coding(seg.id, ticked, suggested=suggested, then=self._next_id())
                message = f"Segment {seg.id}: {len(ticked)} code(s) (saved)"
            else:
                message = f"Segment {seg.id} left unreviewed (n: none apply)"
        if not self.next():
            return message or "Last segment; j jumps to the next unreviewed one"
        return message

    def set_memo(self, text: str) -> str:
        seg = self.current
        value = text.strip()
        before = self._memos.get(seg.id, "")
        if value == before:
            return "Memo unchanged"
        self._write_note(NoteKind.MEMO, seg.id, value)
        self._undo.append(_Undo("memo", seg.id, before))
        return "Memo saved" if value else "Memo cleared"

    def toggle_quote(self) -> str:
        seg = self.current
        before = seg.id in self._quotes
        self._write_note(NoteKind.QUOTE, seg.id, "" if before else "1")
        self._undo.append(_Undo("quote", seg.id, "1" if before else ""))
        return ("Unmarked as illustrative quote" if before
                else "Marked as illustrative quote (saved)")

    def _write_note(self, kind: NoteKind, segment_id: int, value: str) -> None:
        note = SegmentNote(segment_id=segment_id, coder=self.coder, kind=kind, value=value,
                           at=datetime.now(UTC))
        with self.store.transaction() as conn:
            self.store.add_notes(conn, [note])
            self.store.set_setting(self._place, str(segment_id), conn)
        if kind is NoteKind.MEMO:
            if value:
                self._memos[segment_id] = value
            else:
                self._memos.pop(segment_id, None)
        elif value:
            self._quotes.add(segment_id)
        else:
            self._quotes.discard(segment_id)

    def undo(self) -> str:
        """Reverse this session's last decision by appending its inverse; shows its segment."""
        if not self._undo:
            return "Nothing to undo in this session"
        last = self._undo.pop()
        self._goto_id(last.segment_id)
        if last.kind == "coding":
            before = last.before if isinstance(last.before, frozenset) else None
            self._write_coding(last.segment_id, before, origin=UNDO, record_undo=False)
            state = ("unreviewed" if before is None
                     else ", ".join(sorted(before)) or "none apply")
            return f"Undone: segment {last.segment_id} is {state} again (saved)"
        value = last.before if isinstance(last.before, str) else ""
        kind = NoteKind.MEMO if last.kind == "memo" else NoteKind.QUOTE
        self._write_note(kind, last.segment_id, value)
        return f"Undone: the {last.kind} on segment {last.segment_id} (saved)"

    def close(self) -> None:
        """Remember where the coder stands, for the next session."""
        if self._retrainer is not None:
            self._retrainer.close()
        with self.store.transaction() as conn:
            self.store.set_setting(self._place, str(self.current.id), conn)
