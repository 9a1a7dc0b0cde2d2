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
  definition, inclusion criteria and examples (for the codes it reads most like, see
  :func:`most_alike`), so that codes without keywords have some signal from the first
  decision on.

scikit-learn is imported inside functions: ``qualkit --help`` must not pay for it.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qualkit.codebook.inductive import written_definition
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
    roles: dict[str, str] = {}

    def role(speaker: str) -> str:
        if speaker not in roles:
            roles[speaker] = _role(speaker, roster)
        return roles[speaker]

    # What a turn offers the turns after it, built once per turn (not once per segment).
    said = {key: (" ".join(s.text for s in turn), role(turn[0].speaker), turn[0].speaker,
                  tuple(w for s in turn for w in split[s.id]))
            for key, turn in turns.items()}
    none = ("", "", "", ())
    out = []
    for seg in segments:
        before = previous_of[(seg.transcript_id, seg.turn_index)]
        text, prev_role, prev_speaker, prev_words = said[before] if before else none
        out.append(Example(seg.id, seg.transcript_id, seg.text, role(seg.speaker), text,
                           prev_role, bool(before) and prev_speaker == seg.speaker,
                           split[seg.id], prev_words))
    return out


def _role(speaker: str, roster: Mapping[str, Participant]) -> str:
    person = roster.get(speaker)
    return (person.role if person and person.role else speaker).strip().lower()


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def context_tokens(ex: Example) -> list[str]:
    """The context and form of a segment as named features (columns of value 1)."""
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
    """What the codebook says a code is: the text the likeness feature compares with (an
    added code's note of who added it is not a definition: see
    :func:`~qualkit.codebook.inductive.written_definition`)."""
    return " ".join(part for part in (code.name, written_definition(code.definition),
                                      *code.include, *code.examples, *code.keywords) if part)


@dataclass(frozen=True)
class Block:
    """A kind of feature read from each example: its named columns are learned at fit
    time (a vocabulary), which is all a stored model keeps of it.

    ``tfidf``: sublinear TF-IDF of the tokens, rows of unit length, scaled by ``weight``
    (``min_df``, ``max_features`` as scikit-learn's); otherwise each token present is a
    column of value 1 (named features)."""

    name: str
    label: str
    tokens: Callable[[Example], Sequence[str]]
    tfidf: bool = True
    weight: float = 1.0
    min_df: int = 1
    max_features: int | None = None


BLOCKS: tuple[Block, ...] = (
    Block("word", "word '{}'", lambda ex: _grams(_own(ex)), max_features=200_000),
    Block("previous", "previous turn '{}'", lambda ex: ex.previous, weight=0.5, min_df=2,
          max_features=20_000),
    Block("context", "context {}", lambda ex: context_tokens(ex), tfidf=False),
)
"""The fitted blocks, in column order (the first is the segment's own words, which the
likeness features and similar segments read). Adding a block is one line here: fitting,
transforming, naming and storing follow this list."""


class Vocabulary:
    """One fitted block: its terms in column order and, for TF-IDF, their idf.

    Fitted with scikit-learn (its choice of terms and idf), applied by :meth:`transform`
    with array operations over a whole batch: scikit-learn's transform counts every token
    in a Python loop, the larger part of the time to predict."""

    def __init__(self, block: Block, terms: Sequence[str], idf: Any = None) -> None:
        self.block = block
        self.terms = list(terms)
        self.index = {term: i for i, term in enumerate(self.terms)}
        self.idf = idf

    @classmethod
    def fit(cls, block: Block, docs: Sequence[Sequence[str]]) -> Vocabulary:
        if not block.tfidf:
            return cls(block, sorted({t for doc in docs for t in doc}))
        from sklearn.feature_extraction.text import TfidfVectorizer

        fitted = TfidfVectorizer(analyzer=_unigrams, sublinear_tf=True, min_df=block.min_df,
                                 max_features=block.max_features, dtype=_float32())
        try:
            fitted.fit(docs or [()])
        except ValueError:  # nothing left after min_df: an empty vocabulary
            import numpy as np

            return cls(block, [], np.zeros(0, dtype=np.float32))
        return cls(block, fitted.get_feature_names_out().tolist(),
                   fitted.idf_.astype(_float32()))

    def transform(self, docs: Sequence[Sequence[str]]) -> csr_matrix:
        import numpy as np
        from scipy.sparse import csr_matrix

        get = self.index.get
        cols: list[int] = []
        lengths: list[int] = []
        for doc in docs:
            before = len(cols)
            cols.extend(map(get, doc, itertools.repeat(-1)))
            lengths.append(len(cols) - before)
        col = np.fromiter(cols, dtype=np.int64, count=len(cols))
        row = np.repeat(np.arange(len(docs)), lengths)
        known = col >= 0
        col, row = col[known], row[known]
        ones = np.ones(len(col), dtype=np.float32)
        x = csr_matrix((ones, (row, col)), shape=(len(docs), len(self.terms)),
                       dtype=np.float32)
        x.sum_duplicates()
        if not self.block.tfidf:
            x.data[:] = 1.0
            return x
        from sklearn.preprocessing import normalize

        # scikit-learn's own steps, in its order and precision: the same features to the
        # last bit (a fit is sensitive to the last bit of its input).
        np.log(x.data, out=x.data)
        x.data += 1.0
        x.data *= self.idf[x.indices]
        x = normalize(x, norm="l2", copy=False)
        if self.block.weight != 1.0:
            x.data *= np.float32(self.block.weight)
        return x

    def names(self) -> list[str]:
        return [self.block.label.format(term) for term in self.terms]


