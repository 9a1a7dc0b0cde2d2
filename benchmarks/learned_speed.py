"""How fast the learned suggester trains and predicts: ``python -m benchmarks.learned_speed``.

The issue's targets: training on 10,000 decisions in under 10 s; predicting at 200,000
words/s or more on 2 cores; under 1 GB of memory at 10M words. The corpus is the
benchmark generator's (:mod:`benchmarks.corpus`, 100-code codebook), imported into a
temporary project; a coder's decisions on the first ``--decisions`` participant segments
are made from the keyword engine's suggestions, with a share flipped at random (what they
say does not matter for speed, only that every code has positives and negatives). Then:

- **train**: :func:`qualkit.suggest.learn_project.train` (features, cross-validated
  thresholds for every code, the averaged fold models);
- **predict, one process**: the learned suggestions for every participant segment
  (:meth:`Learner.suggest`, in batches of whole transcripts), probabilities only (what
  ``suggest --learn-from`` stores), and, in the same run, with evidence for every
  suggestion (what it stored before the model was kept): words of those segments per
  second;
- **predict and store over the workers**: ``suggest --learn-from``'s work after its
  training (``--jobs`` processes, default as ``qualkit suggest``), words per second;
- **``suggest --learn-from`` whole**: the command in a process of its own (start, train,
  predict, store suggestions and model);
- **evidence of one shown suggestion** (``suggest --explain``): from the stored model,
  the first (loading the model and reading the training segments) and the next ones.

Wall-clock and CPU times are both given: on a shared machine the CPU time is the fairer
figure. ``suggest --learn-from`` runs as a user runs it, in a process of its own: its CPU
time counts its workers', and its peak memory is the largest peak resident set
(``VmHWM``, Linux) of it or any of its workers; the benchmark's own peak (``ru_maxrss``:
it holds the corpus and the keyword suggestions it derives decisions from) is given
apart.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import unittest.mock
from datetime import UTC, datetime
from pathlib import Path

from qualkit.model import CodingAction, CodingEvent


def _peak_of_tree(pid: int) -> float:
    """The largest peak resident set (MiB, ``VmHWM``) of a process and its children now.

    Read from /proc rather than from ``ru_maxrss``: a process forked from this one (which
    holds the corpus) inherits this one's peak as its own, across exec."""
    peak = 0.0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:  # ended meanwhile, or not Linux
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]) / 1024)
        todo += [int(c) for c in children]
    return peak


