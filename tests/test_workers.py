"""Work over processes (qualkit.workers): results in input order, errors surfaced."""

from __future__ import annotations

import os

import pytest

from qualkit import workers


def _square_and_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def _fail_on_three(n: int) -> int:
    if n == 3:
        raise ValueError("three")
    return n


def test_results_come_in_input_order_from_other_processes() -> None:
    found = list(workers.ordered_map(_square_and_pid, range(40), jobs=2))
    assert [square for square, _ in found] == [n * n for n in range(40)]
    assert os.getpid() not in {pid for _, pid in found}


def test_one_job_runs_in_this_process() -> None:
    found = list(workers.ordered_map(_square_and_pid, range(5), jobs=1))
    assert {pid for _, pid in found} == {os.getpid()}


def test_a_workers_error_reaches_the_caller() -> None:
    with pytest.raises(ValueError, match="three"):
        list(workers.ordered_map(_fail_on_three, range(10), jobs=2))


@pytest.mark.parametrize(("value", "expected"), [("3", 3), ("0", None), ("x", None),
                                                 ("", None)])
def test_qualkit_jobs_is_read_when_it_is_a_positive_number(monkeypatch, value: str,
                                                           expected: int | None) -> None:
    monkeypatch.setenv("QUALKIT_JOBS", value)
    assert workers.configured_jobs() == expected
    if expected is None:
        assert 1 <= workers.default_jobs() <= workers.MAX_JOBS
    else:
        assert workers.default_jobs() == expected
