"""Key press to next segment on screen in ``qualkit tag``, on a 100k-segment project.

``python -m benchmarks.tag_latency [--segments 100000] [--presses 300]``

The project is built straight through the store (import and suggest have their own
benchmarks): 100 transcripts of sentence segments in turns of one to four sentences, the
sample codebook, and a suggestion on every fifth segment. The real Textual app then runs
headless at 80x24 and each measured step is from the moment a key is handed to the app
until the first screen update showing the decision's result is written to the driver (the
app's ``_display``): ``n`` (decide "none apply": one transaction, then the next segment)
and ``s`` (skip). The pilot's own waiting after the key is not counted; for comparison the
whole pilot round trip (press, then wait until idle) is reported too.

``--retrain-every N`` measures the same keys while the learned suggester retrains in the
background (issue 25: "without delaying a key"). The sentences are then drawn from the
sample study's word chains (:mod:`benchmarks.corpus`: a realistic vocabulary, so fitting
and predicting cost what they would), and the coder ``bench`` has already decided the first
``--decided`` segments, applying each code whose keyword the segment contains (codes a
model can learn). The session opens with ``qualkit tag``'s retrainer and keeper, so the
first decision starts a training, and each later one once N more decisions are in. Presses
made while a training (and the keeper's prediction of every unreviewed segment) runs are
reported apart from the others.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from qualkit.codebook.versions import register_codebook
from qualkit.coding.session import TaggingSession
from qualkit.coding.tui import TaggingApp
from qualkit.model import Evidence, MatchKind, Suggestion, Turn
from qualkit.project import Project
from qualkit.store import open_store
from qualkit.suggest import learn_project

REPO = Path(__file__).resolve().parent.parent
WORDS = ["mentor", "mentee", "explain", "teach", "confident", "anatomy", "exam", "session",
         "week", "felt", "learn", "practice", "suture", "patient", "group", "time", "stress",
         "support", "question", "answer"]


def build(root: Path, segments: int, seed: int = 1, realistic: bool = False) -> Project:
    rng = random.Random(seed)
    writer = None
    if realistic:
        from benchmarks.corpus import _Writer, sample_model

        model = sample_model()
        writer = _Writer(model, rng)
    for folder in ("codebooks", "transcripts", "exports"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "codebooks" / "mentoring.yaml").write_text(
        (REPO / "codebooks" / "mentoring.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    project = Project(root)
    store = open_store(project.database)
    book, _ = register_codebook(store, project, root / "codebooks" / "mentoring.yaml")
    per = segments // 100
    codes = [c.id for c in book.codes]
    with store.transaction() as conn:
        for n in range(100):
            parts: list[str] = []
            turns: list[Turn] = []
            spans: list[tuple[int, int, int, str]] = []
            pos = 0
            while len(spans) < per:
                speaker = f"P{rng.randint(1, 12):02d}"
                start = pos
                for _ in range(rng.randint(1, 4)):
                    if len(spans) >= per:
                        break
                    sentence = (" ".join(writer.sentence(model.participant)) if writer
                                else " ".join(rng.choices(WORDS, k=rng.randint(6, 25))) + ".")
                    spans.append((len(turns), pos, pos + len(sentence), speaker))
                    parts.append(sentence + " ")
                    pos += len(sentence) + 1
                turns.append(Turn(0, len(turns), speaker, start, pos - 1))
                parts.append("\n")
                pos += 1
            store.add_transcript(conn, name=f"FG{n:03d}", source=f"transcripts/FG{n:03d}.txt",
                                 sha256=f"{n:064d}", text="".join(parts), attributes={},
                                 turns=turns, spans=spans)
    ids = [s.id for s in store.segments()]
    found = [Suggestion(i, rng.choice(codes), 0.5,
                        (Evidence("teach", "teach", MatchKind.LEMMA, 0, 5),))
             for i in ids[::5]]
    with store.transaction() as conn:
        store.save_suggestions(conn, book.version, ids, found)
    store.close()
    return project


def decide_first(project: Project, count: int, coder: str = "bench") -> int:
    """``coder``'s decisions on the first ``count`` segments: each code whose keyword the
    segment contains (a code a model can learn), or none. Returns the codes applied."""
    from qualkit.codebook.versions import active_codebook
    from qualkit.model import CodingAction, CodingEvent

    store = open_store(project.database)
    book = active_codebook(store)
    assert book is not None
    at = datetime(2026, 1, 1, tzinfo=UTC)
    events, applied = [], 0
    for seg in store.segments()[:count]:
        text = f" {seg.text.lower()} "
        codes = [c.id for c in book.codes if any(f" {k.lower()}" in text for k in c.keywords)]
        applied += len(codes)
        events += ([CodingEvent(seg.id, coder, CodingAction.APPLY, c, book.version, "manual",
                                at) for c in codes]
                   or [CodingEvent(seg.id, coder, CodingAction.REVIEWED_NONE, None,
                                   book.version, "manual", at)])
    with store.transaction() as conn:
        store.append_events(conn, events)
    store.close()
    return applied


class _Timed(TaggingApp):
    """Notes when the first screen update after a key press reaches the driver."""

    pressed: float | None = None
    shown: float | None = None

    def _do(self, step):  # type: ignore[no-untyped-def]
        self.acted = True
        super()._do(step)

    def _display(self, screen, renderable):  # type: ignore[no-untyped-def]
        super()._display(screen, renderable)
        if getattr(self, "acted", False) and self.shown is None:
            self.shown = time.perf_counter()
            self.acted = False


async def measure(project: Project, presses: int, retrain_every: int = 0
                  ) -> dict[str, list[float]]:
    from qualkit.codebook.versions import active_codebook

    store = open_store(project.database)
    book = active_codebook(store)
    assert book is not None
    started = time.perf_counter()
    retrainer = (learn_project.retrainer(store, book, "bench", retrain_every)
                 if retrain_every else None)
    session = TaggingSession(store, book, "bench", retrainer=retrainer)
    opened = time.perf_counter() - started
    times: dict[str, list[float]] = {"open": [opened], "n": [], "s": [], "pilot": [],
                                     "training": [], "idle": [], "retrained": []}
    app = _Timed(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for i in range(presses):
            key = "n" if i % 2 == 0 else "s"
            app.shown = None
            training = session.retraining
            t0 = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            assert app.shown is not None, "no screen update after the key"
            times[key].append(app.shown - t0)
            times["pilot"].append(time.perf_counter() - t0)
            if retrainer is not None:
                times["training" if training else "idle"].append(app.shown - t0)
        if retrainer is not None and retrainer.model is not None:
            times["retrained"].append(retrainer.model.generation)
    store.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--presses", type=int, default=300)
    parser.add_argument("--retrain-every", type=int, default=0,
                        help="retrain in the background every N decisions (see above)")
    parser.add_argument("--decided", type=int, default=2000,
                        help="with --retrain-every: decisions made before the session")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        project = build(Path(tmp), args.segments, realistic=bool(args.retrain_every))
        if args.retrain_every:
            applied = decide_first(project, args.decided)
            print(f"bench decided {args.decided:,} segments ({applied:,} codes applied); "
                  f"retraining every {args.retrain_every} decisions")
        built = time.perf_counter() - t0
        times = asyncio.run(measure(project, args.presses, args.retrain_every))
    print(f"qualkit tag latency, {args.segments:,} segments, {args.presses} presses, "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC (project built in {built:.1f} s)")
    print(f"session open (load {args.segments:,} segments): {times['open'][0] * 1000:.0f} ms")
    if args.retrain_every:
        print(f"trainings finished during the presses: "
              f"{times['retrained'][0] if times['retrained'] else 0}")
    for key, label in (("n", "n (none apply: save + next)"), ("s", "s (skip: next)"),
                       ("pilot", "pilot round trip (either key)"),
                       ("training", "either key, while training"),
                       ("idle", "either key, no training")):
        values = sorted(times[key])
        if not values:
            continue
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        print(f"{label:<30} p50 {statistics.median(values) * 1000:6.1f} ms   "
              f"p95 {p95 * 1000:6.1f} ms   max {values[-1] * 1000:6.1f} ms   "
              f"({len(values)} presses)")


if __name__ == "__main__":
    main()
