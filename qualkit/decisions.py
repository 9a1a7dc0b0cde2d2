"""Current coding state, derived from the append-only event log.

The log is the record a reviewer can audit; the state is a fold over it. Keeping the fold
in one pure function means the store, the report and the agreement statistics all agree on
what "reviewed" means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from qualkit.model import Coding, CodingAction, CodingEvent


def fold(events: Iterable[CodingEvent]) -> dict[tuple[str, int], Coding]:
    """Replay events in log order into the current :class:`Coding` per (coder, segment).

    - ``apply`` adds a code; ``remove`` takes it away (the segment stays reviewed: the coder
      looked at it and decided); ``reviewed_none`` clears every code and records the "no".
    - ``unreview`` withdraws the pair's decisions: it is "not reviewed" again (an undo).
    - A (coder, segment) pair with no event is absent from the result: not reviewed.
    """
    state: dict[tuple[str, int], set[str]] = {}
    for event in events:
        key = (event.coder, event.segment_id)
        if event.action is CodingAction.UNREVIEW:
            state.pop(key, None)
            continue
        codes = state.setdefault(key, set())
        if event.action is CodingAction.APPLY and event.code_id is not None:
            codes.add(event.code_id)
        elif event.action is CodingAction.REMOVE and event.code_id is not None:
            codes.discard(event.code_id)
        elif event.action is CodingAction.REVIEWED_NONE:
            codes.clear()
    return {
        key: Coding(segment_id=key[1], coder=key[0], codes=frozenset(codes))
        for key, codes in state.items()
    }


def diff(
    current: Mapping[int, frozenset[str]], wanted: Mapping[int, frozenset[str]]
) -> list[tuple[int, CodingAction, str | None]]:
    """The fewest events that take one coder from ``current`` to ``wanted``.

    Both map segment ids to applied codes; a segment missing from ``current`` is unreviewed.
    Used when a coder's file is (re)imported, so that importing the same file twice appends
    nothing and a changed file appends only what changed.
    """
    changes: list[tuple[int, CodingAction, str | None]] = []
    for segment_id in sorted(wanted):
        target = wanted[segment_id]
        have = current.get(segment_id)
        if have == target:
            continue
        if not target:
            changes.append((segment_id, CodingAction.REVIEWED_NONE, None))
            continue
        for code_id in sorted((have or frozenset()) - target):
            changes.append((segment_id, CodingAction.REMOVE, code_id))
        for code_id in sorted(target - (have or frozenset())):
            changes.append((segment_id, CodingAction.APPLY, code_id))
    return changes
