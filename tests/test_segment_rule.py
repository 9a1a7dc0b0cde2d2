"""The array-based sentence cutter gives exactly the sentencizer component's sentences."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from qualkit.ingest.formats import read_source
from qualkit.ingest.segment import _trimmed, iter_segments
from qualkit.model import Turn, Unit
from qualkit.nlp import pipeline

ROOT = Path(__file__).resolve().parent.parent


def _by_component(text: str, turns: list[Turn]) -> list[tuple[int, int, int, str]]:
    """The previous implementation: spaCy's sentencizer component and ``doc.sents``."""
    nlp = pipeline()
    out = []
    docs = nlp.pipe(text[t.start:t.end] for t in turns)
    for turn, doc in zip(turns, docs, strict=True):
        for sent in doc.sents:
            start, end = _trimmed(text, turn.start + sent.start_char, turn.start + sent.end_char)
            if end > start:
                out.append((turn.index, start, end, turn.speaker))
    return out


def _turns(pieces: list[str]) -> tuple[str, list[Turn]]:
    text, turns = "", []
    for i, piece in enumerate(pieces):
        text += f"P{i}: "
        turns.append(Turn(transcript_id=0, index=i, speaker=f"P{i}", start=len(text),
                          end=len(text) + len(piece)))
        text += piece + "\n"
    return text, turns


def test_same_sentences_as_the_component_on_the_sample_transcripts() -> None:
    files = sorted((ROOT / "transcripts").glob("*.txt"))
    assert files
    for path in files:
        source = read_source(path)
        fast = list(iter_segments(source.text, source.turns, Unit.SENTENCE))
        assert fast == _by_component(source.text, list(source.turns))


TALK = st.lists(st.sampled_from(
    ["I", "taught", "them", "Dr.", "U.S.", "3.5", ".", "?", "!", "...", "…", "?!", "\"",
     "'", ")", "(", ",", ";", "-", "—", "。", "‼", " ", "  ", "\n", "\t", "é", "ok.", "no!"]),
    max_size=40).map(lambda parts: "".join(
        p if i % 3 else p + " " for i, p in enumerate(parts)))


@settings(max_examples=300, deadline=None)
@given(st.lists(TALK, min_size=1, max_size=12))
def test_same_sentences_as_the_component_on_any_punctuation(pieces: list[str]) -> None:
    text, turns = _turns(pieces)
    assert list(iter_segments(text, turns, Unit.SENTENCE)) == _by_component(text, turns)


def test_many_turns_cross_batch_boundaries() -> None:
    pieces = [f"Turn {i} starts. It ends here! Or not?" if i % 5 else "" for i in range(1500)]
    text, turns = _turns(pieces)
    fast = list(iter_segments(text, turns, Unit.SENTENCE))
    assert fast == _by_component(text, turns)
    assert all(text[s:e] == text[s:e].strip() for _, s, e, _ in fast)
