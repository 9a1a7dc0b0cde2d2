"""The figures, in table order. To add one: write a task in :mod:`benchmarks.tasks` for
qualkit's side (and one for the baseline's), a function here that compares them with
:meth:`Suite.compare`, and add it to ``FIGURES`` under its key.
"""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import statistics
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from benchmarks.corpus import Manifest
from benchmarks.suite import Result, Run, Suite, log

AGREEMENT = 0.8
"""Each coder gives the true answer with this probability (expected alpha = 0.8² = 0.64)."""
MISSING = 0.01
"""Share of segments each coder never reviewed (missing data, not a "no")."""


def words_label(words: int) -> str:
    if words >= 1_000_000:
        millions = words / 1_000_000
        return f"{millions:.1f}M" if millions < 10 else f"{millions:.0f}M"
    return f"{words / 1000:.0f}k" if words >= 1000 else str(words)


def qualkit_command() -> list[str]:
    """``qualkit`` as a user runs it: the console script beside this Python."""
    script = Path(sys.executable).parent / "qualkit"
    if script.is_file():
        return [str(script)]
    found = shutil.which("qualkit")
    return [found] if found else [sys.executable, "-c",
                                  "from qualkit.cli.app import main; main()"]


def startup(suite: Suite) -> Result:
    result = Result("startup", "`qualkit --help` start-up", "ms", False, "`python -c pass`")
    command = [*qualkit_command(), "--help"]
    bare = [sys.executable, "-c", "pass"]
    suite.measure(command)  # warm the file cache and write bytecode: not a first-ever run
    suite.measure(bare)
    return suite.compare(result, lambda _: suite.measure(command),
                         lambda _: suite.measure(bare), repeats=suite.startup_repeats,
                         value=lambda run: run.seconds * 1000)


def _main_corpus(suite: Suite) -> tuple[Path, Manifest]:
    return suite.corpus(words=suite.size.words)


def imported_project(suite: Suite) -> Path | None:
    """A project holding the main corpus, imported: the one the import figure kept, else
    one imported now (outside any figure)."""
    kept = suite.kept.get("imported")
    if kept is not None:
        return kept
    corpus, _ = _main_corpus(suite)
    project = suite.project_from(corpus, "imported")
    run = suite.task("import", project=str(project))
    if not run.ok:
        log(f"  import for later figures failed: {run.error}")
        return None
    suite.kept["imported"] = project
    return project


def import_words(suite: Suite) -> Result:
    corpus, manifest = _main_corpus(suite)
    result = Result("import", f"import, {words_label(manifest.words)} words", "words/s", True,
                    "spaCy blank pipeline", context=asdict(manifest))

    def qualkit(_: int) -> Run:
        project = suite.project_from(corpus, "import")
        run = suite.task("import", project=str(project))
        if run.ok and "imported" not in suite.kept:
            suite.kept["imported"] = project
        else:
            suite.discard(project)
        return run

    suite.compare(result, qualkit,
                  lambda _: suite.task("import-baseline", project=str(corpus)),
                  value=lambda run: manifest.words / run.seconds)
    flagged = max((r.get("privacy_findings", 0) for r in result.raw.get("qualkit", [])),
                  default=0)
    if flagged:
        result.note = (f"the privacy gate flagged {flagged} place(s) in the synthetic text "
                       "(false positives; imported with allow_pii)")
    return result


def suggest_words(suite: Suite) -> Result:
    corpus, manifest = _main_corpus(suite)
    result = Result("suggest", f"suggestions, {words_label(manifest.words)} words, 100 codes",
                    "words/s", True, "spaCy blank pipeline", context=asdict(manifest))
    imported = imported_project(suite)
    if imported is None:
        result.note = "skipped: the import it starts from failed"
        return result

    def qualkit(_: int) -> Run:
        project = suite.project_from(corpus, "suggest", database_of=imported)
        try:
            return suite.task("suggest", project=str(project))
        finally:
            suite.discard(project)

    # Both sides read the participants' talk only: the suggester skips moderators.
    return suite.compare(result, qualkit,
                         lambda _: suite.task("suggest-baseline", project=str(corpus)),
                         value=lambda run: manifest.participant_words / run.seconds)


