"""The learned suggester: one linear model per code, trained on one coder's decisions.

A coder's decisions are the best evidence there is of what they mean by a code: every
segment they applied a code to is a positive, every segment they reviewed without it
(reviewed, none apply, or other codes only) a negative. Segments they never reviewed are
missing data and are not used.

How, and why so:

- **Logistic regression** per code over :mod:`qualkit.suggest.features` (fitted in
  :mod:`qualkit.suggest.fit`, with its threshold and abstention): linear, so every
  suggestion can say which of its features weighed most, and trained in seconds on tens of
  thousands of decisions on a laptop; probabilities, not just scores.
- **A threshold per code, by cross-validation on the training transcripts**, and
  **abstaining** when a code has too few examples or too low a held-out F1: see
  :mod:`qualkit.suggest.fit`. Nothing of the segments being predicted is looked at.

Everything runs locally: no text leaves the machine and no model is downloaded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qualkit.model import Codebook, Coding, LearnedSuggestion, Participant, Segment
from qualkit.suggest.features import Example, Featurizer, examples, keyword_scores
from qualkit.suggest.fit import CodeModel, fit_codes, folds_of

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

TOP_FEATURES = 5
SIMILAR = 3


@dataclass(frozen=True)
class Linear:
    """A fitted linear model as prediction and evidence need it (what a stored model
    is rebuilt into: the same attributes as scikit-learn's)."""

    coef_: Any
    intercept_: Any


@dataclass
class Learner:
    """Models for every code of a codebook, trained on one coder's decisions."""

    codebook: Codebook
    roster: Mapping[str, Participant]
    featurizer: Featurizer | None = None
    models: dict[str, CodeModel] = field(default_factory=dict)
    train_ids: list[int] = field(default_factory=list)
    train_words: Any = None
    train_labels: dict[str, Any] = field(default_factory=dict)
    decisions: int = 0
    transcripts: int = 0
    matcher: Any = None
    train_transcripts: list[int] = field(default_factory=list)
    train_source: Callable[[Sequence[int]], Sequence[Segment]] | None = field(
        default=None, repr=False)
    """For a stored model (no word matrix of the training segments): reads the segments
    of the training transcripts, for the similar segments of the evidence."""
    _weights: Any = field(default=None, repr=False)
    _like: dict[str, tuple[Any, Any]] = field(default_factory=dict, repr=False)
    _column: dict[str, int] = field(default_factory=dict, repr=False)
    _train_text: dict[int, str] | None = field(default=None, repr=False)

    def _keyword_scores(self, segments: Sequence[Segment]) -> list[dict[str, float]]:
        if self.matcher is None and any(code.keywords for code in self.codebook.codes):
            from qualkit.suggest.engine import KeywordMatcher

            self.matcher = KeywordMatcher(self.codebook)
        return keyword_scores(self.codebook, segments, self.matcher)

    def fit(self, segments: Sequence[Segment], decisions: Mapping[int, Coding],
            context: Sequence[Segment] | None = None) -> Learner:
        """Train on the ``segments`` (in reading order) that ``decisions`` cover;
        ``context`` is every segment of their transcripts, in reading order, for the
        previous turns (default: ``segments``)."""
        import numpy as np

        reviewed = [s for s in segments if s.id in decisions]
        exs = _examples_for(reviewed, context or segments, self.roster)
        self.decisions = len(reviewed)
        self.transcripts = len({s.transcript_id for s in reviewed})
        self.featurizer = Featurizer(self.codebook).fit(exs)
        x, words = self.featurizer.transform(exs, self._keyword_scores(reviewed))
        groups = np.array([s.transcript_id for s in reviewed])
        self.train_ids = [s.id for s in reviewed]
        self.train_transcripts = sorted(set(groups.tolist()))
        self.train_words = words
        folds = folds_of(x, groups)  # the same for every code: sliced once
        labels = {code.id: np.array([code.id in decisions[s.id].codes for s in reviewed],
                                    dtype=bool) for code in self.codebook.codes}
        self.train_labels = labels
        self._weights, self._like, self._train_text = None, {}, None  # of the previous one
        self.models = {m.code_id: m for m in fit_codes(labels, groups, folds)}
        return self

    def state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(JSON, arrays) that :meth:`from_state` rebuilds this learner from: the
        featurizer's blocks, each code's weights (as the product applies them),
        intercept, threshold, cross-validated F1 and reason, and the training segments
        with their labels (for the similar segments of the evidence). No pickle: see
        :mod:`qualkit.suggest.model_file`."""
        import numpy as np

        assert self.featurizer is not None, "fit first"
        meta, arrays = self.featurizer.state()
        live, weights, intercepts = self._stacked()
        codes = list(self.models)
        meta["codes"] = [{"code_id": m.code_id, "positives": m.positives,
                          "negatives": m.negatives, "threshold": m.threshold,
                          "cv_f1": m.cv_f1, "reason": m.reason,
                          "learned": m.model is not None} for m in self.models.values()]
        meta["decisions"], meta["transcripts"] = self.decisions, self.transcripts
        arrays["weights"] = np.ascontiguousarray(weights, dtype=np.float32)
        arrays["intercepts"] = np.asarray(intercepts, dtype=np.float64)
        arrays["train_ids"] = np.asarray(self.train_ids, dtype=np.int64)
        arrays["train_transcripts"] = np.asarray(self.train_transcripts, dtype=np.int64)
        arrays["train_labels"] = (np.column_stack([self.train_labels[c] for c in codes])
                                  if codes and self.train_ids
                                  else np.zeros((len(self.train_ids), len(codes)), bool))
        assert [codes[j] for j in live] == [c["code_id"] for c in meta["codes"]
                                            if c["learned"]]
        return meta, arrays

    @classmethod
    def from_state(cls, codebook: Codebook, roster: Mapping[str, Participant],
                   meta: Mapping[str, Any], arrays: Mapping[str, Any],
                   train_source: Callable[[Sequence[int]], Sequence[Segment]] | None = None
                   ) -> Learner:
        """A learner as :meth:`state` kept it, predicting the same probabilities."""
        import numpy as np

        featurizer = Featurizer.from_state(codebook, meta, arrays)
        weights, intercepts = arrays["weights"], arrays["intercepts"]
        models: dict[str, CodeModel] = {}
        k = 0
        for c in meta["codes"]:
            model = None
            if c["learned"]:
                model = Linear(weights[:, k][None, :], intercepts[k:k + 1])
                k += 1
            models[c["code_id"]] = CodeModel(c["code_id"], c["positives"], c["negatives"],
                                             c["threshold"], c["cv_f1"], model, c["reason"])
        labels = arrays["train_labels"]
        learner = cls(codebook, roster, featurizer, models,
                      train_ids=arrays["train_ids"].tolist(),
                      train_transcripts=arrays["train_transcripts"].tolist(),
                      train_labels={code: np.asarray(labels[:, j], dtype=bool)
                                    for j, code in enumerate(models)},
                      decisions=int(meta["decisions"]), transcripts=int(meta["transcripts"]),
                      train_source=train_source)
        live = [j for j, code in enumerate(models) if models[code].model is not None]
        learner._weights = (live, weights, intercepts)
        learner._column = {code: k for k, code in enumerate(
            code for code in models if models[code].model is not None)}
        return learner

    def abstaining(self) -> dict[str, str]:
        """Codes without learned suggestions, with the reason (for screens)."""
        return {c: m.reason for c, m in self.models.items() if m.model is None}

    def features(self, segments: Sequence[Segment],
                 context: Sequence[Segment] | None = None) -> tuple[Any, Any]:
        """(every feature, the word TF-IDF alone) of the segments, as trained."""
        assert self.featurizer is not None, "fit first"
        exs = _examples_for(segments, context or segments, self.roster)
        return self.featurizer.transform(exs, self._keyword_scores(segments))

    def probabilities(self, segments: Sequence[Segment],
                      context: Sequence[Segment] | None = None
                      ) -> tuple[Any, Any, Any, list[str]]:
        """(probability matrix segments x codes, features, word matrix, code ids); an
        abstaining code's column is 0. Every code at once: one product of the features
        with the stacked weights (a hundred ``predict_proba`` calls each re-read the
        features)."""
        import numpy as np

        x, words = self.features(segments, context)
        codes = list(self.models)
        probs = np.zeros((len(segments), len(codes)), dtype=np.float32)
        live, weights, intercepts = self._stacked()
        if live and len(segments):
            probs[:, live] = _expit(np.asarray(x @ weights) + intercepts)
        return probs, x, words, codes

    def _stacked(self) -> tuple[list[int], Any, Any]:
        """(columns of the codes with a model, their weights as features x codes, their
        intercepts), built once per training. Weights as float32, as the features are:
        the product reads half the memory, and a stored model keeps exactly these."""
        import numpy as np

        if self._weights is None:
            codes = list(self.models)
            live = [j for j, c in enumerate(codes) if self.models[c].model is not None]
            width = len(self.featurizer.names) if self.featurizer else 0
            weights = (np.column_stack([self.models[codes[j]].model.coef_[0] for j in live])
                       .astype(np.float32) if live else np.zeros((width, 0), np.float32))
            intercepts = np.array([self.models[codes[j]].model.intercept_[0] for j in live],
                                  dtype=np.float64)
            self._column = {codes[j]: k for k, j in enumerate(live)}
            self._weights = (live, weights, intercepts)
        return self._weights

    def predict(self, segments: Sequence[Segment],
                context: Sequence[Segment] | None = None) -> dict[int, set[str]]:
        """Codes suggested per segment id: probability at or above the code's threshold."""
        probs, _, _, codes = self.probabilities(segments, context)
        out: dict[int, set[str]] = {}
        for j, code in enumerate(codes):
            m = self.models[code]
            if m.model is None:
                continue
            for i in (probs[:, j] >= m.threshold).nonzero()[0]:
                out.setdefault(segments[int(i)].id, set()).add(code)
        return out

    def kept(self, segments: Sequence[Segment], context: Sequence[Segment] | None = None
             ) -> list[tuple[int, list[tuple[str, float]]]]:
        """(segment id, [(code, probability), ...] most probable first) for the segments
        with a code at or above its threshold, in the order given: what
        ``suggest --learn-from`` stores, as :meth:`suggest` without evidence would give
        it, without an object per suggestion."""
        import numpy as np

        probs, _, _, codes = self.probabilities(segments, context)
        live, _, _ = self._stacked()
        if not live or not len(segments):
            return []
        cut = np.array([self.models[codes[j]].threshold for j in live], dtype=np.float32)
        sub = probs[:, live]
        rows, cols = (sub >= cut).nonzero()
        values = sub[rows, cols].astype(np.float64).round(4)
        names = [codes[j] for j in live]
        out: list[tuple[int, list[tuple[str, float]]]] = []
        last = -1
        for r, c, p in zip(rows.tolist(), cols.tolist(), values.tolist(), strict=True):
            if r != last:
                out.append((segments[r].id, []))
                last = r
            out[-1][1].append((names[c], p))
        for _, items in out:
            if len(items) > 1:
                items.sort(key=lambda item: (-item[1], item[0]))
        return out

    def suggest(self, segments: Sequence[Segment], coder: str,
                context: Sequence[Segment] | None = None, *, evidence: bool = True
                ) -> list[LearnedSuggestion]:
        """Learned suggestions (this model learned from ``coder``), per segment the most
        probable first; with their evidence unless ``evidence`` is False.

        ``suggest --learn-from`` stores probabilities only: evidence is computed when a
        suggestion is shown, from the stored model (it cost more than every probability
        when built for every suggestion). When asked for, it is computed for the
        suggestions kept only, a code at a time over all of its hits."""
        import numpy as np

        probs, x, words, codes = self.probabilities(segments, context)
        assert self.featurizer is not None
        names = self.featurizer.names
        found: list[LearnedSuggestion] = []
        for j, code in enumerate(codes):
            m = self.models[code]
            if m.model is None:
                continue
            hits = (probs[:, j] >= m.threshold).nonzero()[0]
            if not len(hits):
                continue
            if not evidence:
                column = probs[hits, j].astype(np.float64).round(4).tolist()
                found.extend(LearnedSuggestion(segments[i].id, code, coder, p, (), ())
                             for i, p in zip(hits.tolist(), column, strict=True))
                continue
            top = top_features(x[hits], self._coef(code), TOP_FEATURES)
            positives, like = self._positives(code)
            similar: list[tuple[int, ...]] = [()] * len(hits)
            if like is not None:
                ids = np.asarray(self.train_ids)[positives]
                for chunk in range(0, len(hits), 1000):  # similarities a chunk at a time
                    part = hits[chunk:chunk + 1000]
                    similar[chunk:chunk + len(part)] = most_similar(
                        words[part] @ like, ids,
                        [segments[int(i)].id for i in part], SIMILAR)
            column = probs[hits, j].astype(np.float64).round(4).tolist()
            found.extend(
                LearnedSuggestion(segments[int(i)].id, code, coder, p,
                                  tuple((names[c], w) for c, w in feats), sim)
                for i, p, feats, sim in zip(hits.tolist(), column, top, similar,
                                            strict=True))
        found.sort(key=lambda s: (s.segment_id, -s.probability, s.code_id))
        return found

    def _coef(self, code: str) -> Any:
        """The weights of a code's model, as the product applies them."""
        import numpy as np

        _, weights, _ = self._stacked()
        return np.asarray(weights[:, self._column[code]]) if weights.size else weights

    def _positives(self, code: str) -> tuple[Any, Any]:
        """(training rows the coder gave ``code``, their word TF-IDF transposed for
        products), sliced once per training rather than once per batch. A stored model
        recomputes them from the training segments' text (:attr:`train_source`)."""
        if code not in self._like:
            positives = self.train_labels[code].nonzero()[0]
            if not len(positives):
                self._like[code] = (positives, None)
            elif self.train_words is not None:
                self._like[code] = (positives, self.train_words[positives].T.tocsr())
            else:
                self._like[code] = (positives, self._train_word_rows(positives).T.tocsr())
        return self._like[code]

    def _train_word_rows(self, rows: Any) -> Any:
        """Word TF-IDF of some training segments, from their text."""
        assert self.featurizer is not None and self.train_source is not None
        if self._train_text is None:
            wanted = set(self.train_ids)
            self._train_text = {s.id: s.text
                                for s in self.train_source(self.train_transcripts)
                                if s.id in wanted}
        texts = [self._train_text.get(self.train_ids[int(r)], "") for r in rows]
        return self.featurizer.word_matrix(
            [Example(0, 0, text, "", "", "", False) for text in texts])


def _expit(z: Any) -> Any:
    """The logistic function, as scikit-learn's ``predict_proba`` applies it."""
    from scipy.special import expit

    return expit(z)


def top_features(x: csr_matrix, coef: Any, k: int
                 ) -> list[list[tuple[int, float]]]:
    """Per row of ``x``: up to ``k`` (column, value x weight) that pushed its probability
    up most, largest first (ties in column order), positive ones only."""
    import numpy as np

    x = x.tocsr()
    contrib = x.data.astype(np.float64) * coef[x.indices]
    return [[(c, round(v, 3)) for c, v in row]
            for row in _top_per_row(x.indptr, x.indices, contrib, k)]


def most_similar(sims: Any, ids: Any, segment_ids: Sequence[int], k: int
                 ) -> list[tuple[int, ...]]:
    """Per row of ``sims`` (segments x the coder's segments with the code, as word
    TF-IDF cosines): the ids (``ids``, one per column) of up to ``k`` that read most like
    it, most alike first, similarity above 0, the segment itself (``segment_ids``) left
    out. Which of several equally alike segments is named is not specified: a partial
    sort finds the few most alike without sorting every one (nearly every segment shares
    some word with every other, so the similarities are dense)."""
    import numpy as np

    sims = sims.toarray() if hasattr(sims, "toarray") else np.asarray(sims)
    n = sims.shape[1]
    take = min(k + 1, n)
    if not take:
        return [() for _ in segment_ids]
    cand = (np.argpartition(-sims, take - 1, axis=1)[:, :take] if take < n
            else np.tile(np.arange(n), (sims.shape[0], 1)))
    values = np.take_along_axis(sims, cand, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    cand = np.take_along_axis(cand, order, axis=1)
    values = np.take_along_axis(values, order, axis=1)
    return [tuple(i for i, v in zip(row, vals, strict=True) if v > 0 and i != own)[:k]
            for own, row, vals in zip(segment_ids, ids[cand].tolist(), values.tolist(),
                                      strict=True)]


def _top_per_row(indptr: Any, indices: Any, values: Any, k: int
                 ) -> list[list[tuple[int, float]]]:
    """Per row of a CSR matrix given by its arrays: up to ``k`` (column, value) with the
    largest positive values, largest first, ties in stored order.

    One sort of every positive value at once, by row and then value (the value folded
    into the fraction of a float key: ``row - value / (2 * largest)``); a sort per row,
    or numpy's two-key ``lexsort``, cost several times more with a hundred codes'
    evidence for every suggestion."""
    import numpy as np

    n = len(indptr) - 1
    out: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    rows = np.repeat(np.arange(n), np.diff(indptr))
    positive = (values > 0).nonzero()[0]
    if not len(positive):
        return out
    r, v = rows[positive], values[positive]
    order = np.argsort(r - v / (2 * v.max()), kind="stable")
    r, picked = r[order], positive[order]
    first = np.r_[0, (r[1:] != r[:-1]).nonzero()[0] + 1]
    rank = np.arange(len(r)) - np.repeat(first, np.diff(np.r_[first, len(r)]))
    keep = rank < k
    for row, c, val in zip(r[keep].tolist(), indices[picked[keep]].tolist(),
                           values[picked[keep]].tolist(), strict=True):
        out[row].append((c, val))
    return out


def _examples_for(segments: Sequence[Segment], context: Sequence[Segment],
                  roster: Mapping[str, Participant]) -> list[Example]:
    """Examples of ``segments`` with previous turns read from ``context``."""
    wanted = {s.id for s in segments}
    owners = {s.transcript_id for s in segments}
    context = [s for s in context if s.transcript_id in owners]  # only what is needed
    by_id = {ex.segment_id: ex for ex in examples(context, roster) if ex.segment_id in wanted}
    missing = [s for s in segments if s.id not in by_id]
    if missing:
        by_id.update({ex.segment_id: ex for ex in examples(missing, roster)})
    return [by_id[s.id] for s in segments]
