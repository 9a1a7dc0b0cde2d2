"""Decisions survive a SIGKILL, and two coders can code the same project at once.

Both run the real terminal UI headless in separate processes (``tests/tag_worker.py``).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from qualkit.store import open_store

WORKER = Path(__file__).with_name("tag_worker.py")


@pytest.fixture
def ready(cli, project: Path) -> Path:
    assert cli("run", "-p", str(project), "-q").exit_code == 0
    return project


def worker(project: Path, coder: str, presses: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    return subprocess.Popen([sys.executable, str(WORKER), str(project), coder, str(presses)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_mid_session_loses_nothing_acknowledged(ready: Path) -> None:
    proc = worker(ready, "cara", 100_000)
    acked: dict[str, list[str]] = {}
    assert proc.stdout is not None
    for n, line in enumerate(proc.stdout, start=1):
        assert not line.startswith("ERROR"), line
        acked = json.loads(line)
        if n == 40:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    stored = {str(k): sorted(c.codes) for k, c in
              open_store(ready / "qualkit.db").codings("cara").items()}
    # Every acknowledged decision is stored; at most the one in flight is beyond them.
    assert stored.keys() == acked.keys()
    differs = {s for s in acked if set(acked[s]) != set(stored[s])}
    assert len(differs) <= 1
    for s in differs:
        assert len(set(acked[s]) ^ set(stored[s])) == 1
    with sqlite3.connect(ready / "qualkit.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_two_coders_at_once_lose_nothing_and_never_see_a_lock(ready: Path) -> None:
    presses = 80
    procs = {coder: worker(ready, coder, presses) for coder in ("ana", "ben")}
    for proc in procs.values():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "locked" not in out + err and "ERROR" not in out
        assert out.splitlines()[-1] == "DONE"
    store = open_store(ready / "qualkit.db")
    for coder in procs:
        assert len(store.events(coder)) == presses  # every press was one decision
