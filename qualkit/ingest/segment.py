"""Cut turns into segments: sentences (spaCy) or whole turns.

Sentences come from qualkit's blank English pipeline with the rule-based sentencizer
(:mod:`qualkit.nlp`), the same on every machine; a trained pipeline the user has installed
can be named instead (its parser or senter then decides). Segments are yielded one at a
time so a long transcript is stored in batches, never held twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

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
    # Lemmas are not needed to cut sentences; skipping them makes import much faster.
    idle = [name for name in nlp.pipe_names if name in ("lemmatizer", "qualkit_norm")]
    docs = nlp.pipe((text[turn.start:turn.end] for turn in turns), batch_size=256,
                    disable=idle)
    for turn, doc in zip(turns, docs, strict=True):
        for sent in doc.sents:
            start, end = _trimmed(text, turn.start + sent.start_char, turn.start + sent.end_char)
            if end > start:
                yield turn.index, start, end, turn.speaker


def segment(text: str, turns: Sequence[Turn], unit: Unit = Unit.SENTENCE,
            model: str | None = None) -> list[Span]:
    """All segments of a transcript as a list (see :func:`iter_segments`)."""
    return list(iter_segments(text, turns, unit, model))
