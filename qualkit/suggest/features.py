"""What the learned suggester sees of a segment: its words, its context, the keyword
engine's evidence and its likeness to each code's description.

Why these, and not only the words:

- **Words and word pairs** (TF-IDF) carry what a segment says; the previous turn's
  words at half weight. Each text is split into words once, and every feature reads
  those words. (Character n-grams were tried and dropped: they tripled the time to
  predict, the cost of a suggester that must read ten million words.)
- **Context** carries what a segment *does*: many codes are defined by a move in the
  conversation (a question that asks for reasoning, a teacher restating a student), which
  the words of the segment alone do not show. So the previous turn's speaker role, the
  share of words taken up from it, and question form are features.
- **Keyword evidence**: the engine's score per code, so that a coder's keywords keep
  counting once a model is trained.
- **Likeness to the codebook**: cosine similarity of the segment to each code's name,
  definition, inclusion criteria and examples, so that codes without keywords have some
  signal from the first decision on.

scikit-learn is imported inside functions: ``qualkit --help`` must not pay for it.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qualkit.model import Codebook, Participant, Segment

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

LIKENESS_KEPT = 5
"""Likenesses to code descriptions kept per segment (see :func:`most_alike`)."""
WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
QUESTION_OPENERS = frozenset({
    "what", "why", "how", "when", "where", "who", "which", "whose", "whom", "do", "does",
    "did", "is", "are", "was", "were", "can", "could", "would", "will", "should", "have",
    "has", "shall", "may", "might"})
STOP = frozenset({
    "the", "a", "an", "and", "or", "but", "to", "of", "in", "on", "at", "for", "it", "is",
    "i", "you", "we", "they", "he", "she", "that", "this", "so", "um", "uh", "like", "yeah",
    "okay", "ok", "be", "was", "are", "do", "with", "my", "me", "your", "just", "mm", "oh"})
"""Words too common to count as taking up what the previous speaker said."""


@dataclass(frozen=True)
class Example:
    """One segment as the learner reads it: its text and what precedes it, with the words
    of both (split once: every feature reads them)."""

    segment_id: int
    transcript_id: int
    text: str
    role: str
    previous_text: str
    previous_role: str
    same_speaker: bool
    own: tuple[str, ...] = ()
    previous: tuple[str, ...] = ()


def examples(segments: Sequence[Segment], roster: Mapping[str, Participant]
             ) -> list[Example]:
    """Examples for segments given in reading order (by transcript, then position): the
    previous turn is the whole turn before the segment's own, in its transcript."""
    turns: dict[tuple[int, int], list[Segment]] = {}
    for seg in segments:
        turns.setdefault((seg.transcript_id, seg.turn_index), []).append(seg)
    previous_of: dict[tuple[int, int], tuple[int, int] | None] = {}
    last: dict[int, tuple[int, int]] = {}
    for key in turns:  # dicts keep reading order
        previous_of[key] = last.get(key[0])
        last[key[0]] = key
    split = {seg.id: tuple(words(seg.text)) for seg in segments}
    out = []
    for seg in segments:
        before = previous_of[(seg.transcript_id, seg.turn_index)]
        prev = turns[before] if before else []
        prev_speaker = prev[0].speaker if prev else ""
        out.append(Example(seg.id, seg.transcript_id, seg.text, _role(seg.speaker, roster),
                           " ".join(s.text for s in prev),
                           _role(prev_speaker, roster) if prev else "",
                           bool(prev) and prev_speaker == seg.speaker, split[seg.id],
                           tuple(w for s in prev for w in split[s.id])))
    return out


def _role(speaker: str, roster: Mapping[str, Participant]) -> str:
    person = roster.get(speaker)
    return (person.role if person and person.role else speaker).strip().lower()


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def context_tokens(ex: Example) -> list[str]:
    """The context and form of a segment as named features (a DictVectorizer's keys)."""
    own = ex.own or tuple(words(ex.text))
    prev = ex.previous or tuple(words(ex.previous_text))
    feats = [f"role={ex.role}", f"prev_role={ex.previous_role or '-'}",
             f"roles={ex.previous_role or '-'}>{ex.role}"]
    if ex.same_speaker:
        feats.append("same_speaker")
    stripped = ex.text.rstrip()
    if stripped.endswith("?"):
        feats.append("ends_with_question_mark")
    elif "?" in stripped:
        feats.append("has_question_mark")
    if own and own[0] in QUESTION_OPENERS:
        feats.append(f"opens_with={own[0]}")
    if prev and ex.previous_text.rstrip().endswith("?"):
        feats.append("after_question")
    n = len(own)
    feats.append(f"length={min(int(math.log2(n + 1)), 7)}")
    content = {w for w in own if w not in STOP}
    prev_content = {w for w in prev if w not in STOP}
    if content and prev_content:
        shared = content & prev_content
        taken = len(shared) / len(content)
        echoed = len(shared) / len(prev_content)
        feats.append(f"takes_up={round(taken * 4)}")
        feats.append(f"echoes={round(echoed * 4)}")
        if shared:
            feats.append("repeats_previous")
        if len(shared) >= 2 and _shared_bigram(own, prev):
            feats.append("repeats_phrase")
    elif not prev:
        feats.append("first_turn")
    return feats


def _shared_bigram(own: tuple[str, ...], prev: tuple[str, ...]) -> bool:
    pairs = set(itertools.pairwise(prev))
    return any(pair in pairs for pair in itertools.pairwise(own))


