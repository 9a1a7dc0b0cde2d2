"""The measured operations, each run alone in a fresh process by the suite.

``python -m benchmarks.tasks TASK '{"json": "arguments"}'`` runs one task and prints one
JSON line: ``seconds`` (the operation alone, by ``time.perf_counter``) and whatever the
task reports beside it. The suite reads the process's peak memory from the operating
system when it exits, so one figure's peak never mixes with another's.

qualkit is driven only through its public library functions (the ones ``qualkit run``
calls), so a change inside ingest, suggest or the store shows up here unchanged. Set-up
that is not the figure (creating the project, loading the codebook, importing modules)
happens before the clock starts, on both sides of every comparison.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.corpus import MODERATOR

Args = dict[str, Any]
Outcome = dict[str, Any]
TASKS: dict[str, Callable[[Args], Outcome]] = {}


def task(name: str) -> Callable[[Callable[[Args], Outcome]], Callable[[Args], Outcome]]:
    def register(func: Callable[[Args], Outcome]) -> Callable[[Args], Outcome]:
        TASKS[name] = func
        return func
    return register


def _talk(folder: Path, *, participants_only: bool) -> Iterator[str]:
    """The talk of each turn (label and timestamp cut off), as the store will hold it."""
    for path in sorted(folder.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            label, sep, talk = line.partition(": ")
            if not sep:
                continue
            if participants_only and label.endswith(MODERATOR):
                continue
            yield talk


def _blank_pipeline_over(folder: Path, *, participants_only: bool) -> Outcome:
    """The baseline: spaCy's blank English pipeline (its tokenizer) over the same talk."""
    import spacy

    start = time.perf_counter()
    nlp = spacy.blank("en")
    tokens = sum(len(doc) for doc in nlp.pipe(_talk(folder, participants_only=
                                                     participants_only), batch_size=256))
    return {"seconds": time.perf_counter() - start, "tokens": tokens}


# --------------------------------------------------------------------------- import


@task("import")
def import_qualkit(args: Args) -> Outcome:
    import spacy  # noqa: F401 -- the module import is start-up, not import work

    from qualkit.codebook.versions import default_codebook_file, register_codebook
    from qualkit.ingest.importer import import_transcripts
    from qualkit.project import init

    project, _ = init(Path(args["project"]))
    with project.open_store() as store:
        codebook, _ = register_codebook(store, project, default_codebook_file(project))
        start = time.perf_counter()
        # The gate runs either way; allowing its findings keeps a heuristic's false
        # positive on synthetic text from stopping the figure. They are counted instead.
        result = import_transcripts(store, project, unit=codebook.unit, allow_pii=True)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "segments": result.segments,
            "transcripts": len(result.added), "privacy_findings": _findings(result)}


def _findings(result: Any) -> int:
    return sum(getattr(result, "allowed", {}).values())


@task("import-baseline")
def import_baseline(args: Args) -> Outcome:
    return _blank_pipeline_over(Path(args["project"]) / "transcripts", participants_only=False)


# --------------------------------------------------------------------------- suggestions


@task("suggest")
def suggest_qualkit(args: Args) -> Outcome:
    import spacy  # noqa: F401

    from qualkit.codebook.versions import active_codebook
    from qualkit.project import find
    from qualkit.suggest.engine import suggest_project

    project = find(Path(args["project"]))
    with project.open_store() as store:
        codebook = active_codebook(store)
        if codebook is None:
            raise RuntimeError("the project has no codebook; run the import task first")
        start = time.perf_counter()
        result = suggest_project(store, codebook)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "segments": result.processed - result.skipped_moderator,
            "suggestions": result.suggestions, "codes": len(codebook.codes)}


@task("suggest-baseline")
def suggest_baseline(args: Args) -> Outcome:
    return _blank_pipeline_over(Path(args["project"]) / "transcripts", participants_only=True)


# --------------------------------------------------------------------------- agreement


def _alphas(args: Args, alpha: Callable[[Any], float]) -> Outcome:
    from benchmarks.coders import decisions, ratings

    applied, reviewed = decisions(args["segments"], args["codes"], args["coders"],
                                  args["agreement"], seed=args["seed"],
                                  missing=args["missing"])
    values = []
    start = time.perf_counter()
    for code in range(args["codes"]):
        values.append(alpha(ratings(applied, reviewed, code)))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "mean_alpha": sum(values) / len(values)}


