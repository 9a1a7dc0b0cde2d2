"""How fast the learned suggester trains and predicts: ``python -m benchmarks.learned_speed``.

The issue's targets: training on 10,000 decisions in under 10 s; predicting at 200,000
words/s or more on 2 cores; under 1 GB of memory at 10M words. The corpus is the
benchmark generator's (:mod:`benchmarks.corpus`, 100-code codebook), imported into a
temporary project; a coder's decisions on the first ``--decisions`` participant segments
are made from the keyword engine's suggestions, with a share flipped at random (what they
say does not matter for speed, only that every code has positives and negatives). Then:

- **train**: :func:`qualkit.suggest.learn_project.train` (features, cross-validated
  thresholds for every code, the averaged fold models);
- **predict**: the learned suggestions with their evidence for every participant segment
  (:meth:`Learner.suggest`, in batches of whole transcripts), words of those segments per
  second; storing them is timed apart.

Wall-clock and CPU times are both given: on a shared machine the CPU time of the
process is the fairer figure (the work is single-threaded). Peak memory is the process's
largest resident set (``ru_maxrss``) over the whole run,
import included.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from qualkit.model import CodingAction, CodingEvent


def _words(text: str) -> int:
    return len(text.split())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.learned_speed",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--decisions", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from benchmarks.corpus import generate_corpus
    from qualkit.codebook.versions import project_codebook
    from qualkit.ingest.importer import import_transcripts
    from qualkit.model import Unit
    from qualkit.project import init
    from qualkit.suggest.engine import is_moderator, suggest_project
    from qualkit.suggest.learn_project import _batches, learn_from, train

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
            began, cpu = time.perf_counter(), time.process_time()
            learner = train(store, book, "speed")
            trained, trained_cpu = time.perf_counter() - began, time.process_time() - cpu
            every = store.segments()
            wanted = {s.id for s in segments}
            print("predicting...", file=sys.stderr)
            began, cpu = time.perf_counter(), time.process_time()
            found = 0
            for batch in _batches(every):
                found += len(learner.suggest([s for s in batch if s.id in wanted], "speed",
                                             batch))
            predicted, predicted_cpu = time.perf_counter() - began, time.process_time() - cpu
            words = sum(_words(s.text) for s in segments)
            began = time.perf_counter()
            stored = learn_from(store, book, "speed")
            whole = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("| figure | wall clock | CPU time of this process |")
    print("|---|--:|--:|")
    print(f"| corpus: {args.words:,} words generated; {len(segments):,} participant "
          f"segments, {words:,} words | | |")
    print(f"| train on {learner.decisions:,} decisions, {len(codes)} codes "
          f"({len(learner.abstaining())} abstaining) | {trained:.1f} s | "
          f"{trained_cpu:.1f} s |")
    print(f"| predict with evidence ({found:,} suggestions) | {words / predicted:,.0f} "
          f"words/s | {words / predicted_cpu:,.0f} words/s |")
    print(f"| `suggest --learn-from` whole (train, predict, store {stored.suggestions:,}) | "
          f"{whole:.1f} s | |")
    print(f"| peak memory (whole run) | {peak:,.0f} MiB | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
