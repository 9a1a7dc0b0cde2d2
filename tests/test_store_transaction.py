"""A store transaction is one unit of work that its own reads and nested steps join."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualkit.project import init

pytestmark = pytest.mark.usefixtures("store_backend")  # SQLite, then PostgreSQL


def test_reads_and_nested_transactions_join_the_open_one(tmp_path: Path) -> None:
    project, _ = init(tmp_path / "study")
    with project.open_store() as store:
        with store.transaction() as conn:
            store.set_setting("a", "1", conn)
            assert store.setting("a") == "1"  # a read inside sees the write, unblocked
            with store.transaction() as inner:
                assert inner is conn
                store.set_setting("b", "2", inner)
        assert (store.setting("a"), store.setting("b")) == ("1", "2")


def test_a_failure_rolls_back_nested_steps_too(tmp_path: Path) -> None:
    project, _ = init(tmp_path / "study")
    with project.open_store() as store:
        with pytest.raises(RuntimeError), store.transaction() as conn:
            store.set_setting("a", "1", conn)
            with store.transaction() as inner:
                store.set_setting("b", "2", inner)
            raise RuntimeError("stop")
        assert store.setting("a") is None and store.setting("b") is None
        with store.transaction() as conn:  # the store is usable afterwards
            store.set_setting("c", "3", conn)
        assert store.setting("c") == "3"
