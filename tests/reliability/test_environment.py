"""A hostile machine (issue 10): a full disk, a read-only folder, four coders at once, and
backups on demand. Each case ends with a clear one-line error (exit 2) or success, and a
database that passes `PRAGMA integrity_check`."""

from __future__ import annotations

import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from qualkit.store.db import open_store
from tests.reliability.conftest import (
    QUALKIT,
    SCRIPTED_CODER,
    copy_project,
    integrity,
    needs_unshare,
    record,
    run,
)

pytestmark = pytest.mark.reliability


def in_namespace(script: str) -> subprocess.CompletedProcess[str]:
    """Run a shell script in a private mount namespace (its mounts vanish with it)."""
    return subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True,
                          text=True, timeout=600)


def _tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@needs_unshare
def test_full_disk_leaves_the_good_export_and_the_database(sample_study: Path,
                                                          tmp_path: Path) -> None:
    project = copy_project(sample_study, tmp_path / "study")
    good = {p.name: p.read_bytes() for p in (project / "exports").iterdir()}
    mount = tmp_path / "disk"
    mount.mkdir()
    size_kb = _tree_bytes(project) // 1024 + 2048
    q = shlex.quote
    done = in_namespace(f"""
        set -u
        mount -t tmpfs -o size={size_kb}k tmpfs {q(str(mount))}
        cp -r {q(str(project))} {q(str(mount))}/study && cd {q(str(mount))}/study
        # leave about 120 kB: enough to open the database, not to write a report
        free=$(df -k --output=avail . | tail -1)
        dd if=/dev/zero of=filler bs=1k count=$((free - 120)) 2>/dev/null
        {q(QUALKIT)} report; echo "report exit $?"
        {q(QUALKIT)} adjudicate --accept-agreed; echo "adjudicate exit $?"
        dd if=/dev/zero of=more bs=1k count=1000 2>/dev/null  # now nothing at all is free
        {q(QUALKIT)} status; echo "status exit $?"
        rm filler more
        cp -r exports {q(str(tmp_path))}/after-exports
        cp qualkit.db {q(str(tmp_path))}/after.db
        {q(QUALKIT)} adjudicate --accept-agreed -q; echo "after exit $?"
    """)
    out = done.stdout.splitlines()
    assert "report exit 2" in out, done.stderr
    assert "adjudicate exit 2" in out, done.stderr
    assert "status exit 2" in out, done.stderr
    assert "after exit 0" in out, done.stderr
    errors = done.stderr.strip().splitlines()
    assert len(errors) == 3 and all(e.startswith("Error: ") for e in errors), errors
    assert "Traceback" not in done.stderr
    assert "full" in errors[-1]  # status: the disk is full, and nothing was changed
    # the earlier good export is untouched, nothing half-written beside it
    after = {p.name: p.read_bytes() for p in (tmp_path / "after-exports").iterdir()
             if not p.name.startswith(".")}
    assert after == good
    assert integrity(tmp_path / "after.db") == "ok"
    record("full disk: report, adjudicate, status refused with one line each; earlier "
           "export intact; database ok; the same command works once space is freed")


@needs_unshare
def test_read_only_folder_is_a_clear_error(sample_study: Path, tmp_path: Path) -> None:
    project = copy_project(sample_study, tmp_path / "study")
    q = shlex.quote(str(project))
    done = in_namespace(f"""
        mount --bind {q} {q} && mount -o remount,bind,ro {q} && cd {q}
        {shlex.quote(QUALKIT)} report; echo "report exit $?"
        {shlex.quote(QUALKIT)} import; echo "import exit $?"
    """)
    assert done.stdout.splitlines() == ["report exit 2", "import exit 2"]
    message = (f"Error: {project / 'qualkit.db'}: the project folder is read-only; qualkit "
               "keeps a journal beside the database and needs to write there. Make the "
               "folder writable, or copy the project to a writable folder")
    assert done.stderr.splitlines() == [message.replace(str(project) + "/", ""),
                                        message.replace(str(project) + "/", "")]
    assert integrity(project / "qualkit.db") == "ok"


def test_four_coders_at_once_lose_nothing(sample_study: Path, tmp_path: Path) -> None:
    project = copy_project(sample_study, tmp_path / "study")
    coders = ["dana", "eli", "fay", "gus"]
    procs = [subprocess.Popen([sys.executable, SCRIPTED_CODER, ".", name, "500", "--raw"],
                              cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for name in coders]
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [err for _, err in results]
    assert all(err == "" for _, err in results)  # no lock error reached anyone
    assert [len(out.splitlines()) for out, _ in results] == [500] * 4
    with open_store(project / "qualkit.db") as store:
        for name, (out, _) in zip(coders, results, strict=True):
            state = store.codings(name)
            assert len(state) == 500
            for line in out.splitlines():
                _, segment, code = line.split(" ")
                assert code in state[int(segment)].codes
    with sqlite3.connect(project / "qualkit.db") as conn:
        count = conn.execute("SELECT count(*) FROM coding_events WHERE coder IN "
                             "('dana', 'eli', 'fay', 'gus')").fetchone()[0]
    assert count == 2000
    assert integrity(project / "qualkit.db") == "ok"
    record("concurrency: 4 processes x 500 decisions, 2000 of 2000 present, no lock error")


def test_backup_on_demand_is_a_complete_copy(sample_study: Path, tmp_path: Path) -> None:
    project = copy_project(sample_study, tmp_path / "study")
    target = tmp_path / "copy.db"
    done = run("backup", "-o", str(target), cwd=project)
    assert done.stdout.splitlines()[0].startswith(f"Backed up qualkit.db to {target} (")
    assert integrity(target) == "ok"
    with open_store(project / "qualkit.db") as live, open_store(target) as copy:
        assert copy.events() == live.events()
    again = run("backup", "-o", str(target), cwd=project, check=False)
    assert (again.returncode, again.stderr) == (
        2, f"Error: {target} exists; name another file with -o\n")
