"""How good are the suggestions? Precision, recall and F1 against a person's decisions.

The yardstick is a coder's current decisions on the segments they reviewed (participants'
segments only: moderators are not suggested on). The baseline is what QDA tools call
"auto-code": case-insensitive substring search for the same keywords. Both are scored on
the same segments with the same formulas, so the comparison is fair to the baseline:

- precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2PR / (P + R), per code;
- overall scores are micro-averaged: TP, FP and FN summed over codes first.

A ratio with a zero denominator is reported as 0.0 (no prediction or no positive: nothing
was found right), which is scikit-learn's ``zero_division=0`` convention.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from qualkit.errors import NotFoundError
from qualkit.model import Codebook
from qualkit.store import Store
from qualkit.suggest.engine import is_moderator


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: bool, actual: bool) -> None:
        if predicted and actual:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif actual:
            self.fn += 1

    def scores(self) -> dict[str, float | int]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": round(precision, 4), "recall": round(recall, 4),
                "f1": round(f1, 4), "support": self.tp + self.fn}


@dataclass
class Scores:
    per_code: dict[str, Counts] = field(default_factory=dict)

    def overall(self) -> Counts:
        total = Counts()
        for c in self.per_code.values():
            total.tp, total.fp, total.fn = total.tp + c.tp, total.fp + c.fp, total.fn + c.fn
        return total

    def as_dict(self) -> dict[str, object]:
        return {"overall": self.overall().scores(),
                "per_code": {code: c.scores() for code, c in self.per_code.items()}}


@dataclass(frozen=True)
class Evaluation:
    coder: str
    segments: int
    min_score: float
    engine: Scores
    baseline: Scores

    def as_dict(self) -> dict[str, object]:
        return {"coder": self.coder, "segments": self.segments, "min_score": self.min_score,
                "engine": self.engine.as_dict(), "baseline": self.baseline.as_dict()}


def substring_baseline(text: str, keywords: Mapping[str, tuple[str, ...]]) -> set[str]:
    """Codes whose keywords occur anywhere in the text, ignoring case (QDA "auto-code")."""
    lower = text.lower()
    return {code for code, words in keywords.items() if any(w.lower() in lower for w in words)}


def check_coder(store: Store, coder: str) -> None:
    if coder not in store.coders():
        raise NotFoundError(f"no coder named {coder!r}; coders: "
                            f"{', '.join(store.coders()) or 'none yet'}")


def evaluate(store: Store, codebook: Codebook, coder: str, min_score: float = 0.0,
             transcripts: AbstractSet[int] | None = None) -> Evaluation:
    """Score stored suggestions (run suggest first) and the baseline against ``coder``,
    on the segments of ``transcripts`` only, if given (the test part of a split)."""
    check_coder(store, coder)
    roster = store.participants()
    decisions = store.codings(coder)
    predicted: dict[int, set[str]] = {}
    for s in store.suggestions(codebook.version):
        if s.score >= min_score:
            predicted.setdefault(s.segment_id, set()).add(s.code_id)
    keywords = {code.id: code.keywords for code in codebook.codes}
    engine = Scores({code.id: Counts() for code in codebook.codes})
    baseline = Scores({code.id: Counts() for code in codebook.codes})
    segments = [s for s in store.segments(transcripts)
                if s.id in decisions and not is_moderator(s.speaker, roster)]
    for seg in segments:
        actual = decisions[seg.id].codes
        found = predicted.get(seg.id, set())
        naive = substring_baseline(seg.text, keywords)
        for code in keywords:
            engine.per_code[code].add(code in found, code in actual)
            baseline.per_code[code].add(code in naive, code in actual)
    return Evaluation(coder=coder, segments=len(segments), min_score=min_score, engine=engine,
                      baseline=baseline)
