"""The suggestion engine: what it matches, why, and how it is measured (issue 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qualkit.evaluate import Counts, substring_baseline
from qualkit.model import Code, Codebook, MatchKind, Segment, Theme, Unit
from qualkit.suggest import KeywordMatcher, derived_variants, fuzzy_variants


def _codebook(**keywords: tuple[str, ...]) -> Codebook:
    codes = tuple(Code(id=cid, name=cid, theme_id="t", keywords=kws)
                  for cid, kws in keywords.items())
    return Codebook(name="t", version="v", label="", unit=Unit.SENTENCE,
                    themes=(Theme(id="t", name="T", codes=codes),))


def _segments(*texts: str, turn: int = 0) -> list[Segment]:
    segs, start = [], 0
    for i, text in enumerate(texts):
        segs.append(Segment(id=i + 1, transcript_id=1, turn_index=turn, index=i, start=start,
                            end=start + len(text), text=text, speaker="P01"))
        start += len(text) + 1
    return segs


def _suggest(codebook: Codebook, *texts: str, context: bool = False):
    segs = _segments(*texts)
    vocabulary = {w for s in segs for w in s.text.lower().split()}
    return KeywordMatcher(codebook, vocabulary).suggest(segs, context=context)


def test_keyword_matches_its_inflections_with_the_matched_words_as_evidence() -> None:
    (found,) = _suggest(_codebook(teaching=("teach",)), "She taught me anatomy.")
    assert found.code_id == "teaching"
    (ev,) = found.evidence
    assert (ev.term, ev.matched, ev.kind, ev.start, ev.end) == ("teach", "taught",
                                                               MatchKind.LEMMA, 4, 10)
    assert found.score == 0.5


def test_phrases_match_in_any_form_and_case() -> None:
    (found,) = _suggest(_codebook(teaching=("break it down",)), "Breaking it down helped.")
    assert [(e.kind, e.matched) for e in found.evidence] == [(MatchKind.PHRASE,
                                                              "Breaking it down")]


def test_derivations_match_where_the_lemma_table_does_not_relate_words() -> None:
    assert derived_variants(["expect", "teach", "motivate", "exam"],
                            ["expectations", "teacher", "motivation", "example", "examine"]
                            ) == {"expect": ["expectations"], "motivate": ["motivation"],
                                  "teach": ["teacher"]}


def test_fuzzy_catches_misspellings_but_not_other_real_words() -> None:
    assert fuzzy_variants(["confident"], ["confidnet", "confidant", "confident"]) == {
        "confident": ["confidnet"]}


def test_two_distinct_terms_score_higher_than_one_and_negation_halves() -> None:
    book = _codebook(confidence=("confident", "believe in myself"))
    (both,) = _suggest(book, "I felt confident and started to believe in myself.")
    assert both.score == 0.75  # 1 - (1 - 0.5)(1 - 0.5)
    (negated,) = _suggest(book, "I didn't feel confident at all.")
    assert negated.evidence[0].negated
    assert negated.score == 0.25


def test_context_adds_weak_evidence_from_the_neighbouring_sentence_of_the_turn() -> None:
    book = _codebook(teaching=("explain",))
    plain = _suggest(book, "I explained the exam.", "It was great.")
    assert [s.segment_id for s in plain] == [1]
    with_context = _suggest(book, "I explained the exam.", "It was great.", context=True)
    assert [(s.segment_id, s.score) for s in with_context] == [(1, 0.5), (2, 0.25)]
    assert with_context[1].evidence[0].context


def test_substring_baseline_is_naive_on_purpose() -> None:
    keywords = {"time_pressure": ("exam",), "teaching": ("teach",)}
    assert substring_baseline("For example, the TEACHER came.", keywords) == {
        "time_pressure", "teaching"}


def test_precision_recall_f1_formulas() -> None:
    counts = Counts(tp=3, fp=1, fn=2)
    # P = 3/4, R = 3/5, F1 = 2PR/(P+R) = 0.9/1.35 = 2/3
    assert counts.scores() == {"precision": 0.75, "recall": 0.6, "f1": 0.6667, "support": 5}
    assert Counts().scores() == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}


def test_explain_shows_the_evidence(coded_project: Path, cli) -> None:
    assert cli("run", "-p", str(coded_project), "-q").exit_code == 0
    result = cli("suggest", "-p", str(coded_project), "--explain", "3")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "Segment 3 (P01, characters 83-123):\n"
        "  I explained the heart exam to my mentee.\n"
        "teaching_skills (Teaching and explaining), score 0.50\n"
        "  lemma      'explain' matched 'explained' at 85-94\n")


def test_evaluate_json_has_the_documented_shape(coded_project: Path, cli) -> None:
    assert cli("run", "-p", str(coded_project), "-q").exit_code == 0
    result = cli("suggest", "-p", str(coded_project), "--evaluate", "--coder", "ana", "--json")
    data = json.loads(result.stdout)
    for side in ("engine", "baseline"):
        assert set(data[side]) == {"overall", "per_code"}
        assert {"precision", "recall", "f1"} <= set(data[side]["overall"])
    # By hand: ana applied 5 codes on participant segments; the matcher suggested exactly
    # those 5 (explained, confident, blood pressure, taught, suture): P = R = 1.
    assert data["engine"]["overall"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0,
                                         "support": 5}


def test_evaluate_needs_a_coder(project: Path, cli) -> None:
    result = cli("suggest", "-p", str(project), "--evaluate")
    assert (result.exit_code, result.stderr) == (
        2, "Error: --evaluate needs --coder NAME (whose decisions to compare with)\n")


@pytest.mark.slow
def test_engine_beats_the_substring_baseline_on_the_sample_study(tmp_path: Path, cli) -> None:
    import shutil

    root = Path(__file__).resolve().parent.parent
    for folder in ("codebooks", "transcripts", "codings"):
        shutil.copytree(root / folder, tmp_path / folder)
    shutil.copy(root / "qualkit.toml", tmp_path)
    assert cli("run", "-p", str(tmp_path), "-q").exit_code == 0
    for coder in ("ana", "ben"):
        result = cli("suggest", "-p", str(tmp_path), "--evaluate", "--coder", coder, "--json")
        data = json.loads(result.stdout)
        assert data["engine"]["overall"]["f1"] > data["baseline"]["overall"]["f1"], coder


def test_one_word_matched_by_several_keywords_counts_once() -> None:
    book = _codebook(leading=("leadership", "leader", "lead"))
    (found,) = _suggest(book, "It is a leadership thing.")
    assert [(e.term, e.kind) for e in found.evidence] == [("leadership", MatchKind.LEMMA)]
    assert found.score == 0.5


def test_the_lower_attribute_id_matches_spacy() -> None:
    import spacy.attrs

    from qualkit.suggest import LOWER

    assert spacy.attrs.LOWER == LOWER


@pytest.mark.parametrize("matched", ["taught", 'say "teach"', "back\\slash", "new\nline",
                                     "ünïcode ✓", "\u2028tab\t", ""])
def test_evidence_is_stored_as_json_dumps_writes_it(matched: str) -> None:
    from qualkit.model import Evidence
    from qualkit.store.db import evidence_json

    items = [Evidence("teach", matched, MatchKind.LEMMA, 3, 9, negated=True),
             Evidence("éclat", "x", MatchKind.FUZZY, 10, 11, context=True)]
    expected = json.dumps([{"term": e.term, "matched": e.matched, "kind": e.kind.value,
                            "start": e.start, "end": e.end, "negated": e.negated,
                            "context": e.context} for e in items],
                          ensure_ascii=False, separators=(",", ":"))
    assert evidence_json(items) == expected
    assert evidence_json([]) == "[]"


def _sample_segments() -> list[Segment]:
    from qualkit.ingest.formats import read_source
    from qualkit.ingest.segment import iter_segments

    segs: list[Segment] = []
    root = Path(__file__).resolve().parent.parent
    for tid, path in enumerate(sorted((root / "transcripts").glob("*.txt")), start=1):
        source = read_source(path)
        for i, (turn, start, end, speaker) in enumerate(iter_segments(source.text,
                                                                      source.turns)):
            segs.append(Segment(id=len(segs) + 1, transcript_id=tid, turn_index=turn, index=i,
                                start=start, end=end, text=source.text[start:end],
                                speaker=speaker))
    return segs


def _sample_codebook() -> Codebook:
    import yaml

    root = Path(__file__).resolve().parent.parent
    data = yaml.safe_load((root / "codebooks" / "mentoring.yaml").read_text(encoding="utf-8"))
    keywords = {code["id"]: tuple(code.get("keywords", ()))
                for theme in data["themes"] for code in theme.get("codes", ())}
    return _codebook(**keywords)


def _reference_evidence(matcher: KeywordMatcher, text: str, offset: int) -> dict:
    """The evidence as first written: a Token object per match and per look-back."""
    from collections import defaultdict

    from qualkit.model import Evidence
    from qualkit.suggest import NEGATION_WINDOW

    doc = matcher.nlp.make_doc(text)
    found: dict = defaultdict(list)
    for match_id, start, end in matcher.phrases(doc):
        code_id, term, kind = matcher.keys[match_id]
        first, last = doc[start], doc[end - 1]
        begin, stop = first.idx, last.idx + len(last)
        negated = any(t.lower in matcher.negators
                      for t in doc[max(0, start - NEGATION_WINDOW):start])
        found[code_id].append(Evidence(term, text[begin:stop], kind, offset + begin,
                                       offset + stop, negated))
    return dict(found)


def test_evidence_from_token_arrays_is_the_evidence_from_token_objects() -> None:
    segs = _sample_segments()
    segs += _segments("I was never.", "Confident teaching now.", "I didn't teach, nor explain.",
                      " padded teach ", "")
    vocabulary = {w for s in segs for w in s.text.lower().split()}
    matcher = KeywordMatcher(_sample_codebook(), vocabulary)
    expected = [_reference_evidence(matcher, s.text, s.start) for s in segs]
    found = [dict(d) for d in matcher.evidence_of(segs)]
    assert found == expected
    assert sum(len(d) for d in found) > 100
    assert any(e.negated for d in found for items in d.values() for e in items)


def test_exclusion_terms_suppress_a_code_in_their_segment_only() -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Excluding(Code):
        exclude_keywords: tuple[str, ...] = ()

    code = Excluding(id="teaching", name="t", theme_id="t", keywords=("teach",),
                     exclude_keywords=("faculty",))
    book = Codebook(name="t", version="v", label="", unit=Unit.SENTENCE,
                    themes=(Theme(id="t", name="T", codes=(code,)),))
    segs = _segments("The faculty teach us.", "I teach them.", "Faculty.")
    matcher = KeywordMatcher(book, ["teach", "faculty"])
    assert [s.segment_id for s in matcher.suggest(segs)] == [2]
