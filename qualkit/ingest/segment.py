"""Cut turns into segments: sentences (spaCy) or whole turns.

Sentences come from qualkit's blank English pipeline with the rule-based sentencizer
(:mod:`qualkit.nlp`), the same on every machine; a trained pipeline the user has installed
can be named instead (its parser or senter then decides). Segments are yielded one at a
time so a long transcript is stored in batches, never held twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from qualkit.errors import QualkitError
from qualkit.model import Turn, Unit
from qualkit.nlp import pipeline

if TYPE_CHECKING:
    from spacy.language import Language

Span = tuple[int, int, int, str]
"""(turn index, start, end, speaker), offsets into the transcript text."""


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


@lru_cache(maxsize=2)
def sentence_pipeline(model: str | None = None) -> Language:
    """The pipeline that cuts sentences: qualkit's blank one, or an installed trained one."""
    if model is None:
        return pipeline()
    import spacy

    try:
        nlp = spacy.load(model, exclude=["ner", "lemmatizer", "textcat", "entity_linker"])
    except (OSError, ImportError):
        raise QualkitError(f"the spaCy pipeline {model!r} is not installed; install it "
                           f"(`python -m spacy download {model}`) or leave out "
                           "--spacy-model") from None
    if not ({"parser", "senter", "sentencizer"} & set(nlp.pipe_names)):
        nlp.add_pipe("sentencizer")
    return nlp


def iter_segments(text: str, turns: Sequence[Turn], unit: Unit = Unit.SENTENCE,
                  model: str | None = None) -> Iterator[Span]:
    """Segments in reading order, one at a time."""
    if unit is Unit.TURN:
        for turn in turns:
            start, end = _trimmed(text, turn.start, turn.end)
            if end > start:
                yield turn.index, start, end, turn.speaker
        return
    nlp = sentence_pipeline(model)
    if model is None and set(nlp.pipe_names) <= {"sentencizer", "lemmatizer", "qualkit_norm"}:
        yield from _rule_sentences(nlp, text, turns)
        return
    # Lemmas are not needed to cut sentences; skipping them makes import much faster.
    idle = [name for name in nlp.pipe_names if name in ("lemmatizer", "qualkit_norm")]
    docs = nlp.pipe((text[turn.start:turn.end] for turn in turns), batch_size=256,
                    disable=idle)
    for turn, doc in zip(turns, docs, strict=True):
        for sent in doc.sents:
            start, end = _trimmed(text, turn.start + sent.start_char, turn.start + sent.end_char)
            if end > start:
                yield turn.index, start, end, turn.speaker


BATCH = 512
"""Turns whose sentence starts are computed together, in one set of array operations."""


def _rule_sentences(nlp: Language, text: str, turns: Sequence[Turn]) -> Iterator[Span]:
    """The sentencizer's sentences, computed from token arrays instead of by the component.

    spaCy's ``sentencizer`` walks every token as a Python object, which cost more than
    tokenising itself. Its rule is simple: a sentence starts at the first token that is
    neither punctuation nor one of its sentence-final characters, after at least one
    sentence-final character. :func:`sentence_starts` applies that rule to the token
    arrays of many turns at once, so the result is the component's, token for token (a
    test holds the two side by side).
    """
    import numpy as np
    from spacy.attrs import IDX, IS_PUNCT, LENGTH, ORTH

    sentencizer = nlp.get_pipe("sentencizer")
    finals = np.array(sorted(nlp.vocab.strings.add(c) for c in sentencizer.punct_chars),
                      dtype=np.uint64)
    if not len(finals):
        finals = np.zeros(1, dtype=np.uint64)  # hash 0 is no string
    marks = _Marks(open_=nlp.vocab.strings.add("["), close=nlp.vocab.strings.add("]"),
                   openers=np.array(sorted(nlp.vocab.strings.add(c) for c in OPENERS),
                                    dtype=np.uint64))
    attrs = [ORTH, IS_PUNCT, IDX, LENGTH]
    docs = nlp.tokenizer.pipe((text[turn.start:turn.end] for turn in turns), batch_size=256)
    # The text's code points, so that which sentences need trimming is found in one array
    # operation rather than by a look at two characters of every sentence.
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    batch: list[tuple[Turn, Any]] = []
    for turn, doc in zip(turns, docs, strict=True):
        if len(doc):
            batch.append((turn, doc.to_array(attrs)))
        if len(batch) >= BATCH:
            yield from _cut(text, codes, batch, finals, marks)
            batch = []
    if batch:
        yield from _cut(text, codes, batch, finals, marks)


