"""The array-based sentence cutter: spaCy's sentencizer rule, plus two rules for
transcripts (a bracketed transcriber's note stays with its sentence; opening punctuation
glued to a first word starts the sentence), checked against a plain token-by-token
implementation of the same rules and against sentences written out by hand."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from qualkit.ingest.formats import read_source
from qualkit.ingest.segment import OPENERS, _trimmed, iter_segments
from qualkit.model import Turn, Unit
from qualkit.nlp import pipeline

ROOT = Path(__file__).resolve().parent.parent


def _by_component(text: str, turns: list[Turn]) -> list[tuple[int, int, int, str]]:
    """A token-by-token reading of the rules over spaCy's own tokens: the sentencizer's
    (a word after a sentence-final character starts a sentence) with notes in [brackets]
    neither words nor endings, and glued opening punctuation moved into the sentence."""
    nlp = pipeline()
    finals = set(nlp.get_pipe("sentencizer").punct_chars)
    openers = set(OPENERS)
    out = []
    for turn in turns:
        doc = nlp.make_doc(text[turn.start:turn.end])
        if not len(doc):
            continue
        starts, depth, pending = [0], 0, False
        for i, token in enumerate(doc):
            closing = token.text == "]" and depth > 0
            depth += (token.text == "[") - (token.text == "]")
            note = depth > 0 or closing
            if token.text in finals and not note:
                pending = True
            elif not token.is_punct and not note:
                if pending and i:
                    j = i
                    while (j > 0 and j - 1 not in starts[-1:] and doc[j - 1].text in openers
                           and doc[j - 1].idx + len(doc[j - 1]) == doc[j].idx
                           and i - j < 3):
                        j -= 1
                    if j != starts[-1]:
                        starts.append(j)
                pending = False
        bounds = [*starts[1:], len(doc)]
        for a, b in zip(starts, bounds, strict=True):
            start = turn.start + doc[a].idx
            end = turn.start + doc[b - 1].idx + len(doc[b - 1])
            start, end = _trimmed(text, start, end)
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


def test_same_sentences_as_the_rule_on_the_sample_transcripts() -> None:
    files = sorted((ROOT / "transcripts").glob("*.txt"))
    assert files
    for path in files:
        source = read_source(path)
        fast = list(iter_segments(source.text, source.turns, Unit.SENTENCE))
        assert fast == _by_component(source.text, list(source.turns))


TALK = st.lists(st.sampled_from(
    ["I", "taught", "them", "Dr.", "U.S.", "3.5", ".", "?", "!", "...", "…", "?!", "\"",
     "'", ")", "(", ",", ";", "-", "—", "。", "‼", " ", "  ", "\n", "\t", "é", "ok.", "no!",
     "[", "]", "[laughs]", "[pause.]", "“", "«"]),
    max_size=40).map(lambda parts: "".join(
        p if i % 3 else p + " " for i, p in enumerate(parts)))


@settings(max_examples=300, deadline=None)
@given(st.lists(TALK, min_size=1, max_size=12))
def test_same_sentences_as_the_rule_on_any_punctuation(pieces: list[str]) -> None:
    text, turns = _turns(pieces)
    assert list(iter_segments(text, turns, Unit.SENTENCE)) == _by_component(text, turns)


def test_many_turns_cross_batch_boundaries() -> None:
    pieces = [f"Turn {i} starts. It ends here! Or not?" if i % 5 else "" for i in range(1500)]
    text, turns = _turns(pieces)
    fast = list(iter_segments(text, turns, Unit.SENTENCE))
    assert fast == _by_component(text, turns)
    assert all(text[s:e] == text[s:e].strip() for _, s, e, _ in fast)


def test_transcribers_notes_and_quotes_by_hand() -> None:
    talk = ('Officially. [pause] "Officially" is the key word. [laughs] Then we went home '
            '(as usual). "Yes," she said. [inaudible.] We left? [laughs]')
    text, turns = _turns([talk])
    got = [text[s:e] for _, s, e, _ in iter_segments(text, turns, Unit.SENTENCE)]
    assert got == ["Officially. [pause]", '"Officially" is the key word. [laughs]',
                   "Then we went home (as usual).", '"Yes," she said. [inaudible.]',
                   "We left? [laughs]"]


def test_space_codes_are_exactly_what_isspace_trims() -> None:
    import sys

    from qualkit.ingest.segment import SPACE_CODES

    assert list(SPACE_CODES) == [c for c in range(sys.maxunicode + 1) if chr(c).isspace()]
