"""Shared pieces of the reliability suite: a real study to hurt, and ways to hurt it.

The suite runs qualkit as a separate process, as a user would, so that a kill is a real
SIGKILL and a full disk is a real full file system (a small tmpfs in a private mount
namespace, made with `unshare`, which needs no privileges beyond what CI has as root).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUALKIT = str(Path(sys.executable).with_name("qualkit"))
SCRIPTED_CODER = str(Path(__file__).with_name("scripted_coder.py"))
# At least 20 kills per command (issue 10); QUALKIT_KILLS=3 for a quick local look.
KILLS = int(os.environ.get("QUALKIT_KILLS", "20"))


def record(line: str) -> None:
    """Add a figure to the run's log (QUALKIT_RELIABILITY_LOG=FILE), for docs/reliability.md."""
    target = os.environ.get("QUALKIT_RELIABILITY_LOG")
    if target:
        with open(target, "a", encoding="utf-8") as log:
            log.write(line + "\n")


def run(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([QUALKIT, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def copy_project(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.bak"))
    return target


@pytest.fixture(scope="session")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample study's files, not yet imported."""
    base = tmp_path_factory.mktemp("sample") / "study"
    base.mkdir()
    for folder in ("codebooks", "transcripts", "codings"):
        shutil.copytree(ROOT / folder, base / folder)
    shutil.copy(ROOT / "qualkit.toml", base / "qualkit.toml")
    (base / "exports").mkdir()
    return base


@pytest.fixture(scope="session")
def sample_study(sample_files: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample study after `qualkit run`: imported, suggested, both coders, a report."""
    base = copy_project(sample_files, tmp_path_factory.mktemp("run") / "study")
    run("run", "-q", cwd=base)
    return base


def unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


needs_unshare = pytest.mark.skipif(not unshare_works(),
                                   reason="needs `unshare -m` (a private mount namespace)")