def _cut(text: str, codes: Any, batch: Sequence[tuple[Turn, Any]], finals: Any,
         marks: _Marks) -> Iterator[Span]:
    import numpy as np

    arrays = [a for _, a in batch]
    lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
    tokens = np.concatenate(arrays)
    starts = sentence_starts(tokens[:, 0], tokens[:, 1] != 0, lengths, finals,
                             tokens[:, 2].astype(np.int64), tokens[:, 3].astype(np.int64),
                             marks)
    doc_of = np.repeat(np.arange(len(batch)), lengths)
    first = np.cumsum(lengths) - lengths
    # A sentence ends where the next one starts, or at its turn's last token.
    last = np.append(starts[1:], len(tokens)) - 1
    doc_ends = first + lengths - 1
    last = np.minimum(last, doc_ends[doc_of[starts]])
    offsets = np.fromiter((turn.start for turn, _ in batch), dtype=np.int64, count=len(batch))
    owner = doc_of[starts]
    base = offsets[owner]
    begin_at = base + tokens[starts, 2].astype(np.int64)
    stop_at = base + tokens[last, 2].astype(np.int64) + tokens[last, 3].astype(np.int64)
    # Only a sentence that starts or ends with whitespace (a space token) is trimmed, and
    # only a trimmed one can come out empty: the rest go out as they are, without a
    # Python step per sentence.
    spaces = _spaces()
    loose = (_in(codes[begin_at], spaces) | _in(codes[stop_at - 1], spaces)).nonzero()[0]
    begin, stop = begin_at.tolist(), stop_at.tolist()
    keep = None
    for k in loose.tolist():
        begin[k], stop[k] = _trimmed(text, begin[k], stop[k])
        if stop[k] <= begin[k]:
            keep = keep if keep is not None else [True] * len(begin)
            keep[k] = False
    indices = np.fromiter((turn.index for turn, _ in batch), dtype=np.int64, count=len(batch))
    speakers = np.array([turn.speaker for turn, _ in batch], dtype=object)
    rows = zip(indices[owner].tolist(), begin, stop, speakers[owner].tolist(), strict=True)
    if keep is None:
        yield from rows
    else:
        yield from (row for row, kept in zip(rows, keep, strict=True) if kept)


SPACE_CODES = (0x9, 0xA, 0xB, 0xC, 0xD, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680,
               *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)
"""The code points ``str.isspace`` is true for (a test checks every code point), sorted."""


@lru_cache(maxsize=1)
def _spaces() -> Any:
    import numpy as np

    return np.array(SPACE_CODES, dtype=np.uint32)


OPENERS = ("(", "[", "{", '"', "'", "\u201c", "\u2018", "\u00ab")
"""Opening punctuation that belongs to the sentence whose first word it is glued to."""


@dataclass(frozen=True)
class _Marks:
    open_: int  # hash of "["
    close: int  # hash of "]"
    openers: Any  # sorted hashes of OPENERS


def _in(values: Any, sorted_hashes: Any) -> Any:
    import numpy as np

    at = np.minimum(np.searchsorted(sorted_hashes, values), len(sorted_hashes) - 1)
    return sorted_hashes[at] == values


def sentence_starts(orth: Any, is_punct: Any, lengths: Any, finals: Any,
                    idx: Any = None, size: Any = None, marks: _Marks | None = None) -> Any:
    """Indices of the tokens that start a sentence, over the tokens of several docs laid
    end to end (``lengths`` tokens each, none empty), by the sentencizer's rule.

    A doc's first token starts one. So does a "word" (a token neither punctuation nor in
    ``finals``) when a token in ``finals`` came after the previous word of the same doc
    (or, for the doc's first word, anywhere before it in the doc).

    With ``marks`` (and the tokens' offsets ``idx`` and lengths ``size``), two rules for
    transcripts are added to spaCy's: a transcriber's note in square brackets
    (``[laughs]``, ``[pause]``, ``[inaudible.]``) is neither a word nor an ending, so it
    stays with the sentence before it instead of starting one or cutting one; and opening
    punctuation glued to a sentence's first word (``"Officially``, ``(as``) starts the
    sentence with it rather than ending the one before.
    """
    import numpy as np

    # ``finals`` is sorted: a binary search per token is cheaper than np.isin's sort.
    final = _in(orth, finals)
    first = np.cumsum(lengths) - lengths
    doc_of = np.repeat(np.arange(len(lengths)), lengths)
    note = np.zeros(len(orth), dtype=bool)
    if marks is not None:
        step = (orth == marks.open_).astype(np.int64) - (orth == marks.close).astype(np.int64)
        depth = np.cumsum(step)
        depth -= (depth[first] - step[first])[doc_of]  # depth after each token, per doc
        note = (depth > 0) | ((orth == marks.close) & (depth + 1 > 0))
        final &= ~note
    word = ~is_punct & ~final & ~note
    seen = np.cumsum(final)  # finals up to and including each token
    before_doc = seen[first] - final[first]  # finals before each doc's first token
    words = np.flatnonzero(word)
    counts = seen[words]
    previous = np.empty_like(counts)
    if len(words):
        previous[0] = before_doc[doc_of[words[0]]]
        previous[1:] = counts[:-1]
        new_doc = np.ones(len(words), dtype=bool)
        new_doc[1:] = doc_of[words[1:]] != doc_of[words[:-1]]
        previous[new_doc] = before_doc[doc_of[words[new_doc]]]
    starts = words[counts > previous]
    if marks is not None and len(starts):
        opener = _in(orth, marks.openers) & ~final
        for _ in range(3):  # at most three glued openers, as in `("[`
            back = starts - 1
            glued = ((back >= 0) & (starts != first[doc_of[starts]])
                     & opener[np.maximum(back, 0)]
                     & (idx[np.maximum(back, 0)] + size[np.maximum(back, 0)] == idx[starts]))
            if not glued.any():
                break
            starts = np.where(glued, back, starts)
    return np.union1d(first, starts).astype(np.int64)


def segment(text: str, turns: Sequence[Turn], unit: Unit = Unit.SENTENCE,
            model: str | None = None) -> list[Span]:
    """All segments of a transcript as a list (see :func:`iter_segments`)."""
    return list(iter_segments(text, turns, unit, model))
