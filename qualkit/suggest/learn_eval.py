"""Honest evaluation of the learned suggester: train on some of a coder's transcripts,
score on the others.

The split is by **whole transcripts**, seeded: the sentences of one transcript share a
speaker, a topic and the coder's mood that day, so a model trained on some of them and
scored on their neighbours looks better than it will be on the next study. The keyword
engine and the substring baseline are scored on the same test transcripts, with the same
formulas (:mod:`qualkit.suggest.evaluate`), so the three columns compare like with like.
Thresholds are chosen inside the training part (:mod:`qualkit.suggest.learn`); nothing is
tuned on the test part.

The learning curve retrains on the first 200, 500, 1,000, 2,000, ... training decisions,
taken transcript by transcript in the seeded order, and scores each on the same test part.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from qualkit.errors import QualkitError
from qualkit.model import Codebook, Coding, Segment
from qualkit.store import Store
from qualkit.suggest.evaluate import Counts, Evaluation, Scores, evaluate
from qualkit.suggest.learn import Learner
from qualkit.suggest.learn_project import material

CURVE_STEPS = (200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)


@dataclass(frozen=True)
class Split:
    """Transcript ids for training and for testing."""

    train: tuple[int, ...]
    test: tuple[int, ...]


@dataclass
class LearnedEvaluation:
    """The engine and baseline on the test transcripts, and the learner beside them."""

    base: Evaluation
    learned: Scores
    train_transcripts: int
    train_decisions: int
    test_transcripts: int
    train_share: float
    seed: int
    abstaining: dict[str, str]
    curve: list[dict[str, float | int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        data = self.base.as_dict()
        learned: dict[str, object] = {
            **self.learned.as_dict(),
            "train": {"transcripts": self.train_transcripts,
                      "decisions": self.train_decisions},
            "test": {"transcripts": self.test_transcripts, "segments": self.base.segments},
            "train_share": self.train_share, "seed": self.seed,
            "abstaining": self.abstaining}
        if self.curve:
            learned["curve"] = self.curve
        data["learned"] = learned
        return data


def split_transcripts(ids: Sequence[int], share: float, seed: int) -> Split:
    """A seeded share of transcripts for training (at least one), the rest for testing
    (at least one)."""
    if not 0 < share < 1:
        raise QualkitError(f"--train-share {share} is not between 0 and 1; give the share "
                           "of transcripts to train on, such as 0.2")
    if len(ids) < 2:
        raise QualkitError(f"the coder reviewed segments in {len(ids)} transcript(s); "
                           "evaluating what is learned needs at least 2 (one to train on, "
                           "one to test on): code more transcripts first")
    order = sorted(ids)
    random.Random(seed).shuffle(order)
    n = min(max(1, round(share * len(order))), len(order) - 1)
    return Split(tuple(order[:n]), tuple(order[n:]))


def scores_of(predicted: Mapping[int, set[str]], segments: Sequence[Segment],
              decisions: Mapping[int, Coding], codes: Sequence[str]) -> Scores:
    result = Scores({code: Counts() for code in codes})
    for seg in segments:
        found = predicted.get(seg.id, set())
        actual = decisions[seg.id].codes
        for code in codes:
            result.per_code[code].add(code in found, code in actual)
    return result


def evaluate_learned(store: Store, codebook: Codebook, coder: str, *,
                     train_share: float = 0.2, seed: int = 0, curve: bool = False,
                     min_score: float = 0.0,
                     progress: Callable[[int, int], None] | None = None
                     ) -> LearnedEvaluation:
    """Train on ``coder``'s decisions in a seeded share of the transcripts they reviewed,
    score the learner, the stored keyword suggestions (run suggest first) and the
    baseline on the other transcripts."""
    m = material(store, coder)
    roster, decisions, every, reviewed = m.roster, m.decisions, m.every, m.reviewed
    split = split_transcripts(sorted({s.transcript_id for s in reviewed}), train_share, seed)
    rank = {tid: i for i, tid in enumerate(split.train)}
    train = sorted((s for s in reviewed if s.transcript_id in rank),
                   key=lambda s: rank[s.transcript_id])  # stable: reading order inside
    test_ids = set(split.test)
    test = [s for s in reviewed if s.transcript_id in test_ids]
    codes = [code.id for code in codebook.codes]
    sizes = [*(n for n in CURVE_STEPS if n < len(train)), len(train)] if curve else []
    learner = Learner(codebook, roster).fit(train, decisions, every)
    learned = scores_of(learner.predict(test, every), test, decisions, codes)
    if progress:
        progress(1, 1 + len(sizes))
    points = []
    if curve:
        for step, n in enumerate(sizes, start=2):
            part = Learner(codebook, roster).fit(train[:n], decisions, every)
            overall = scores_of(part.predict(test, every), test, decisions, codes
                                ).overall().scores()
            points.append({"decisions": n,
                           "transcripts": len({s.transcript_id for s in train[:n]}),
                           "precision": overall["precision"], "recall": overall["recall"],
                           "f1": overall["f1"]})
            if progress:
                progress(step, 1 + len(sizes))
    base = evaluate(store, codebook, coder, min_score, transcripts=test_ids)
    return LearnedEvaluation(base=base, learned=learned, train_transcripts=len(split.train),
                             train_decisions=len(train), test_transcripts=len(split.test),
                             train_share=train_share, seed=seed,
                             abstaining=learner.abstaining(), curve=points)
