"""The machinery every figure shares: measured processes, prepared projects, the table.

A figure is a comparison: qualkit doing something, and a baseline doing the same work,
each run ``repeats`` times in alternation (so a slow minute on a shared machine hurts both
sides alike), each run in its own process. The value is the median of the runs; the peak
memory is the largest ``ru_maxrss`` any run's process reached, read with ``os.wait4`` for
exactly that process.
"""

from __future__ import annotations

import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.corpus import GENERATOR_VERSION, Manifest, generate_corpus

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Size:
    """How big the work of each figure is at one ``--size``."""

    name: str
    words: int
    group_words: tuple[int, int]
    agreement_segments: int
    agreement_codes: int
    agreement_coders: int
    report_coded: int
    repeats: int
    startup_repeats: int


SIZES = {
    "smoke": Size("smoke", 6_000, (1_000, 2_500), 2_000, 10, 3, 300, 1, 3),
    "1m": Size("1m", 1_000_000, (4_000, 12_000), 100_000, 100, 3, 100_000, 3, 10),
    "10m": Size("10m", 10_000_000, (4_000, 12_000), 100_000, 100, 3, 100_000, 3, 10),
}


@dataclass
class Run:
    """One measured process."""

    ok: bool
    seconds: float
    peak_kib: int
    outcome: dict[str, Any] = field(default_factory=dict)
    error: str = ""


@dataclass
class Result:
    """One row of the table."""

    key: str
    title: str
    unit: str
    higher_is_better: bool
    baseline_name: str
    value: float | None = None
    baseline: float | None = None
    peak_mib: float | None = None
    baseline_peak_mib: float | None = None
    runs: int = 0
    note: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    """What the work was (the corpus's manifest, the number of coded segments, ...)."""
    raw: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """qualkit's time over the baseline's time for the same work (>1: slower)."""
        if not self.value or not self.baseline:
            return None
        return self.baseline / self.value if self.higher_is_better else self.value / self.baseline


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Suite:
    """One invocation of the benchmarks: the size, the work folder, the runs so far."""

    def __init__(self, size: Size, workdir: Path, *, repeats: int | None = None,
                 seed: int = 0, memory_limit_gib: float = 16.0) -> None:
        self.size = size
        self.workdir = workdir
        self.seed = seed
        self.repeats = repeats or size.repeats
        self.startup_repeats = repeats or size.startup_repeats
        self.memory_limit = int(memory_limit_gib * 2**30)
        self.scratch = workdir / f"runs-{os.getpid()}"
        self.kept: dict[str, Path] = {}
        """Projects one figure leaves for later ones (e.g. ``imported``)."""
        self._counter = 0

    # -- processes -------------------------------------------------------------------

    def _limit(self) -> None:
        # A figure that outgrows the machine fails with MemoryError instead of waking the
        # kernel's OOM killer on a machine other work shares.
        resource.setrlimit(resource.RLIMIT_AS, (self.memory_limit, self.memory_limit))

    def measure(self, argv: Sequence[str]) -> Run:
        """Run a command; its wall time, peak memory and (if JSON) its last output line."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO),
                                                          env.get("PYTHONPATH", "")]))
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            start = time.perf_counter()
            proc = subprocess.Popen(list(argv), stdout=out, stderr=err, cwd=REPO, env=env,
                                    preexec_fn=self._limit)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            stdout = out.read().decode("utf-8", "replace")
            stderr = err.read().decode("utf-8", "replace")
        run = Run(ok=proc.returncode == 0, seconds=wall, peak_kib=usage.ru_maxrss)
        if not run.ok:
            lines = [line for line in stderr.splitlines() if line.strip()]
            run.error = (lines[-1] if lines else f"exit code {proc.returncode}")[:160]
            return run
        last = stdout.strip().splitlines()[-1:] or [""]
        if last[0].startswith("{"):
            run.outcome = json.loads(last[0])
            run.seconds = float(run.outcome.get("seconds", wall))
        return run

    def task(self, name: str, **args: Any) -> Run:
        return self.measure([sys.executable, "-m", "benchmarks.tasks", name,
                             json.dumps(args)])

    def compare(self, result: Result, qualkit: Callable[[int], Run],
                baseline: Callable[[int], Run] | None, *, repeats: int | None = None,
                value: Callable[[Run], float] = lambda run: run.seconds,
                label: str = "") -> Result:
        """Alternate qualkit and baseline runs; fill ``result`` with medians and peaks."""
        repeats = repeats or self.repeats
        sides: dict[str, list[Run]] = {"qualkit": [], "baseline": []}
        for i in range(repeats):
            log(f"  {label or result.key}: qualkit run {i + 1}/{repeats}")
            sides["qualkit"].append(qualkit(i))
            if baseline is not None:
                log(f"  {label or result.key}: baseline run {i + 1}/{repeats}")
                sides["baseline"].append(baseline(i))
        result.runs = repeats
        result.raw = {side: [{"ok": r.ok, "seconds": r.seconds, "peak_kib": r.peak_kib,
                              "error": r.error, **r.outcome} for r in runs]
                      for side, runs in sides.items() if runs}
        for side, runs in sides.items():
            good = [r for r in runs if r.ok]
            failed = [r for r in runs if not r.ok]
            if failed:
                who = "qualkit" if side == "qualkit" else result.baseline_name
                result.note = _join(result.note, f"{who} failed: {failed[0].error}")
            if not runs:
                continue
            median = statistics.median(value(r) for r in good) if good else None
            peak = max(r.peak_kib for r in runs) / 1024
            if side == "qualkit":
                result.value, result.peak_mib = median, peak
            else:
                result.baseline, result.baseline_peak_mib = median, peak
        return result

    # -- projects --------------------------------------------------------------------

    def corpus(self, *, words: int | None = None, participant_sentences: int | None = None,
               group_words: tuple[int, int] | None = None) -> tuple[Path, Manifest]:
        """A generated corpus, made once per parameters and kept in the work folder."""
        group = group_words or self.size.group_words
        key = (f"w{words}" if words else f"ps{participant_sentences}")
        root = self.workdir / f"corpus-{key}-g{group[0]}-{group[1]}-s{self.seed}" \
                              f"-v{GENERATOR_VERSION}"
        manifest = Manifest.load(root)
        if manifest is None:
            if root.exists():
                shutil.rmtree(root)
            log(f"generating corpus {root.name}")
            start = time.perf_counter()
            manifest = generate_corpus(root, words=words,
                                       participant_sentences=participant_sentences,
                                       seed=self.seed, group_words=group)
            log(f"  {manifest.words:,} words in {manifest.files} files, "
                f"{time.perf_counter() - start:.1f} s")
        return root, manifest

    def project_from(self, corpus: Path, name: str, database_of: Path | None = None) -> Path:
        """A fresh project with the corpus's files, and a copy of another project's
        database when given (so a figure starts from the state the previous one left)."""
        self._counter += 1
        root = self.scratch / f"{name}-{self._counter}"
        root.mkdir(parents=True)
        shutil.copytree(corpus / "transcripts", root / "transcripts",
                        copy_function=_link_or_copy)
        shutil.copytree(corpus / "codebooks", root / "codebooks")
        if database_of is not None:
            for db in database_of.glob("qualkit.db*"):
                shutil.copy2(db, root / db.name)
        return root

    def discard(self, project: Path) -> None:
        shutil.rmtree(project, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


def _link_or_copy(src: str, dst: str) -> str:
    """Hard-link read-only inputs (transcripts) so a 10M-word copy costs nothing."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


