"""``python -m benchmarks``: run the suite at one size and print the table.

Kept out of the test suite (``tests/test_benchmarks_smoke.py`` runs ``--size smoke`` so
the harness cannot rot). ``--record`` writes the table, with the machine and the date,
into this size's section of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.figures import FIGURES
from benchmarks.suite import SIZES, Result, Suite, log, table

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def machine() -> str:
    """One line a reader can compare their own machine with."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = []
    for package in ("qualkit", "spacy", "numpy", "pandas", "krippendorff"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} not installed")
    return (f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB; {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}; "
            + ", ".join(versions))


def header(suite: Suite, started: datetime, elapsed: float) -> str:
    return (f"- Size `{suite.size.name}`, {started:%Y-%m-%d %H:%M} UTC, medians of "
            f"{suite.repeats} run(s) per side (start-up: {suite.startup_repeats}), "
            f"{elapsed / 60:.1f} min in all.\n"
            f"- Machine: {machine()}.\n")


def record(size: str, text: str, path: Path = RESULTS) -> None:
    """Replace this size's section of RESULTS.md, keeping the others."""
    begin, end = f"<!-- results:{size} -->", f"<!-- /results:{size} -->"
    section = f"{begin}\n## `--size {size}`\n\n{text}\n{end}"
    current = path.read_text(encoding="utf-8") if path.is_file() else ""
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(current):
        updated = pattern.sub(lambda _: section, current)
    else:
        updated = current.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(updated, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=list(SIZES), default="1m")
    parser.add_argument("--repeats", type=int, help="runs per side (default: by size)")
    parser.add_argument("--only", help=f"comma-separated figure keys ({','.join(FIGURES)})")
    parser.add_argument("--workdir", type=Path,
                        default=Path(tempfile.gettempdir()) / "qualkit-bench",
                        help="where corpora are generated and kept (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-limit-gib", type=float, default=16.0,
                        help="address-space limit of each measured process")
    parser.add_argument("--json", type=Path, help="also write every run's numbers here")
    parser.add_argument("--record", action="store_true",
                        help=f"write the table into {RESULTS.name}")
    args = parser.parse_args(argv)
    wanted = args.only.split(",") if args.only else list(FIGURES)
    unknown = [key for key in wanted if key not in FIGURES]
    if unknown:
        parser.error(f"unknown figure {', '.join(unknown)}; choose from {', '.join(FIGURES)}")
    args.workdir.mkdir(parents=True, exist_ok=True)
    suite = Suite(SIZES[args.size], args.workdir, repeats=args.repeats, seed=args.seed,
                  memory_limit_gib=args.memory_limit_gib)
    started, clock = datetime.now(UTC), time.perf_counter()
    results: list[Result] = []
    try:
        for key in FIGURES:
            if key in wanted:
                log(f"{key}:")
                results.append(FIGURES[key](suite))
    finally:
        suite.close()
    text = header(suite, started, time.perf_counter() - clock) + "\n" + table(results)
    print(text)
    if args.json:
        payload: dict[str, Any] = {
            "size": args.size, "started": started.isoformat(), "machine": machine(),
            "figures": [{"key": r.key, "title": r.title, "unit": r.unit, "value": r.value,
                         "baseline": r.baseline, "baseline_name": r.baseline_name,
                         "ratio": r.ratio, "peak_mib": r.peak_mib,
                         "baseline_peak_mib": r.baseline_peak_mib, "runs": r.runs,
                         "note": r.note, "context": r.context, "raw": r.raw} for r in results]}
        args.json.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    if args.record:
        record(args.size, text)
        log(f"recorded in {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
