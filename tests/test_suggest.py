"""The suggestion engine: what it matches, why, and how it is measured (issue 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualkit.model import Code, Codebook, MatchKind, Segment, Theme, Unit
from qualkit.suggest.engine import KeywordMatcher
from qualkit.suggest.evaluate import Counts, substring_baseline
from qualkit.suggest.word_table import derived_variants, fuzzy_variants


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
    return KeywordMatcher(codebook).suggest(segs, context=context)


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


@pytest.mark.parametrize("term", ["teach", 'say "teach"', "back\\slash", "new\nline",
                                  "ünïcode ✓", "\u2028tab\t", ""])
def test_suggestions_are_stored_as_json_dumps_writes_them(term: str) -> None:
    from qualkit.store import suggestion_json

    text = "x" * 103 + "taught" + "y" * 20
    found = [("teaching", 0.625, [(103, 109, term, "lemma", True, False, ""),
                                  (110, 111, "éclat", "fuzzy", False, True, "")]),
             ("other", 0.5, [(103, 104, term, "phrase", False, False, "")])]
    expected = json.dumps([[7, [[code, score, [[t, kind, int(negated), int(ctx), a, b]
                                               for a, b, t, kind, negated, ctx, _ in items]]
                                for code, score, items in found]]],
                          ensure_ascii=False, separators=(",", ":"))
    # One piece of evidence scores its weight; "teaching"'s two are ranked (as given).
    row = suggestion_json.transcript([
        suggestion_json.segment(7, {code: items for code, _, items in found},
                                {("phrase", False, False): 0.5},
                                lambda items: (0.625, items)),
        suggestion_json.segment(8, {}, {}, lambda items: (0.0, items))])
    assert row == expected
    one = found[1]
    assert suggestion_json.single(one[0], one[1], one[2][0]) == json.dumps(
        [one[0], one[1], [[term, "phrase", 0, 0, 103, 104]]],
        ensure_ascii=False, separators=(",", ":"))
    back = suggestion_json.decode(row, text)
    assert [(s.segment_id, s.code_id, s.score,
             [(e.term, e.matched, e.kind, e.negated, e.context) for e in s.evidence])
            for s in back] == [
        (7, "teaching", 0.625, [(term, "taught", MatchKind.LEMMA, True, False),
                                ("éclat", "y", MatchKind.FUZZY, False, True)]),
        (7, "other", 0.5, [(term, "t", MatchKind.PHRASE, False, False)])]


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


def _spacy_reference(codebook: Codebook, segs: list[Segment]) -> set[tuple]:
    """The matches as spaCy's PhraseMatcher finds them on spaCy's tokens, given the same
    forms of each keyword: (code, start, end, term, kind) per match."""
    from itertools import product

    from spacy.matcher import PhraseMatcher
    from spacy.tokens import Doc

    from qualkit.nlp import forms_of, pipeline

    nlp = pipeline()
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    keys: dict[int, tuple[str, str, str]] = {}
    vocabulary = {t.lower_ for s in segs for t in nlp.make_doc(s.text)}
    for code in codebook.codes:
        singles = [k for k in code.keywords if " " not in k]
        derived = derived_variants(singles, vocabulary)
        fuzzy = fuzzy_variants(singles, vocabulary)
        for keyword in code.keywords:
            words = [t.lower_ for t in nlp.make_doc(keyword)]
            plain = "phrase" if len(words) > 1 else "lemma"
            variants = [Doc(nlp.vocab, words=list(v))
                        for v in product(*(sorted(forms_of(w)) for w in words))]
            for kind, docs in ((plain, variants),
                               ("derivation", [Doc(nlp.vocab, words=[w])
                                               for w in derived.get(keyword.lower(), ())]),
                               ("fuzzy", [Doc(nlp.vocab, words=[w])
                                          for w in fuzzy.get(keyword.lower(), ())])):
                if docs:
                    name = f"{code.id}|{kind}|{keyword}"
                    keys[nlp.vocab.strings.add(name)] = (code.id, keyword, kind)
                    matcher.add(name, docs)
    found = set()
    for seg in segs:
        doc = nlp.make_doc(seg.text)
        for match_id, start, end in matcher(doc):
            code_id, term, kind = keys[match_id]
            span = doc[start:end]
            found.add((code_id, seg.start + span.start_char, seg.start + span.end_char, term,
                       kind))
    return found


def test_evidence_is_what_spacys_phrase_matcher_finds_on_spacys_tokens() -> None:
    """The matcher reads words with a regular expression and decides per distinct word;
    on the sample study that finds exactly what spaCy's PhraseMatcher finds."""
    segs = _sample_segments()
    segs += _segments("I was never.", "Confident teaching now.", "I didn't teach, nor explain.",
                      " padded teach ", "", "The mentee's self-confidence grew.")
    book = _sample_codebook()
    found = {(code_id, e.start, e.end, e.term, e.kind.value)
             for s in KeywordMatcher(book).suggest(segs) for code_id in [s.code_id]
             for e in s.evidence}
    evidence = {(code_id, a, b, term, kind) for seg, by_code in
                KeywordMatcher(book).evidence_of(segs) for code_id, items in by_code.items()
                for a, b, term, kind, *_ in items}
    assert evidence == _spacy_reference(book, segs)
    assert found <= evidence and len(found) > 100