def code_description(code: Any) -> str:
    """What the codebook says a code is: the text the likeness feature compares with."""
    return " ".join([code.name, code.definition, *code.include, *code.examples,
                     *code.keywords])


class Featurizer:
    """Fitted on the training segments once; turns examples into one sparse matrix."""

    def __init__(self, codebook: Codebook) -> None:
        self.codes = [code.id for code in codebook.codes]
        self.descriptions = [code_description(code) for code in codebook.codes]
        self.codebook = codebook

    def fit(self, train: Sequence[Example]) -> Featurizer:
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.word = TfidfVectorizer(analyzer=_grams, sublinear_tf=True, min_df=1,
                                    max_features=200_000, dtype=_float32())
        self.word.fit([*(_own(ex) for ex in train),
                       *(tuple(words(d)) for d in self.descriptions)])
        self.previous = TfidfVectorizer(analyzer=_unigrams, sublinear_tf=True, min_df=2,
                                        max_features=20_000, dtype=_float32())
        self.previous.fit([ex.previous for ex in train] or [()])
        self.context = DictVectorizer(dtype=_float32())
        self.context.fit([dict.fromkeys(context_tokens(ex), 1.0) for ex in train])
        self.code_vectors = self.word.transform([tuple(words(d))
                                                 for d in self.descriptions])
        self.names = self._names()
        return self

    def transform(self, items: Sequence[Example],
                  keyword_scores: Sequence[Mapping[str, float]] | None = None
                  ) -> tuple[csr_matrix, csr_matrix]:
        """(all features, the word TF-IDF alone: what similarity between segments uses)."""
        from scipy.sparse import csr_matrix, hstack

        word = self.word.transform([_own(ex) for ex in items])
        blocks = [word, self.previous.transform([ex.previous for ex in items]) * 0.5,
                  self.context.transform([dict.fromkeys(context_tokens(ex), 1.0)
                                          for ex in items]),
                  most_alike(word @ self.code_vectors.T, LIKENESS_KEPT)]
        if keyword_scores is not None:
            index = {code: i for i, code in enumerate(self.codes)}
            rows, cols, vals = [], [], []
            for r, scores in enumerate(keyword_scores):
                for code, score in scores.items():
                    if code in index:
                        rows.append(r)
                        cols.append(index[code])
                        vals.append(score)
            blocks.append(csr_matrix((vals, (rows, cols)),
                                     shape=(len(items), len(self.codes)),
                                     dtype=_float32()))
        else:
            blocks.append(csr_matrix((len(items), len(self.codes)), dtype=_float32()))
        return hstack(blocks, format="csr"), word

    def _names(self) -> list[str]:
        """Readable names for every column, in :meth:`transform`'s order (evidence)."""
        return [*(f"word '{w}'" for w in self.word.get_feature_names_out()),
                *(f"previous turn '{w}'" for w in self.previous.get_feature_names_out()),
                *(_context_name(c) for c in self.context.get_feature_names_out()),
                *(f"like the description of {c}" for c in self.codes),
                *(f"keywords of {c}" for c in self.codes)]


def most_alike(likeness: Any, k: int) -> csr_matrix:
    """Per row, only the ``k`` largest likenesses (the codes a segment reads most like).

    A segment shares some word with nearly every description, so the full matrix is
    dense: with a hundred codes it held nine in ten of all the features' values, and every
    model's fit and every prediction paid for a hundred likenesses per segment where the
    few largest carry the signal."""
    import numpy as np
    from scipy.sparse import csr_matrix

    dense = likeness.toarray() if hasattr(likeness, "toarray") else np.asarray(likeness)
    n, width = dense.shape
    if width <= k:
        return csr_matrix(dense)
    cols = np.argpartition(-dense, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(dense, cols, axis=1)
    keep = vals > 0
    rows = np.repeat(np.arange(n), k).reshape(n, k)
    return csr_matrix((vals[keep], (rows[keep], cols[keep])), shape=(n, width),
                      dtype=dense.dtype)


def _own(ex: Example) -> tuple[str, ...]:
    return ex.own or tuple(words(ex.text))


def _unigrams(tokens: Sequence[str]) -> Sequence[str]:
    """The analyzer of words already split (scikit-learn's own would split them again)."""
    return tokens


def _grams(tokens: Sequence[str]) -> list[str]:
    """Words and word pairs of words already split."""
    return [*tokens, *map(" ".join, itertools.pairwise(tokens))]


def _context_name(feature: str) -> str:
    return f"context {feature}"


def _float32() -> Any:
    import numpy as np

    return np.float32


def keyword_scores(codebook: Codebook, segments: Iterable[Segment],
                   matcher: Any = None) -> list[dict[str, float]]:
    """The keyword engine's score per code for each segment (no stored suggestions are
    needed: the engine is run here, on exactly these segments, by ``matcher`` if given: a
    :class:`~qualkit.suggest.engine.KeywordMatcher` of the codebook, kept between calls
    since its word table grows with the vocabulary it has read)."""
    from qualkit.suggest.engine import KeywordMatcher, ranked

    segs = list(segments)
    if not any(code.keywords for code in codebook.codes):
        return [{} for _ in segs]
    matcher = matcher or KeywordMatcher(codebook)
    found = matcher.evidence([s.text for s in segs], [s.start for s in segs])
    return [{code: score for code, score, _ in ranked(evidence)} for evidence in found]