@task("agreement")
def agreement_qualkit(args: Args) -> Outcome:
    from qualkit.agreement.coefficients import krippendorff_alpha

    return _alphas(args, lambda matrix: krippendorff_alpha(matrix, level="nominal"))


@task("agreement-baseline")
def agreement_baseline(args: Args) -> Outcome:
    import krippendorff

    return _alphas(args, lambda matrix: float(krippendorff.alpha(
        reliability_data=matrix.T, level_of_measurement="nominal")))


# --------------------------------------------------------------------------- report

REPORT_CODER = "consensus"


@task("report-prepare")
def report_prepare(args: Args) -> Outcome:
    """A project whose consensus coder has coded ``coded`` participant segments (one to
    three codes each, common codes more often) and reviewed every other segment."""
    from datetime import UTC, datetime

    import numpy as np

    from benchmarks.coders import prevalences
    from qualkit.codebook.versions import default_codebook_file, register_codebook
    from qualkit.ingest.importer import import_transcripts
    from qualkit.model import CodingAction, CodingEvent
    from qualkit.project import init
    from qualkit.suggest.engine import is_moderator, suggest_project

    project, _ = init(Path(args["project"]))
    rng = np.random.default_rng(args["seed"])
    with project.open_store() as store:
        codebook, _ = register_codebook(store, project, default_codebook_file(project))
        import_transcripts(store, project, unit=codebook.unit, allow_pii=True)
        suggest_project(store, codebook)
        roster = store.participants()
        codes = [c.id for c in codebook.codes]
        weights = prevalences(len(codes))
        weights /= weights.sum()
        at = datetime.now(UTC)
        events, coded = [], 0
        for seg in store.segments():
            if coded < args["coded"] and not is_moderator(seg.speaker, roster):
                chosen = rng.choice(len(codes), size=int(rng.integers(1, 4)), replace=False,
                                    p=weights)
                events += [CodingEvent(seg.id, REPORT_CODER, CodingAction.APPLY, codes[i],
                                       codebook.version, "benchmark", at) for i in chosen]
                coded += 1
            else:
                events.append(CodingEvent(seg.id, REPORT_CODER, CodingAction.REVIEWED_NONE,
                                          None, codebook.version, "benchmark", at))
        with store.transaction() as conn:
            store.append_events(conn, events)
    return {"seconds": 0.0, "coded": coded, "events": len(events)}


@task("report")
def report_qualkit(args: Args) -> Outcome:
    """The whole report, analysis included, to every format; ``formats`` says how long each
    format's writing took (the analysis is shared and counted once, as ``analysis``)."""
    import importlib

    import docx  # noqa: F401
    import jinja2  # noqa: F401
    import openpyxl  # noqa: F401
    import pandas  # noqa: F401
    import spacy  # noqa: F401

    from qualkit.report import charts
    from qualkit.report.analysis import report_coders
    from qualkit.report.render import MODULES

    for module in MODULES.values():  # importing is set-up, not the figure
        importlib.import_module(f"qualkit.report.{module}")
    charts._pyplot()
    from qualkit.codebook.versions import active_codebook
    from qualkit.project import find
    from qualkit.report import FORMATS, build_report, write_report

    project = find(Path(args["project"]))
    with project.open_store() as store:
        codebook = active_codebook(store)
        if codebook is None:
            raise RuntimeError("the project has no codebook; run report-prepare first")
        start = time.perf_counter()
        report = build_report(store, codebook, report_coders(store))
        analysis = time.perf_counter() - start
        files = write_report(report, project.exports, args.get("formats", FORMATS))
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "files": len(files.paths),
            "rows": sum(len(s.theme.rows) for s in report.coders),
            "analysis": round(analysis, 3),
            "formats": {k: round(v, 3) for k, v in (files.seconds or {}).items()}}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in TASKS:
        print(f"usage: python -m benchmarks.tasks {{{','.join(TASKS)}}} JSON", file=sys.stderr)
        return 2
    outcome = TASKS[argv[0]](json.loads(argv[1]))
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