def test_negation_looks_three_words_back_within_the_segment() -> None:
    book = _codebook(confidence=("confident",))
    cases = {"I didn't feel confident.": True, "I never really felt confident.": True,
             "Not once was I confident.": False, "I was confident, not scared.": False,
             "Nobody is as confident.": True, "I cannot feel confident.": True,
             'Not "confident".': True, "She said no. I'm confident.": False}
    for text, negated in cases.items():
        (found,) = _suggest(book, text)
        assert found.evidence[0].negated is negated, text


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
    matcher = KeywordMatcher(book)
    assert [s.segment_id for s in matcher.suggest(segs)] == [2]


def _stored_rows(root: Path) -> list[tuple[int, str, str]]:
    import sqlite3

    with sqlite3.connect(root / "qualkit.db") as db:
        return sorted(db.execute("SELECT transcript_id, codebook_version, suggestions "
                                 "FROM transcript_suggestions"))


@pytest.mark.parametrize("context", [False, True])
def test_worker_processes_store_what_one_process_stores(tmp_path: Path, context: bool) -> None:
    """The sample study read by two worker processes and by one: the same rows."""
    import shutil

    from qualkit.codebook.versions import default_codebook_file, register_codebook
    from qualkit.ingest.importer import import_transcripts
    from qualkit.project import init
    from qualkit.suggest.engine import suggest_project

    root = Path(__file__).resolve().parent.parent
    results = []
    for jobs in (1, 2):
        folder = tmp_path / f"jobs{jobs}"
        for part in ("codebooks", "transcripts"):
            shutil.copytree(root / part, folder / part)
        shutil.copy(root / "qualkit.toml", folder)
        project, _ = init(folder)
        with project.open_store() as store:
            codebook, _ = register_codebook(store, project, default_codebook_file(project))
            import_transcripts(store, project, unit=codebook.unit, allow_pii=True)
            result = suggest_project(store, codebook, context=context, jobs=jobs)
        results.append((result, _stored_rows(folder)))
    (one, rows_one), (two, rows_two) = results
    assert one == two and one.suggestions > 1000
    assert rows_one == rows_two
    assert len(rows_one) == 7  # the sample's transcripts, each read whole


def test_codebook_token_patterns_are_matched_by_spacy() -> None:
    """Patterns are spaCy token patterns kept as JSON text in the codebook (they used to
    reach spaCy's Matcher as the text's characters, which it refused)."""
    code = Code(id="guiding", name="g", theme_id="t", keywords=(),
                patterns=('[{"LEMMA": {"IN": ["walk", "walked"]}}, {"IS_ALPHA": true, '
                          '"OP": "?"}, {"LOWER": "through"}]',))
    book = Codebook(name="t", version="v", label="", unit=Unit.SENTENCE,
                    themes=(Theme(id="t", name="T", codes=(code,)),))
    found = KeywordMatcher(book).suggest(_segments("I walked them through it.",
                                                   "I never walked through.", "Nothing."))
    assert [(s.segment_id, s.score, [(e.term, e.matched, e.kind, e.start, e.end, e.negated)
                                     for e in s.evidence]) for s in found] == [
        (1, 0.5, [("pattern 1", "walked them through", MatchKind.PATTERN, 2, 21, False)]),
        (2, 0.25, [("pattern 1", "walked through", MatchKind.PATTERN, 34, 48, True)])]


def test_heads_made_once_per_keyword_are_what_the_stored_form_writes() -> None:
    """The matcher attaches each one-evidence suggestion's start of text, made once per
    keyword; writing it without them gives the same text and the same JSON."""
    from qualkit.suggest.engine import stored

    segs = _sample_segments()
    matcher = KeywordMatcher(_sample_codebook())
    rows = [(seg, evidence) for seg, evidence in matcher.evidence_of(segs) if evidence]
    assert any(e[6] for _, evidence in rows for items in evidence.values() for e in items)
    for seg, evidence in rows:
        plain = {code: [(*e[:6], "") for e in items] for code, items in evidence.items()}
        assert stored(seg.id, evidence) == stored(seg.id, plain)
        assert json.loads(stored(seg.id, evidence))[0] == seg.id


_found = st.tuples(st.integers(0, 3), st.integers(0, 3), st.sampled_from(["a", "b"]),
                   st.sampled_from(["lemma", "fuzzy", "derivation"]), st.booleans(),
                   st.booleans(), st.just(""))


@given(st.lists(_found, min_size=2, max_size=2))
def test_two_pieces_of_evidence_are_kept_as_the_general_rule_keeps_them(items) -> None:
    from qualkit.suggest.engine import _strongest, _strongest_of_many

    items = [(a, a + span, *rest) for a, span, *rest in items]
    assert _strongest(items) == _strongest_of_many(items)