def _words(text: str) -> int:
    return len(text.split())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.learned_speed",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--decisions", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=None,
                        help="worker processes for `suggest --learn-from` (default: as "
                             "qualkit suggest)")
    parser.add_argument("--skip-evidence", action="store_true",
                        help="do not time prediction with evidence for every suggestion "
                             "(the old path; long at 10M words)")
    args = parser.parse_args(argv)

    from benchmarks.corpus import generate_corpus
    from qualkit.codebook.versions import project_codebook
    from qualkit.ingest.importer import import_transcripts
    from qualkit.model import Unit
    from qualkit.project import init
    from qualkit.suggest.engine import is_moderator, suggest_project
    from qualkit.suggest.learn_project import _batches, train
    from qualkit.suggest.model_file import StoredModels

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="qualkit-learned-speed-") as tmp:
        root = Path(tmp) / "project"
        print(f"generating {args.words:,} words...", file=sys.stderr)
        generate_corpus(root, words=args.words, seed=args.seed)
        project, _ = init(root)
        with project.open_store() as store:
            print("importing...", file=sys.stderr)
            import_transcripts(store, project, unit=Unit.SENTENCE, ner=None,
                               allow_pii=True)  # generated text: no one to protect
            book = project_codebook(store, project)
            suggest_project(store, book)
            roster = store.participants()
            segments = [s for s in store.segments() if not is_moderator(s.speaker, roster)]
            suggested: dict[int, set[str]] = {}
            for s in store.suggestions(book.version):
                suggested.setdefault(s.segment_id, set()).add(s.code_id)
            codes = [c.id for c in book.codes]
            events = []
            for seg in segments[:args.decisions]:
                applied = set(suggested.get(seg.id, set()))
                if rng.random() < 0.1:  # a coder disagrees with the keywords now and then
                    applied ^= {rng.choice(codes)}
                events += ([CodingEvent(seg.id, "speed", CodingAction.APPLY, c, book.version,
                                        "benchmark", datetime.now(UTC)) for c in sorted(applied)]
                           or [CodingEvent(seg.id, "speed", CodingAction.REVIEWED_NONE, None,
                                           book.version, "benchmark", datetime.now(UTC))])
            with store.transaction() as conn:
                store.append_events(conn, events)
            print("training...", file=sys.stderr)
            began = time.perf_counter()
            for module in ("sklearn.feature_extraction.text", "sklearn.linear_model"):
                importlib.import_module(module)  # once per process: timed apart
            imported = time.perf_counter() - began
            began, cpu = time.perf_counter(), time.process_time()
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            learner = train(store, book, "speed")
            trained, trained_cpu = time.perf_counter() - began, time.process_time() - cpu
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            trained_cpu += (after.ru_utime + after.ru_stime
                            - children.ru_utime - children.ru_stime)
            every = store.segments()
            wanted = {s.id for s in segments}
            words = sum(_words(s.text) for s in segments)
            timed = {}
            for evidence in (False, True):
                if evidence and args.skip_evidence:
                    continue
                print(f"predicting ({'with' if evidence else 'without'} evidence)...",
                      file=sys.stderr)
                began, cpu = time.perf_counter(), time.process_time()
                found = 0
                for batch in _batches(every):
                    found += len(learner.suggest([s for s in batch if s.id in wanted],
                                                 "speed", batch, evidence=evidence))
                timed[evidence] = (time.perf_counter() - began,
                                   time.process_time() - cpu, found)
            del every
            print("predicting and storing over the workers...", file=sys.stderr)
            from qualkit import workers
            from qualkit.suggest import learn_project

            jobs = args.jobs or workers.default_jobs()
            trained_learner = learner
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            began, cpu = time.perf_counter(), time.process_time()
            with unittest.mock.patch.object(learn_project, "train",
                                            lambda *_: trained_learner):
                learn_project.learn_from(store, book, "speed", jobs=jobs)
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            parallel = (time.perf_counter() - began,
                        time.process_time() - cpu + usage.ru_utime + usage.ru_stime
                        - before.ru_utime - before.ru_stime)
            print("suggest --learn-from...", file=sys.stderr)
            # As a user runs it, in its own process: its peak memory is its own.
            command = [sys.executable, "-c", "from qualkit.cli.app import main; main()",
                       "suggest", "-p", str(root), "--learn-from", "speed", "-q"]
            env = dict(os.environ)
            if args.jobs:
                env["QUALKIT_JOBS"] = str(args.jobs)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            began = time.perf_counter()
            child = subprocess.Popen(command, env=env)
            learn_peak = 0.0
            while child.poll() is None:
                learn_peak = max(learn_peak, _peak_of_tree(child.pid))
                time.sleep(0.1)
            whole = time.perf_counter() - began
            assert child.returncode == 0, "suggest --learn-from failed"
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # with its workers
            whole_cpu = (usage.ru_utime + usage.ru_stime - before.ru_utime
                         - before.ru_stime)
            run = store.learned_run(book.version, "speed")
            assert run is not None
            stored_count = len(store.learned_suggestions(book.version, "speed"))
            print("explaining...", file=sys.stderr)
            shown = store.learned_suggestions(book.version, "speed")[:: max(
                1, stored_count // 21)][:21]
            by_id = {s.id: s for s in segments}
            models = StoredModels(store, book)
            explained = []
            for x in shown:
                began = time.perf_counter()
                got = models.with_evidence(by_id[x.segment_id], [x])
                explained.append(time.perf_counter() - began)
                assert got[0].features, "no evidence computed"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end", file=sys.stderr)
    print("| figure | wall clock | CPU time |")
    print("|---|--:|--:|")
    print(f"| corpus: {args.words:,} words generated; {len(segments):,} participant "
          f"segments, {words:,} words | | |")
    print(f"| import scikit-learn (once per process, before training) | {imported:.1f} s | |")
    print(f"| train on {learner.decisions:,} decisions, {len(codes)} codes "
          f"({len(learner.abstaining())} abstaining) | {trained:.1f} s | "
          f"{trained_cpu:.1f} s (its processes too) |")
    for evidence, (wall, cpu_s, found) in timed.items():
        what = "with evidence for every suggestion (before)" if evidence else \
            "probabilities only (stored now)"
        print(f"| predict, one process, {what}; {found:,} suggestions | "
              f"{words / wall:,.0f} words/s | {words / cpu_s:,.0f} words/s |")
    print(f"| predict and store (`suggest --learn-from` after its training), {jobs} "
          f"process(es) | {words / parallel[0]:,.0f} words/s | {words / parallel[1]:,.0f} "
          "words/s (all processes) |")
    print(f"| `qualkit suggest --learn-from` whole, {stored_count:,} stored (start, "
          f"train, predict, store; {args.jobs or 'default'} job(s)) | {whole:.1f} s | "
          f"{whole_cpu:.1f} s (all its processes) |")
    if explained:
        rest = sorted(explained[1:])
        print(f"| evidence of one shown suggestion (`--explain`): the first / median of "
              f"the next {len(rest)} | {explained[0] * 1000:,.0f} ms / "
              f"{rest[len(rest) // 2] * 1000:,.0f} ms | |" if rest else
              f"| evidence of one shown suggestion | {explained[0] * 1000:,.0f} ms | |")
    print(f"| peak memory of `suggest --learn-from` (its largest process, from /proc) | "
          f"{learn_peak:,.0f} MiB | |")
    print(f"| peak memory of this benchmark's process (corpus, keyword suggestions, the "
          f"timings above) | {peak:,.0f} MiB | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