def agreement(suite: Suite) -> Result:
    size = suite.size
    result = Result("agreement", f"agreement (Krippendorff's alpha), {size.agreement_codes} codes "
                    f"x {words_label(size.agreement_segments)} segments "
                    f"x {size.agreement_coders} coders", "s", False, "`krippendorff` package")
    args = {"segments": size.agreement_segments, "codes": size.agreement_codes,
            "coders": size.agreement_coders, "agreement": AGREEMENT, "seed": suite.seed,
            "missing": MISSING}
    result.context = dict(args)
    if importlib.util.find_spec("qualkit.agreement.coefficients") is None:
        result.note = "pending: qualkit.agreement.coefficients is not there yet"
        return result
    def krippendorff(_: int) -> Run:
        return suite.task("agreement-baseline", **args)

    baseline: Callable[[int], Run] | None = krippendorff
    if importlib.util.find_spec("krippendorff") is None:
        baseline = None
        result.note = "baseline pending: install the bench extra (pip install -e '.[bench]')"
    suite.compare(result, lambda _: suite.task("agreement", **args), baseline)
    mine = [r.get("mean_alpha") for r in result.raw.get("qualkit", []) if r["ok"]]
    theirs = [r.get("mean_alpha") for r in result.raw.get("baseline", []) if r["ok"]]
    if mine and theirs and not math.isclose(mine[0], theirs[0], abs_tol=1e-9):
        result.note = f"mean alpha differs: qualkit {mine[0]:.6f}, krippendorff {theirs[0]:.6f}"
    return result


def report_project(suite: Suite) -> tuple[Path, int] | None:
    """A project whose consensus coder has coded ``report_coded`` segments, prepared once
    per schema version and kept in the work folder."""
    from qualkit.store.migrations import LATEST

    coded = suite.size.report_coded
    corpus, _ = suite.corpus(participant_sentences=math.ceil(coded * 1.08))
    root = suite.workdir / f"report-{corpus.name}-c{coded}-schema{LATEST}"
    marker = root / "prepared.json"
    if not marker.is_file():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        project = root / "project"
        shutil.copytree(corpus / "transcripts", project / "transcripts")
        shutil.copytree(corpus / "codebooks", project / "codebooks")
        log(f"preparing the report project ({coded:,} coded segments)")
        run = suite.task("report-prepare", project=str(project), coded=coded, seed=suite.seed)
        if not run.ok:
            log(f"  failed: {run.error}")
            return None
        marker.write_text(json.dumps(run.outcome) + "\n", encoding="utf-8")
    return root / "project", int(json.loads(marker.read_text(encoding="utf-8"))["coded"])


def report(suite: Suite) -> Result:
    prepared = report_project(suite)
    coded = prepared[1] if prepared else suite.size.report_coded
    result = Result("report", f"report, {words_label(coded)} coded segments, every format",
                    "s", False, "", context={"coded": coded})
    if prepared is None:
        result.note = "skipped: preparing the coded project failed"
        return result
    template = prepared[0]

    def qualkit(_: int) -> Run:
        project = suite.project_from(template, "report", database_of=template)
        try:
            return suite.task("report", project=str(project))
        finally:
            suite.discard(project)

    result = suite.compare(result, qualkit, None)
    runs = [r for r in result.raw.get("qualkit", []) if r.get("ok") and r.get("formats")]
    if runs:
        parts = [f"analysis {statistics.median(r['analysis'] for r in runs):.2f} s"]
        parts += [f"{fmt} {statistics.median(r['formats'][fmt] for r in runs):.2f} s"
                  for fmt in runs[0]["formats"]]
        breakdown = "medians: " + ", ".join(parts)
        result.note = f"{result.note}; {breakdown}" if result.note else breakdown
    return result


FIGURES: dict[str, Callable[[Suite], Result]] = {
    "startup": startup,
    "import": import_words,
    "suggest": suggest_words,
    "agreement": agreement,
    "report": report,
}