def test_suggest_reads_a_transcript_once_and_again_for_its_moderators(project: Path,
                                                                       cli) -> None:
    """A plain run reads each transcript once and skips moderators; a later
    --include-moderator run reads the transcripts again with them (it used to find them
    all marked read); re-importing a changed transcript makes only it new."""
    from qualkit.project import find

    assert cli("import", "-p", str(project), "-q").exit_code == 0
    with find(project).open_store() as store:
        segments = store.segments()
    moderators = sum(s.speaker == "Moderator" for s in segments)
    assert moderators >= 2

    def run(*extra: str) -> dict[str, int]:
        result = cli("suggest", "-p", str(project), "--json", *extra)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    first = run()
    assert (first["segments_read"], first["moderator_segments_skipped"]) == (
        len(segments), moderators)
    assert run()["segments_read"] == 0
    with_moderators = run("--include-moderator")
    assert (with_moderators["segments_read"],
            with_moderators["moderator_segments_skipped"]) == (len(segments), 0)
    assert run("--include-moderator")["segments_read"] == 0
    assert run()["segments_read"] == 0
    fg2 = project / "transcripts" / "FG2.txt"
    fg2.write_text(fg2.read_text(encoding="utf-8") + "\n[00:01:00] P03: I am confident.\n",
                   encoding="utf-8")
    assert cli("import", "-p", str(project), "-q").exit_code == 0
    again = run()
    with find(project).open_store() as store:
        changed = store.transcript("FG2")
        assert changed is not None
        fg2_segments = store.segments([changed.id])
    assert again["segments_read"] == len(fg2_segments) < len(segments)
    assert again["suggestions"] >= 1


def test_phrases_and_negation_stay_inside_their_segment() -> None:
    """A transcript's segments are read in one pass; neither a phrase nor a negation
    reaches from one segment into the next, and offsets stay each segment's own."""
    book = _codebook(skills=("skills lab",), confidence=("confident",))
    found = _suggest(book, "We met in the skills", "lab after class, not", "confident, sure.",
                     "The skills lab, not confident.")
    assert [(s.segment_id, s.code_id) for s in found] == [
        (3, "confidence"), (4, "skills"), (4, "confidence")]
    by_segment = {(s.segment_id, s.code_id): s for s in found}
    assert by_segment[3, "confidence"].evidence[0].negated is False
    assert by_segment[4, "confidence"].evidence[0].negated is True
    (ev,) = by_segment[4, "skills"].evidence
    assert (ev.matched, ev.start, ev.end) == ("skills lab", 63, 73)


def _saved_pipeline(folder: Path, lemmatizer: bool = True) -> Path:
    """A trained-style pipeline saved to a folder, as `spacy.load` takes it: the lookup
    lemmatizer, then an attribute ruler that reads one made-up word in context."""
    import spacy

    nlp = spacy.blank("en")
    if lemmatizer:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("attribute_ruler")
    nlp.initialize()  # before the rule: initialising clears an attribute ruler's rules
    ruler.add([[{"LOWER": "grokked"}]], {"LEMMA": "grok"})
    nlp.to_disk(folder)
    return folder


def test_a_named_trained_pipeline_adds_the_lemmas_it_reads_in_context(tmp_path: Path) -> None:
    model = str(_saved_pipeline(tmp_path / "pipeline"))
    book = _codebook(understanding=("grok",), teaching=("teach",))
    texts = ("She grokked it and taught me.", "I never grokked it.")
    assert [s.code_id for s in _suggest(book, *texts)] == ["teaching"]
    found = KeywordMatcher(book, model).suggest(_segments(*texts))
    by = {(s.segment_id, s.code_id): s for s in found}
    assert set(by) == {(1, "understanding"), (1, "teaching"), (2, "understanding")}
    (ev,) = by[1, "understanding"].evidence
    assert (ev.term, ev.matched, ev.kind, ev.start, ev.end, ev.negated) == (
        "grok", "grokked", MatchKind.LEMMA, 4, 11, False)
    assert len(by[1, "teaching"].evidence) == 1  # the word table's match, not twice
    assert by[2, "understanding"].evidence[0].negated is True


def test_a_spacy_model_that_will_not_load_stops_before_anything_changes(
        coded_project: Path, cli, tmp_path: Path) -> None:
    assert cli("run", "-p", str(coded_project), "-q").exit_code == 0
    before = cli("suggest", "-p", str(coded_project), "--explain", "3").stdout
    for model, problem in (("no_such_pipeline", "is not installed"),
                           (str(_saved_pipeline(tmp_path / "p", lemmatizer=False)),
                            "has no lemmatizer")):
        result = cli("suggest", "-p", str(coded_project), "--refresh", "--spacy-model", model)
        assert result.exit_code == 2
        assert result.stderr.startswith(f"Error: the spaCy pipeline {model!r} {problem}")
        assert len(result.stderr.splitlines()) == 1
    assert cli("suggest", "-p", str(coded_project), "--explain", "3").stdout == before
    assert "No suggestions" not in before
    result = cli("suggest", "-p", str(coded_project), "--refresh", "--spacy-model",
                 str(_saved_pipeline(tmp_path / "ok")), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["segments_read"] > 0
