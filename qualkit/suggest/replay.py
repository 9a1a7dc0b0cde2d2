"""``suggest --evaluate --coder NAME --replay``: the learned suggester as the coder would
have met it.

A split by transcripts says how good a model trained on a fixed share is; a coder meets a
model that starts knowing nothing and learns as they code. The replay walks the coder's
segments in the order of their first decision, predicts each before its decision is
revealed, and retrains every ``every`` decisions on what has been revealed so far (as
``qualkit tag`` would). It reports:

- per code, F1 and Cohen's kappa between the model's suggestions and the coder's final
  decisions (segments before the first model count as "nothing suggested");
- how often the most probable suggestion was one of the codes the coder applied, over the
  segments that had a suggestion and a code;
- after how many decisions Cohen's kappa over the last ``every`` segments (all codes
  pooled, each code a yes/no) first reached 0.6, or None.

Cohen's kappa is :func:`qualkit.agreement.coefficients.cohen_kappa` (Cohen 1960).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from qualkit.errors import QualkitError
from qualkit.model import Codebook
from qualkit.store import Store
from qualkit.suggest.engine import is_moderator
from qualkit.suggest.evaluate import Counts, Scores, check_coder
from qualkit.suggest.learn import Learner

KAPPA_TARGET = 0.6


@dataclass(frozen=True)
class Replay:
    coder: str
    decisions: int
    every: int
    retrained: int
    scores: Scores
    kappa: dict[str, float | None]
    top_right: int
    top_shown: int
    reached_target_after: int | None

    def as_dict(self) -> dict[str, object]:
        per_code = self.scores.as_dict()["per_code"]
        assert isinstance(per_code, dict)
        return {"coder": self.coder, "decisions": self.decisions, "every": self.every,
                "retrained": self.retrained,
                "overall": self.scores.overall().scores(),
                "per_code": {code: {**s, "kappa": self.kappa[code]}
                             for code, s in per_code.items()},
                "top_suggestion": {"right": self.top_right, "shown": self.top_shown,
                                   "share": round(self.top_right / self.top_shown, 4)
                                   if self.top_shown else None},
                "kappa_target": KAPPA_TARGET,
                "decisions_to_kappa_target": self.reached_target_after}


def _kappa(pairs: list[tuple[int, int]]) -> float | None:
    from qualkit.agreement.coefficients import cohen_kappa

    if not pairs:
        return None
    value = cohen_kappa(pairs, categories=[0, 1])
    return None if math.isnan(value) else round(value, 4)


def replay(store: Store, codebook: Codebook, coder: str, every: int = 200,
           progress: Callable[[int, int], None] | None = None) -> Replay:
    if every < 10:
        raise QualkitError(f"--every {every} is too small: retraining after fewer than 10 "
                           "decisions learns nothing new; give 50 or more")
    check_coder(store, coder)
    roster = store.participants()
    decisions = store.codings(coder)
    every_segment = store.segments()
    by_id = {s.id: s for s in every_segment}
    order: list[int] = []
    seen: set[int] = set()
    for event in store.events(coder):
        seg = event.segment_id
        if seg not in seen and seg in decisions and seg in by_id \
                and not is_moderator(by_id[seg].speaker, roster):
            seen.add(seg)
            order.append(seg)
    codes = [code.id for code in codebook.codes]
    scores = Scores({code: Counts() for code in codes})
    pairs: dict[str, list[tuple[int, int]]] = {code: [] for code in codes}
    learner: Learner | None = None
    retrained = top_right = top_shown = 0
    reached: int | None = None
    steps = math.ceil(len(order) / every)
    for start in range(0, len(order), every):
        if start:
            revealed = [by_id[s] for s in order[:start]]
            if len({s.transcript_id for s in revealed}) >= 2:
                learner = Learner(codebook, roster).fit(revealed, decisions, every_segment)
                retrained += 1
        chunk = [by_id[s] for s in order[start:start + every]]
        if learner is not None:
            probs, _, _, model_codes = learner.probabilities(chunk, every_segment)
        window: list[tuple[int, int]] = []
        for i, seg in enumerate(chunk):
            actual = decisions[seg.id].codes
            found: dict[str, float] = {}
            if learner is not None:
                for j, code in enumerate(model_codes):
                    m = learner.models[code]
                    if m.model is not None and probs[i, j] >= m.threshold:
                        found[code] = float(probs[i, j])
            for code in codes:
                predicted, applied = code in found, code in actual
                scores.per_code[code].add(predicted, applied)
                pairs[code].append((int(predicted), int(applied)))
                window.append((int(predicted), int(applied)))
            if found and actual:
                top_shown += 1
                top_right += max(found, key=lambda c: (found[c], c)) in actual
        if reached is None and learner is not None:
            value = _kappa(window)
            if value is not None and value >= KAPPA_TARGET:
                reached = start
        if progress:
            progress(start // every + 1, steps)
    return Replay(coder=coder, decisions=len(order), every=every, retrained=retrained,
                  scores=scores, kappa={code: _kappa(pairs[code]) for code in codes},
                  top_right=top_right, top_shown=top_shown, reached_target_after=reached)
