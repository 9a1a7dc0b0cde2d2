"""Eight coders at once on one PostgreSQL server, each as their own database role (issue 24).

Each coder is a separate process (scripted_coder.py --raw: one decision per transaction,
acknowledged after its commit) connected over loopback with the line `qualkit team
add-coder` printed. Every decision must be stored exactly once; a coder killed mid-session
loses at most the decision in flight; the server keeps each coder's decisions from the
others. Figures go to QUALKIT_RELIABILITY_LOG.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from qualkit.store import schema as t
from qualkit.store.backend import server_url
from tests.reliability.conftest import QUALKIT, SCRIPTED_CODER, copy_project, record

CODERS = 8
DECISIONS = 1000
TIMEOUT = 600  # seconds: bounded, whatever the machine's load
pytestmark = pytest.mark.reliability


def _qualkit(*args: str, cwd: Path, url: str) -> str:
    done = subprocess.run([QUALKIT, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=TIMEOUT, env={**os.environ, "QUALKIT_DATABASE_URL": url})
    assert done.returncode == 0, done.stderr
    return done.stdout


def _coder(project: Path, name: str, url: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, SCRIPTED_CODER, str(project), name, str(count),
                             "--raw"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "QUALKIT_DATABASE_URL": url})


@pytest.fixture(scope="module")
def server_team(sample_files: Path, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[tuple[Path, dict[str, str]]]:
    """The sample study imported into a scratch database, with coders c1..c8 (the load),
    k9 (to be killed) and r1, r2 (to read), each with the URL add-coder printed."""
    from tests import postgres

    reason = postgres.missing()
    if reason:
        pytest.skip(reason)
    with postgres.scratch_database() as owner:
        project = tmp_path_factory.mktemp("team") / "study"
        copy_project(sample_files, project)
        shutil.rmtree(project / "codings")  # only the load's coders code
        _qualkit("run", "-q", cwd=project, url=owner)
        urls = {"owner": owner}
        for name in [*(f"c{n}" for n in range(1, CODERS + 1)), "k9", "r1", "r2"]:
            out = _qualkit("team", "add-coder", name, cwd=project, url=owner)
            found = re.search(r"export QUALKIT_DATABASE_URL='([^']+)'", out)
            assert found, out
            urls[name] = found.group(1)
        yield project, urls


def _counts(url: str) -> dict[str, tuple[int, int]]:
    """(decisions, distinct segments) per coder, as the owner sees them."""
    engine = create_engine(server_url(url))
    e = t.coding_events.c
    with engine.connect() as conn:
        rows = conn.execute(select(e.coder, func.count(), func.count(e.segment_id.distinct()))
                            .group_by(e.coder)).all()
    engine.dispose()
    return {coder: (int(n), int(segments)) for coder, n, segments in rows}


def test_eight_coders_at_once_keep_every_decision_once(server_team) -> None:
    project, urls = server_team
    start = time.perf_counter()
    coders = {f"c{n}": _coder(project, f"c{n}", urls[f"c{n}"], DECISIONS)
              for n in range(1, CODERS + 1)}
    outputs = {}
    for name, process in coders.items():
        out, err = process.communicate(timeout=TIMEOUT)
        assert process.returncode == 0, err
        outputs[name] = out
    elapsed = time.perf_counter() - start
    counts = _counts(urls["owner"])
    for name, out in outputs.items():
        assert out.count("ack ") == DECISIONS, name
        assert counts[name] == (DECISIONS, DECISIONS), name  # none lost, none doubled
    total = sum(counts[name][0] for name in outputs)
    assert total == CODERS * DECISIONS
    record(f"team load: {CODERS} coder processes x {DECISIONS} decisions = {total} stored "
           f"exactly once in {elapsed:.1f} s ({total / elapsed:.0f} decisions/s over loopback)")


def test_a_killed_coder_loses_at_most_the_decision_in_flight(server_team) -> None:
    project, urls = server_team
    process = _coder(project, "k9", urls["k9"], DECISIONS)
    assert process.stdout is not None
    acked = 0
    deadline = time.monotonic() + TIMEOUT
    while acked < 200 and time.monotonic() < deadline:
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else ""
        acked += line.startswith("ack ")
    process.send_signal(signal.SIGKILL)
    rest, _ = process.communicate(timeout=60)
    acked += rest.count("ack ")  # acknowledged before the kill, still in the pipe
    stored, segments = _counts(urls["owner"])["k9"]
    assert stored == segments  # nothing doubled
    assert acked <= stored <= acked + 1, (acked, stored)
    record(f"team kill: coder killed after {acked} acknowledged decisions; {stored} stored "
           f"(at most the one in flight more)")


def test_a_coder_cannot_read_the_others_under_load(server_team) -> None:
    project, urls = server_team
    for name in ("r1", "r2"):
        process = _coder(project, name, urls[name], 50)
        assert process.communicate(timeout=TIMEOUT)[0].count("ack ") == 50
    assert _counts(urls["r1"]) == {"r1": (50, 50)}
    assert _counts(urls["r2"]) == {"r2": (50, 50)}
    assert {"r1", "r2"} <= set(_counts(urls["owner"]))
