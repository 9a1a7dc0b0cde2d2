"""Interoperability with a real tool: the ``qualitative-coding`` package (command ``qc``).

qc imports qualkit's .qdpx (``qc init --import``) and its code counts match qualkit's, and
qualkit imports the .qdpx qc exports. qc counts coded *lines* (a line coded twice counts
once), so qualkit's side of the comparison counts the distinct lines its coded segments
start on — exactly what a qc user would see for the same decisions.

qc is installed apart from qualkit (its pins hold rich below 14 and xmlschema below 4), in
``.venv-qc`` by ``.ci/run``; the test runs when it finds ``qc`` there, at ``$QUALKIT_QC``,
or on PATH, and is skipped otherwise. qc 1.7.8 leaves a ``breakpoint()`` in its importer,
so it runs with ``PYTHONBREAKPOINT=0``.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.test_refi import coded, snapshot  # noqa: F401  (coded is a fixture)

ROOT = Path(__file__).resolve().parents[1]


def find_qc() -> str | None:
    """``$QUALKIT_QC`` when set (CI sets it: a missing qc then fails rather than skips),
    else .venv-qc, else PATH."""
    if os.environ.get("QUALKIT_QC"):
        return os.environ["QUALKIT_QC"]
    local = ROOT / ".venv-qc" / "bin" / "qc"
    return str(local) if local.is_file() else shutil.which("qc")


QC = find_qc()
pytestmark = pytest.mark.skipif(QC is None, reason="qualitative-coding (qc) is not installed; "
                                                   ".ci/run installs it in .venv-qc")


def qc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONBREAKPOINT": "0"}
    done = subprocess.run([str(QC), *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def qc_counts(folder: Path) -> Counter[tuple[str, str]]:
    """(code name, coder) -> coded lines, from ``qc codes stats --by-coder``."""
    qc("codes", "stats", "--by-coder", "--outfile", "stats.csv", cwd=folder)
    rows = list(csv.reader((folder / "stats.csv").read_text(encoding="utf-8").splitlines()))
    coders = [c for c in rows[0] if c and c != "Total"]
    counts: Counter[tuple[str, str]] = Counter()
    for row in rows[1:]:
        for coder, value in zip(coders, row[1:], strict=False):
            if int(value):
                counts[(row[0], coder)] = int(value)
    return counts


def qualkit_line_counts(root: Path) -> Counter[tuple[str, str]]:
    """(code name, coder) -> distinct lines of qualkit's coded segments."""
    snap = snapshot(root)
    _, content = snap["codebook"]
    names = {c["id"]: c["name"] for t in content["themes"] for c in _codes(t["codes"])}
    starts = {where: start for where, start, _, _ in snap["segments"]}
    lines: dict[tuple[str, str], set[tuple[str, int]]] = {}
    for coder, codings in snap["codings"].items():
        for where, codes in codings.items():
            text = snap["transcripts"][where[0]][0]
            line = text.count("\n", 0, starts[where])
            for code in codes:
                lines.setdefault((names[code], coder), set()).add((where[0], line))
    return Counter({key: len(found) for key, found in lines.items()})


def _codes(codes: list[dict]) -> list[dict]:
    return [c for code in codes for c in [code, *_codes(code.get("codes", []))]]


def test_qc_imports_qualkits_file_and_qualkit_imports_qcs(cli, coded: Path,  # noqa: F811
                                                          tmp_path: Path) -> None:
    exported = tmp_path / "study.qdpx"
    assert cli("export", str(exported), "-p", str(coded)).exit_code == 0
    folder = tmp_path / "qc-project"
    folder.mkdir()
    qc("init", "--import", str(exported), cwd=folder)
    ours = qualkit_line_counts(coded)
    assert ours  # the comparison means something only with codings in it
    assert qc_counts(folder) == ours

    back = tmp_path / "from-qc.qdpx"
    qc("export", str(back), cwd=folder)
    target = tmp_path / "from-qc"
    result = cli("import", str(back), "-p", str(target), "--no-ner")
    assert result.exit_code == 0, result.stderr
    snap = snapshot(target)
    assert {n: t[0] for n, t in snap["transcripts"].items()} == {
        n: t[0] for n, t in snapshot(coded)["transcripts"].items()}
    assert qualkit_line_counts(target) == ours