class Featurizer:
    """Fitted on the training segments once; turns examples into one sparse matrix."""

    def __init__(self, codebook: Codebook) -> None:
        self.codes = [code.id for code in codebook.codes]
        self.descriptions = [code_description(code) for code in codebook.codes]
        self.codebook = codebook
        self.blocks: list[Vocabulary] = []

    def fit(self, train: Sequence[Example]) -> Featurizer:
        descriptions = [_grams(tuple(words(d))) for d in self.descriptions]
        self.blocks = []
        for block in BLOCKS:  # the codes' descriptions count among the own words' texts
            docs = [block.tokens(ex) for ex in train]
            self.blocks.append(Vocabulary.fit(
                block, [*docs, *descriptions] if block is BLOCKS[0] else docs))
        return self._ready()

    def _ready(self) -> Featurizer:
        self.code_vectors = self.blocks[0].transform(
            [_grams(tuple(words(d))) for d in self.descriptions])
        self.names = self._names()
        return self

    def state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(JSON, arrays) that :meth:`from_state` rebuilds this from (with the codebook
        the model was trained under): each block's terms and idf."""
        import numpy as np

        meta: dict[str, Any] = {"blocks": [v.block.name for v in self.blocks]}
        arrays: dict[str, Any] = {}
        for v in self.blocks:
            arrays[f"terms.{v.block.name}"] = np.frombuffer(
                "\n".join(v.terms).encode("utf-8"), dtype=np.uint8)
            if v.idf is not None:
                arrays[f"idf.{v.block.name}"] = np.asarray(v.idf, dtype=np.float32)
        return meta, arrays

    @classmethod
    def from_state(cls, codebook: Codebook, meta: Mapping[str, Any],
                   arrays: Mapping[str, Any]) -> Featurizer:
        by_name = {block.name: block for block in BLOCKS}
        if list(meta["blocks"]) != [block.name for block in BLOCKS]:
            raise ValueError("the stored model has other feature blocks than this qualkit")
        out = cls(codebook)
        for name in meta["blocks"]:
            raw = bytes(arrays[f"terms.{name}"]).decode("utf-8")
            terms = raw.split("\n") if raw else []
            out.blocks.append(Vocabulary(by_name[name], terms, arrays.get(f"idf.{name}")))
        return out._ready()

    def word_matrix(self, items: Sequence[Example]) -> csr_matrix:
        """The own words' TF-IDF alone: what similarity between segments reads."""
        return self.blocks[0].transform([BLOCKS[0].tokens(ex) for ex in items])

    def transform(self, items: Sequence[Example],
                  keyword_scores: Sequence[Mapping[str, float]] | None = None
                  ) -> tuple[csr_matrix, csr_matrix]:
        """(all features, the word TF-IDF alone: what similarity between segments uses)."""
        from scipy.sparse import csr_matrix, hstack

        fitted = [v.transform([v.block.tokens(ex) for ex in items]) for v in self.blocks]
        word = fitted[0]
        blocks = [*fitted, most_alike(word @ self.code_vectors.T, LIKENESS_KEPT)]
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
        return [*(name for v in self.blocks for name in v.names()),
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


def _float32() -> Any:
    import numpy as np

    return np.float32


def keyword_scores(codebook: Codebook, segments: Iterable[Segment],
                   matcher: Any = None) -> list[dict[str, float]]:
    """The keyword engine's score per code for each segment (no stored suggestions are
    needed: the engine is run here, on exactly these segments, by ``matcher`` if given: a
    :class:`~qualkit.suggest.engine.KeywordMatcher` of the codebook, kept between calls
    since its word table grows with the vocabulary it has read)."""
    from qualkit.suggest.engine import KeywordMatcher, scores

    segs = list(segments)
    if not any(code.keywords for code in codebook.codes):
        return [{} for _ in segs]
    matcher = matcher or KeywordMatcher(codebook)
    found = matcher.evidence([s.text for s in segs], [s.start for s in segs])
    return [scores(evidence) for evidence in found]
