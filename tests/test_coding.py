"""The event log and the state derived from it (issue 2: apply, remove, re-apply, none)."""

from __future__ import annotations

from datetime import UTC, datetime

from qualkit.decisions import diff, fold
from qualkit.model import CodingAction, CodingEvent

A, R, N = CodingAction.APPLY, CodingAction.REMOVE, CodingAction.REVIEWED_NONE


def ev(segment: int, action: CodingAction, code: str | None = None, coder: str = "ana"
       ) -> CodingEvent:
    return CodingEvent(segment_id=segment, coder=coder, action=action, code_id=code,
                       codebook_version="v1", origin="test", at=datetime.now(UTC))


def test_apply_remove_reapply() -> None:
    state = fold([ev(1, A, "x"), ev(1, A, "y"), ev(1, R, "x"), ev(1, A, "x"), ev(1, R, "y")])
    assert state[("ana", 1)].codes == frozenset({"x"})


def test_removing_the_last_code_leaves_the_segment_reviewed_with_none() -> None:
    state = fold([ev(1, A, "x"), ev(1, R, "x")])
    assert ("ana", 1) in state
    assert state[("ana", 1)].codes == frozenset()


def test_reviewed_none_clears_codes_and_differs_from_unreviewed() -> None:
    state = fold([ev(1, A, "x"), ev(1, N), ev(3, N)])
    assert state[("ana", 1)].codes == frozenset()
    assert state[("ana", 3)].codes == frozenset()
    assert ("ana", 2) not in state  # never looked at: missing, not "no"


def test_apply_after_reviewed_none() -> None:
    state = fold([ev(1, N), ev(1, A, "x")])
    assert state[("ana", 1)].codes == frozenset({"x"})


def test_coders_are_kept_apart() -> None:
    state = fold([ev(1, A, "x", coder="ana"), ev(1, N, coder="ben")])
    assert state[("ana", 1)].codes == frozenset({"x"})
    assert state[("ben", 1)].codes == frozenset()


def test_diff_is_empty_when_nothing_changed() -> None:
    have = {1: frozenset({"x"}), 2: frozenset()}
    assert diff(have, dict(have)) == []


def test_diff_brings_state_to_target() -> None:
    current = {1: frozenset({"x", "y"}), 2: frozenset({"x"})}
    wanted = {1: frozenset({"y", "z"}), 2: frozenset(), 3: frozenset({"x"}), 4: frozenset()}
    changes = diff(current, wanted)
    assert changes == [(1, R, "x"), (1, A, "z"), (2, N, None), (3, A, "x"), (4, N, None)]
    replayed = fold([ev(s, A, c) for s, codes in current.items() for c in codes]
                    + [ev(s, a, c) for s, a, c in changes])
    assert {k[1]: v.codes for k, v in replayed.items()} == wanted


def test_unreview_returns_the_segment_to_missing() -> None:
    state = fold([ev(1, A, "x"), ev(1, CodingAction.UNREVIEW), ev(2, N),
                  ev(2, CodingAction.UNREVIEW), ev(2, A, "y")])
    assert ("ana", 1) not in state  # undone: missing data again, not a "no"
    assert state[("ana", 2)].codes == frozenset({"y"})
