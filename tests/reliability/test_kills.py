"""SIGKILL at random moments (issue 10): the project opens afterwards, the database passes
`PRAGMA integrity_check`, no acknowledged decision is lost, a half-done step leaves no half
of anything, and an interrupted export never replaces a good earlier file.

Each command runs as its own process and is killed after a random delay drawn across its
normal running time (seeded, so a failure can be replayed with the same seed).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from qualkit.model import CONSENSUS
from qualkit.store.db import open_store
from tests.reliability.conftest import (
    KILLS,
    QUALKIT,
    SCRIPTED_CODER,
    copy_project,
    integrity,
    record,
    run,
)

pytestmark = pytest.mark.reliability


# Reports carry their date; fixing it makes two reports of the same data byte-identical.
ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}


def kill_later(command: list[str], cwd: Path, delay: float,
               env: dict[str, str] | None = None) -> tuple[bool, str]:
    """Run ``command``; SIGKILL it after ``delay`` seconds unless it ended. (killed, out)
    Reading its output to the end also waits for any process it left holding it."""
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env or ENV)
    try:
        out, _ = proc.communicate(timeout=delay)
        return False, out
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{command[1:]}: a process outlived the kill, holding its output")
        return True, out


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=env or ENV)
    return time.perf_counter() - start


def kill_loop(name: str, base: Path, tmp: Path, command: list[str],
              check: Callable[[Path, str, int], None],
              env: dict[str, str] | None = None) -> int:
    """Kill ``command`` on fresh copies of ``base`` until KILLS kills have landed before
    the command ended on its own (runs that ended first are checked too); returns the
    number of attempts. ``check`` gets the project, what the command printed, and the
    attempt number (costly checks, such as finishing the job, run on every fifth)."""
    duration = timed(command, copy_project(base, tmp / f"{name}-timing"), env)
    rng = random.Random(f"{name}-{KILLS}")
    landed = attempt = 0
    while landed < KILLS and attempt < 3 * KILLS:
        project = copy_project(base, tmp / f"{name}-{attempt}")
        killed, out = kill_later(command, project, rng.uniform(0.05, 0.9 * duration), env)
        landed += killed
        if (project / "qualkit.db").exists():
            assert integrity(project / "qualkit.db") == "ok", (name, attempt)
        check(project, out, attempt)
        attempt += 1
    assert landed == KILLS, f"only {landed} of {attempt} runs were killed before they ended"
    record(f"kills {name}: {landed} kills landed in {attempt} runs; all checks passed")
    return attempt


def segments_per_transcript(project: Path) -> dict[str, int]:
    with open_store(project / "qualkit.db") as store:
        counts = store.transcript_counts()
    return {name: row[1] for name, row in counts.items()}


def test_kill_import(sample_files: Path, tmp_path: Path) -> None:
    reference = copy_project(sample_files, tmp_path / "reference")
    run("import", "-q", cwd=reference)
    complete = segments_per_transcript(reference)

    def check(project: Path, _out: str, attempt: int) -> None:
        if not (project / "qualkit.db").exists():
            return  # killed before the database was created
        partial = segments_per_transcript(project)
        # every transcript is there in full or not at all
        assert all(complete[name] == n for name, n in partial.items()), partial
        if attempt % 5 == 0:
            run("import", "-q", cwd=project)  # and the next import finishes the job
            assert segments_per_transcript(project) == complete

    kill_loop("import", sample_files, tmp_path, [QUALKIT, "import", "-q"], check)


def test_kill_suggest(sample_files: Path, tmp_path: Path) -> None:
    base = copy_project(sample_files, tmp_path / "imported")
    run("import", "-q", cwd=base)
    reference = copy_project(base, tmp_path / "reference")
    run("suggest", "-q", cwd=reference)
    expected = run("suggest", "--json", "-q", cwd=reference, check=False)

    def check(project: Path, _out: str, attempt: int) -> None:
        if attempt % 5:
            return  # the database was checked; finishing the job is the costly part
        run("suggest", "-q", cwd=project)
        again = run("suggest", "--json", "-q", cwd=project, check=False)
        assert again.stdout == expected.stdout

    kill_loop("suggest", base, tmp_path, [QUALKIT, "suggest", "-q"], check)


def _alive_in(project: Path) -> list[int]:
    """Processes whose working folder is the project (a worker outliving its parent)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and Path(os.readlink(proc / "cwd")) == project:
                found.append(int(proc.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_suggest_with_worker_processes(sample_files: Path, tmp_path: Path) -> None:
    """Killing ``qualkit suggest`` outright also ends its workers, and the next run
    finishes the job with the same suggestions as a run never killed."""
    env = {**ENV, "QUALKIT_JOBS": "2"}
    base = copy_project(sample_files, tmp_path / "imported")
    for copy in range(1, 4):  # a study four times the sample's size keeps workers busy
        for path in sorted((base / "transcripts").glob("FG*.txt")):  # for a while
            (path.parent / f"{path.stem}-{copy}{path.suffix}").write_bytes(path.read_bytes())
    run("import", "-q", cwd=base)
    reference = copy_project(base, tmp_path / "reference")
    run("suggest", "-q", cwd=reference)
    expected = run("suggest", "--json", "-q", cwd=reference, check=False)

    def check(project: Path, _out: str, attempt: int) -> None:
        assert _alive_in(project.resolve()) == []  # kill_later read the output to its end
        if attempt % 5:
            return
        done = subprocess.run([QUALKIT, "suggest", "-q"], cwd=project, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        again = run("suggest", "--json", "-q", cwd=project, check=False)
        assert again.stdout == expected.stdout

    kill_loop("suggest-workers", base, tmp_path, [QUALKIT, "suggest", "-q"], check, env)


def test_kill_codings_import(sample_files: Path, tmp_path: Path) -> None:
    base = copy_project(sample_files, tmp_path / "imported")
    run("import", "-q", cwd=base)
    reference = copy_project(base, tmp_path / "reference")
    run("codings", "import", "codings/ana.csv", "-q", cwd=reference)
    with open_store(reference / "qualkit.db") as store:
        complete = store.codings("ana")

    def check(project: Path, _out: str, _attempt: int) -> None:
        with open_store(project / "qualkit.db") as store:
            state = store.codings("ana")
        assert state in ({}, complete)  # all of the file or none of it

    kill_loop("codings", base, tmp_path,
                       [QUALKIT, "codings", "import", "codings/ana.csv", "-q"], check)


def content(path: Path) -> object:
    """A file's content; for a zip (xlsx, docx), its members but not the zip's own clock
    (member times and the document's creation time differ between two writes)."""
    if path.suffix not in (".xlsx", ".docx"):
        return path.read_bytes()
    with zipfile.ZipFile(path) as archive:  # a half-written zip fails here
        return {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}


def exports_of(project: Path) -> dict[str, object]:
    return {p.name: content(p) for p in (project / "exports").iterdir()
            if not p.name.startswith(".")}


def test_kill_report_keeps_the_good_export(sample_study: Path, tmp_path: Path) -> None:
    subprocess.run([QUALKIT, "report", "-q"], cwd=sample_study, check=True, env=ENV)
    good = exports_of(sample_study)
    assert good

    def check(project: Path, _out: str, _attempt: int) -> None:
        # the same data gives the same content: the old file or the new, never half
        assert exports_of(project) == good

    kill_loop("report", sample_study, tmp_path, [QUALKIT, "report", "-q"], check)


def _acked(out: str) -> dict[int, set[str]]:
    acks: dict[int, set[str]] = {}
    for line in out.splitlines():
        _, segment, codes = line.split(" ")
        acks[int(segment)] = set(codes.split(",")) if codes else set()
    return acks


def test_kill_scripted_coding_session(sample_study: Path, tmp_path: Path) -> None:
    checked = []

    def check(project: Path, out: str, _attempt: int) -> None:
        acks = _acked(out)
        with open_store(project / "qualkit.db") as store:
            state = store.codings("carol")
        for segment, codes in acks.items():
            assert codes <= state[segment].codes, segment
        checked.append(len(acks))

    command = [sys.executable, SCRIPTED_CODER, ".", "carol", "300"]
    kill_loop("session", sample_study, tmp_path, command, check)
    assert sum(checked) > 0  # some decisions were acknowledged before a kill
    record(f"kills session: {sum(checked)} acknowledged decisions checked after kills")


def test_kill_adjudication(sample_study: Path, tmp_path: Path) -> None:
    checked = []

    def check(project: Path, out: str, _attempt: int) -> None:
        acks = _acked(out)
        with open_store(project / "qualkit.db") as store:
            state = store.codings(CONSENSUS)
        for segment, codes in acks.items():
            assert state[segment].codes == frozenset(codes), segment
        checked.append(len(acks))

    command = [sys.executable, SCRIPTED_CODER, ".", "Dr Lee", "60", "--adjudicate"]
    kill_loop("adjudicate", sample_study, tmp_path, command, check)
    assert sum(checked) > 0
    record(f"kills adjudicate: {sum(checked)} acknowledged settlements checked after kills")