# ------------------------------------------------------------------------------ the table


def _number(value: float, unit: str) -> str:
    if unit == "words/s":
        return f"{value:,.0f} words/s"
    if unit == "ms":
        return f"{value:,.0f} ms"
    if value >= 100:
        return f"{value:,.0f} s"
    return f"{value:.2f} s" if value >= 1 else f"{value * 1000:,.0f} ms"


def _mib(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} MiB"


def table(results: Sequence[Result]) -> str:
    """The results as a Markdown table (the same text is printed and recorded)."""
    header = ("| figure | qualkit | baseline (same run) | ratio | peak memory qualkit "
              "| peak memory baseline |")
    lines = [header, "|---|--:|--:|--:|--:|--:|"]
    for r in results:
        if r.value is not None:
            value = _number(r.value, r.unit)
        else:
            value = next((w for w in ("pending", "skipped") if r.note.startswith(w)), "failed")
        if r.baseline is not None:
            baseline = f"{_number(r.baseline, r.unit)} ({r.baseline_name})"
        elif not r.baseline_name:
            baseline = "—"
        elif r.raw.get("baseline"):
            baseline = f"failed ({r.baseline_name})"
        else:
            baseline = f"{'pending' if 'pending' in r.note else 'not run'} ({r.baseline_name})"
        ratio = r.ratio
        lines.append(f"| {r.title} | {value} | {baseline} | "
                     f"{'—' if ratio is None or math.isnan(ratio) else f'{ratio:.2f}x'} | "
                     f"{_mib(r.peak_mib)} | {_mib(r.baseline_peak_mib)} |")
    notes = [f"- {r.title}: {r.note}" for r in results if r.note]
    return "\n".join(lines + (["", *notes] if notes else []))
