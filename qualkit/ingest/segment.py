"""Cut turns into segments: sentences (spaCy sentencizer) or whole turns."""

from __future__ import annotations

from collections.abc import Sequence

from qualkit.model import Turn, Unit
from qualkit.nlp import pipeline


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def segment(text: str, turns: Sequence[Turn], unit: Unit = Unit.SENTENCE
            ) -> list[tuple[int, int, int, str]]:
    """Segments as (turn index, start, end, speaker), offsets into ``text``."""
    spans: list[tuple[int, int, int, str]] = []
    if unit is Unit.TURN:
        for turn in turns:
            start, end = _trimmed(text, turn.start, turn.end)
            if end > start:
                spans.append((turn.index, start, end, turn.speaker))
        return spans
    nlp = pipeline()
    docs = nlp.pipe((text[turn.start:turn.end] for turn in turns), batch_size=256)
    for turn, doc in zip(turns, docs, strict=True):
        for sent in doc.sents:
            start, end = _trimmed(text, turn.start + sent.start_char, turn.start + sent.end_char)
            if end > start:
                spans.append((turn.index, start, end, turn.speaker))
    return spans
