"""The learned suggester: features, thresholds, honest splits, the CLI (issue 25).

The fixture study is made here: classroom exchanges where a teacher either takes up what
the student said (repeats two of the student's words) or answers with two other words. The
teacher's words alone cannot tell the two apart (every word is drawn from one list), so
only the context features can; that is what a keyword engine cannot see.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest

from qualkit.errors import QualkitError
from qualkit.model import Participant, Segment
from qualkit.suggest.features import Example, context_tokens, examples
from qualkit.suggest.fit import best_threshold
from qualkit.suggest.learn_eval import split_transcripts

WORDS = [
    "fraction", "denominator", "numerator", "triangle", "angle", "square", "circle", "number",
    "pattern", "column", "remainder", "product", "quotient", "divisor", "multiple", "factor",
    "decimal", "percent", "ratio", "length"]

CODEBOOK = """\
name: Uptake
version: 1
unit: turn
themes:
  - id: talk
    name: Classroom talk
    codes:
      - id: uptake
        name: Uptake
        definition: The teacher takes up what the student just said.
        keywords: [you said]
      - id: praise
        name: Praise
        definition: The teacher praises.
        keywords: [wonderful]
      - id: rare
        name: Rare
        definition: Something that almost never happens.
        keywords: [banana]
"""


def _study(root: Path, transcripts: int = 10, exchanges: int = 30) -> Path:
    """Write the fixture study (see the module docstring) and its coder's file."""
    rng = random.Random(7)
    for folder in ("codebooks", "transcripts", "codings"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "codebooks" / "uptake.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "transcripts" / "participants.csv").write_text(
        "participant,role\nTeacher,teacher\nStudent,student\n", encoding="utf-8")
    rows = ["transcript,speaker,quote,codes,memo"]
    for t in range(transcripts):
        name = f"class{t:02d}"
        lines = []
        for e in range(exchanges):
            said = rng.sample(WORDS, 3)
            lines.append(f"Student: The {said[0]} and the {said[1]} make a {said[2]} "
                         f"number {t}{e}.")
            took_up = rng.random() < 0.4
            answer = rng.sample(said, 2) if took_up else rng.sample(
                [w for w in WORDS if w not in said], 2)
            praise = " Wonderful work." if rng.random() < 0.2 else ""
            teacher = f"So {answer[0]} then {answer[1]}, item {t}{e}.{praise}"
            lines.append(f"Teacher: {teacher}")
            codes = [c for c, on in (("uptake", took_up), ("praise", bool(praise))) if on]
            if t < 2 and e == 0:
                codes.append("rare")
            if codes:
                rows.append(f'{name},Teacher,"{teacher}",{";".join(codes)},')
        rows.append(f"{name},,,,")
        (root / "transcripts" / f"{name}.txt").write_text("\n\n".join(lines) + "\n",
                                                           encoding="utf-8")
    (root / "codings" / "rita.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from qualkit.cli.app import main

    root = _study(tmp_path_factory.mktemp("learn") / "study")
    try:
        main(["run", "-p", str(root), "-q"])
    except SystemExit as done:
        assert not done.code
    return root


def test_split_takes_whole_transcripts_in_a_seeded_order() -> None:
    split = split_transcripts([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.2, seed=3)
    assert len(split.train) == 2 and len(split.test) == 8
    assert set(split.train) | set(split.test) == set(range(1, 11))
    assert split_transcripts([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 0.2, seed=3) == split
    assert split_transcripts(list(range(1, 11)), 0.2, seed=4) != split


def test_split_keeps_a_transcript_on_each_side() -> None:
    for share in (0.01, 0.99):
        split = split_transcripts([1, 2], share, 0)
        assert (len(split.train), len(split.test)) == (1, 1)
    with pytest.raises(QualkitError, match="at least 2"):
        split_transcripts([1], 0.2, 0)


def test_best_threshold_maximises_f1_counting_ties_together() -> None:
    scores = np.array([0.9, 0.8, 0.8, 0.3, 0.1])
    y = np.array([1, 1, 0, 1, 0], dtype=bool)
    # Cuts: 0.9 -> P 1, R 1/3, F1 0.5; 0.8 -> P 2/3, R 2/3, F1 2/3;
    # 0.3 -> P 3/4, R 1, F1 6/7 = 0.857; 0.1 -> P 3/5, R 1, F1 0.75.
    threshold, f1 = best_threshold(scores, y)
    assert threshold == 0.3
    assert f1 == pytest.approx(6 / 7)


def _example(text: str, previous: str, role: str = "teacher",
             previous_role: str = "student") -> Example:
    return Example(1, 1, text, role, previous, previous_role, False)


def test_context_features_say_what_the_segment_does() -> None:
    asked = context_tokens(_example("Why do you think the fraction grows?",
                                    "The fraction grows because the denominator shrinks."))
    assert {"ends_with_question_mark", "opens_with=why", "repeats_previous",
            "repeats_phrase", "roles=student>teacher"} <= set(asked)
    other = context_tokens(_example("Okay, open your books.", "The fraction grows."))
    assert "repeats_previous" not in other
    assert "ends_with_question_mark" not in other


def test_the_previous_turn_is_the_whole_turn_before() -> None:
    segs = [Segment(1, 1, 0, 0, 0, 5, "Hi a.", "S"), Segment(2, 1, 0, 1, 6, 11, "Hi b.", "S"),
            Segment(3, 1, 1, 2, 12, 17, "So c.", "T"), Segment(4, 2, 0, 0, 0, 5, "New.", "T")]
    roster = {"T": Participant("T", {"role": "teacher"})}
    found = examples(segs, roster)
    assert [(e.previous_text, e.previous_role, e.role) for e in found] == [
        ("", "", "s"), ("", "", "s"), ("Hi a. Hi b.", "s", "teacher"), ("", "", "teacher")]


def test_learned_suggestions_find_what_keywords_cannot(study: Path, cli) -> None:
    result = cli("suggest", "-p", str(study), "--evaluate", "--coder", "rita", "--learn",
                 "--train-share", "0.3", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    learned = data["learned"]
    assert learned["train"] == {"transcripts": 3, "decisions": 180}
    assert learned["test"] == {"transcripts": 7, "segments": 420}
    assert data["segments"] == 420  # engine and baseline scored on the same test part
    assert learned["per_code"]["uptake"]["f1"] >= 0.8
    assert data["engine"]["per_code"]["uptake"]["f1"] == 0.0  # nobody says "you said"
    assert learned["per_code"]["praise"]["f1"] >= 0.9
    assert set(learned["abstaining"]) == {"rare"}
    assert re.fullmatch(r"needs more examples: ([012]) positive decision\(s\) in \1 "
                        r"transcript\(s\); at least 5 in 2 transcripts are needed",
                        learned["abstaining"]["rare"])
    assert {"precision", "recall", "f1"} <= set(learned["overall"])


def test_learned_evaluation_as_text_with_a_curve(study: Path, cli) -> None:
    result = cli("suggest", "-p", str(study), "--evaluate", "--coder", "rita", "--learn",
                 "--train-share", "0.5", "--seed", "1", "--curve")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ("Trained on rita's decisions in 5 transcript(s) (300 decisions, a 0.5 "
                        "share drawn with seed 1); scored on the other 5 transcript(s), 300 "
                        "participant segments:")
    assert lines[1].split() == ["code", "keyword", "F1", "baseline", "F1", "learned", "P",
                                "R", "F1", "support"]
    assert [line.split()[0] for line in lines[2:6]] == ["uptake", "praise", "rare", "overall"]
    assert any(re.fullmatch(r"No learned suggestions for rare: needs more examples: \d "
                            r"positive decision\(s\) in \d transcript\(s\); at least 5 in 2 "
                            r"transcripts are needed\.", line) for line in lines)
    curve = [line for line in lines if line.startswith("After")]
    assert [line.split()[1] for line in curve] == ["200", "300"]


@pytest.mark.parametrize(("args", "message"), [
    (("--learn",), "Error: --learn goes with --evaluate --coder NAME (to store learned "
                   "suggestions, use --learn-from NAME)\n"),
    (("--evaluate", "--coder", "rita", "--curve"),
     "Error: --curve goes with --learn (it retrains the learned suggester on more and more "
     "decisions)\n"),
    (("--evaluate", "--coder", "rita", "--learn", "--train-share", "1.5"),
     "Error: --train-share 1.5 is not between 0 and 1; give the share of transcripts to "
     "train on, such as 0.2\n"),
])
def test_learn_option_mistakes(study: Path, cli, args: tuple[str, ...], message: str) -> None:
    result = cli("suggest", "-p", str(study), *args)
    assert (result.exit_code, result.stderr) == (2, message)


def test_learn_from_stores_learned_suggestions_with_their_evidence(tmp_path: Path,
                                                                    cli) -> None:
    root = _study(tmp_path / "study", transcripts=6, exchanges=20)
    assert cli("run", "-p", str(root), "-q").exit_code == 0
    result = cli("suggest", "-p", str(root), "--learn-from", "rita", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["train"] == {"transcripts": 6, "decisions": 240}
    assert data["segments_read"] == 240
    assert set(data["abstaining"]) == {"rare"}

    from qualkit.codebook.versions import active_codebook
    from qualkit.project import Project

    with Project(root).open_store() as store:
        book = active_codebook(store)
        assert book is not None
        stored = store.learned_suggestions(book.version, "rita")
        assert len(stored) == data["suggestions"] > 0
        assert store.learned_run(book.version, "rita")["decisions"] == 240
        uptake = [x for x in stored if x.code_id == "uptake"]
        teacher = {s.id: s for s in store.segments() if s.speaker == "Teacher"}
        decisions = store.codings("rita")
        # Trained on these very decisions: the model must at least echo most of them.
        hits = sum("uptake" in decisions[x.segment_id].codes for x in uptake)
        assert hits / len(uptake) >= 0.8
        assert all(x.segment_id in teacher for x in uptake)
        assert all(0 < x.probability <= 1 for x in stored)
        probs = store.learned_probabilities(book.version, "rita")
        example = uptake[0]
        assert probs[example.segment_id]["uptake"] == example.probability
        # Probabilities only are stored; the evidence comes from the stored model.
        assert not any(x.features or x.similar for x in stored)
        assert store.learned_model(book.version, "rita") is not None
        given_uptake = {seg for seg, c in decisions.items() if "uptake" in c.codes}

    shown = cli("suggest", "-p", str(root), "--explain", str(example.segment_id), "--json")
    learned = [s for s in json.loads(shown.stdout)["suggestions"]
               if s["kind"] == "learned" and s["code_id"] == "uptake"]
    assert len(learned) == 1
    assert {k: v for k, v in learned[0].items() if k not in ("features", "similar_segments")
            } == {"code_id": "uptake", "kind": "learned", "coder": "rita",
                  "probability": example.probability}
    assert 0 < len(learned[0]["features"]) <= 5
    assert all(f["weight"] > 0 for f in learned[0]["features"])
    similar = learned[0]["similar_segments"]
    assert 0 < len(similar) <= 3 and example.segment_id not in similar
    assert set(similar) <= given_uptake
    text = cli("suggest", "-p", str(root), "--explain", str(example.segment_id)).stdout
    assert (f"uptake (Uptake), learned from rita's decisions, probability "
            f"{example.probability:.2f}\n") in text
    assert "  weighed most: " in text

    from qualkit.coding.session import TaggingSession
    from qualkit.coding.tui import render_codes

    with Project(root).open_store() as store:
        session = TaggingSession(store, book, "rita")
        session.goto(example.segment_id)
        view = session.view()
    line = next(line for line in view.codes if line.code.id == "uptake")
    assert line.learned == example.probability
    assert next(line for line in view.codes if line.code.id == "rare").needs_examples
    shown_codes = render_codes(view).plain.splitlines()
    assert "learned from your decisions (L): 1 Uptake" in shown_codes[0]
    assert shown_codes[1].endswith(f"Uptake  L {example.probability:.2f} learned")
    assert shown_codes[3].endswith("Rare  (learning needs more examples)")


def test_learn_from_needs_two_coded_transcripts(project: Path, cli) -> None:
    (project / "codings" / "solo.csv").write_text(
        "transcript,speaker,quote,codes,memo\nFG2,,,,\n", encoding="utf-8")
    assert cli("run", "-p", str(project), "-q").exit_code == 0
    result = cli("suggest", "-p", str(project), "--learn-from", "solo")
    assert (result.exit_code, result.stderr) == (
        2, "Error: solo has decisions on segments of 1 transcript(s); learning needs "
           "decisions in at least 2 (its thresholds are checked on transcripts it was not "
           "trained on): code more first\n")
    result = cli("suggest", "-p", str(project), "--learn-from", "nobody")
    assert (result.exit_code, result.stderr) == (
        2, "Error: no coder named 'nobody'; coders: solo\n")


def test_replay_walks_the_decisions_in_order(study: Path, cli) -> None:
    result = cli("suggest", "-p", str(study), "--evaluate", "--coder", "rita", "--replay",
                 "--every", "60", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["decisions"], data["every"]) == (600, 60)
    # The first model needs two transcripts revealed (60 segments each): after 120
    # decisions, then one per block of 60 up to 540.
    assert data["retrained"] == 8
    assert data["per_code"]["uptake"]["support"] == sum(
        1 for line in (study / "codings" / "rita.csv").read_text().splitlines()
        if "uptake" in line.split(",")[-2])
    assert data["per_code"]["uptake"]["f1"] >= 0.7
    assert data["per_code"]["uptake"]["kappa"] >= 0.5
    assert data["per_code"]["rare"]["kappa"] is None or data["per_code"]["rare"]["kappa"] <= 0
    top = data["top_suggestion"]
    assert 0 < top["right"] <= top["shown"]
    assert data["decisions_to_kappa_target"] in range(120, 600, 60)


def test_replay_every_must_be_sensible(study: Path, cli) -> None:
    result = cli("suggest", "-p", str(study), "--evaluate", "--coder", "rita", "--replay",
                 "--every", "3")
    assert (result.exit_code, result.stderr) == (
        2, "Error: --every 3 is too small: retraining after fewer than 10 decisions learns "
           "nothing new; give 50 or more\n")


def test_the_real_data_benchmark_says_when_the_data_is_absent(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.learned import main

    assert main(["--data", str(tmp_path / "absent")]) == 0
    assert capsys.readouterr().err == (
        f"{tmp_path / 'absent'} is not there: the learned-suggestion benchmark measures on "
        "the public corpora of ../shared/realdata only, so it was skipped.\n")


def test_tag_order_uncertain_puts_the_least_sure_segments_first(tmp_path: Path,
                                                                   cli) -> None:
    from qualkit.codebook.versions import active_codebook
    from qualkit.coding.session import TaggingSession
    from qualkit.project import Project
    from qualkit.suggest.learn_project import train, uncertainty_order

    root = _study(tmp_path / "study", transcripts=6, exchanges=20)
    assert cli("run", "-p", str(root), "-q").exit_code == 0
    with Project(root).open_store() as store:
        book = active_codebook(store)
        assert book is not None
        # Forget rita's decisions on the last transcript: it is what is left to code.
        last = [s for s in store.segments() if s.transcript_id == max(store.transcript_ids())]
        from datetime import UTC, datetime

        from qualkit.model import CodingAction, CodingEvent
        with store.transaction() as conn:
            store.append_events(conn, [CodingEvent(s.id, "rita", CodingAction.UNREVIEW, None,
                                                   book.version, "test", datetime.now(UTC))
                                       for s in last])
        order = uncertainty_order(store, book, "rita")
        open_ids = [s.id for s in last]
        assert sorted(order[:len(open_ids)]) == sorted(open_ids)
        # The margins, recomputed by hand from the model's probabilities, rise.
        learner = train(store, book, "rita")
        probs, _, _, codes = learner.probabilities(last, store.segments())
        live = [j for j, c in enumerate(codes) if learner.models[c].model is not None]

        def logit(p: float) -> float:
            p = min(max(p, 1e-6), 1 - 1e-6)
            return float(np.log(p / (1 - p)))

        margin = {s.id: min(abs(logit(float(probs[i, j]))
                                - logit(learner.models[codes[j]].threshold)) for j in live)
                  for i, s in enumerate(last)}
        assert [margin[i] for i in order[:len(open_ids)]] == sorted(margin.values())
        session = TaggingSession(store, book, "rita", order=order)
        assert session.current.id == order[0]
    result = cli("tag", "-p", str(root), "--coder", "rita", "--order", "random")
    assert (result.exit_code, result.stderr) == (
        2, "Error: --order random: use reading or uncertain\n")


def test_evidence_is_the_largest_positive_value_times_weight_per_row() -> None:
    from scipy.sparse import csr_matrix

    from qualkit.suggest.learn import top_features

    x = csr_matrix(np.array([[1.0, 2.0, 0.0, 1.0],
                             [0.0, 0.0, 0.0, 0.0],
                             [3.0, 1.0, 1.0, 0.5]], dtype=np.float32))
    coef = np.array([0.5, -1.0, 2.0, 1.0])
    # Row 0: 0.5, -2.0, -, 1.0 -> columns 3 then 0; row 2: 1.5, -1.0, 2.0, 0.5 (top 2).
    assert top_features(x, coef, 2) == [[(3, 1.0), (0, 0.5)], [], [(2, 2.0), (0, 1.5)]]
    # Ties keep column order; nothing that pushed the probability down is evidence.
    tied = csr_matrix(np.array([[1.0, 1.0, 1.0]], dtype=np.float32))
    assert top_features(tied, np.array([1.0, 1.0, -1.0]), 5) == [[(0, 1.0), (1, 1.0)]]


def test_similar_segments_are_the_most_alike_positive_ones_without_the_segment_itself(
        ) -> None:
    from scipy.sparse import csr_matrix

    from qualkit.suggest.learn import most_similar

    sims = csr_matrix([[0.1, 0.9, 0.0, 0.5, 0.7],
                     [0.0, 0.0, 0.0, 0.0, 0.0],
                     [0.2, 0.25, 0.3, 0.1, 0.9]])
    ids = np.array([10, 11, 12, 13, 14])
    assert most_similar(sims, ids, [99, 98, 14], 3) == [(11, 14, 13), (), (12, 11, 10)]
    assert most_similar(sims[:, :2], ids[:2], [99, 98, 14], 3) == [(11, 10), (), (11, 10)]


def test_tagging_retrains_the_real_learner_in_the_background(tmp_path: Path, cli) -> None:
    from qualkit.codebook.versions import active_codebook
    from qualkit.coding.retrain import Retrainer
    from qualkit.coding.session import TaggingSession
    from qualkit.project import Project
    from qualkit.suggest.engine import is_moderator
    from qualkit.suggest.learn_project import trainer

    root = _study(tmp_path / "study", transcripts=6, exchanges=20)
    assert cli("run", "-p", str(root), "-q").exit_code == 0
    with Project(root).open_store() as store:
        book = active_codebook(store)
        assert book is not None
        roster = store.participants()
        retrainer = Retrainer("rita", store.segments(), 50, trainer(book, roster),
                              lambda s: not is_moderator(s.speaker, roster))
        work = TaggingSession(store, book, "rita", retrainer=retrainer)
        teacher = next(s for s in store.segments() if s.speaker == "Teacher")
        work.goto(teacher.id)
        work.toggle("2")  # one decision more than the last training (none): retrain
        assert work.retraining
        work.wait_for_model(60)
        message = work.poll_model()
        # rita reviewed both speakers of 6 transcripts x 20 exchanges; "rare" never occurs.
        assert message == ("Retrained on your 240 decisions: L marks learned suggestions "
                           "(2 code(s) learned, 1 need more examples)")
        assert retrainer.model is not None
        models = retrainer.model.learner.models
        lines = work.view().codes
        assert [line.needs_examples for line in lines] == [False, False, True]
        shown = [line for line in lines if line.learned is not None]
        assert all(models[line.code.id].threshold <= line.learned <= 1 for line in shown)


def _fitted(study: Path) -> tuple[object, object, object]:
    from qualkit.codebook.versions import project_codebook
    from qualkit.project import find
    from qualkit.suggest.learn_project import material

    project = find(study)
    store = project.open_store()
    try:
        return project_codebook(store, project), material(store, "rita"), store.segments()
    finally:
        store.close()


def test_forked_processes_fit_the_models_threads_fit(study: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Codes are fitted in forked processes when the work is large; what they send back
    must be the models one process fits (to float32, the precision of the product)."""
    from qualkit.suggest import fit, learn

    book, m, every = _fitted(study)
    monkeypatch.setenv("QUALKIT_JOBS", "2")
    threaded = learn.Learner(book, m.roster).fit(m.reviewed, m.decisions, every)
    monkeypatch.setattr(fit, "PROCESS_CELLS", 0)
    forked = learn.Learner(book, m.roster).fit(m.reviewed, m.decisions, every)
    assert list(forked.models) == list(threaded.models)
    for code, one in threaded.models.items():
        other = forked.models[code]
        assert (other.threshold, other.cv_f1, other.reason) == (one.threshold, one.cv_f1,
                                                                 one.reason)
        if one.model is not None:
            np.testing.assert_allclose(other.model.coef_, one.model.coef_, rtol=1e-6,
                                       atol=1e-7)


def test_a_code_on_few_segments_gets_probabilities_on_a_usable_scale(study: Path) -> None:
    """The code given to a fifth of segments (praise) is suggested with probabilities a
    coder can read: its coded segments mostly above one half, the rest mostly below a
    tenth (stochastic gradient descent put both near 0.0001, and its threshold there)."""
    from qualkit.suggest.learn import Learner

    book, m, every = _fitted(study)
    learner = Learner(book, m.roster).fit(m.reviewed, m.decisions, every)
    probs, _, _, codes = learner.probabilities(m.reviewed, every)
    column = probs[:, codes.index("praise")]
    coded = np.array(["praise" in m.decisions[s.id].codes for s in m.reviewed])
    assert np.median(column[coded]) > 0.5
    assert np.median(column[~coded]) < 0.1
    assert 0.05 < learner.models["praise"].threshold < 0.95


def test_held_out_f1_cuts_each_fold_where_the_others_chose() -> None:
    """Two folds: fold A's cut is chosen on B and applied to A, and back. Counted by
    hand: B's best cut is its positive's 0.7 (its negative 0.5 below), which finds A's
    positive 0.8 and lets A's negative 0.75 through; A's best cut is 0.8, which misses
    B's positive 0.7 and keeps out its negative: tp 1, fp 1, fn 1, F1 = 2 / 4. (The best
    cut on both folds at once, 0.7, scores 4 / 5 on the same decisions.)"""
    from qualkit.suggest.fit import _held_out_f1

    oof = np.array([[0.8, 0.75, 0.7, 0.5]])
    y = np.array([[True, False, True, False]])
    assert _held_out_f1(oof, y, [np.array([0, 1]), np.array([2, 3])]).tolist() == [0.5]


def test_codes_share_the_cut_that_maximises_f1_over_all_their_decisions() -> None:
    """Counted by hand, two codes, folds {0, 1} and {2, 3}:

    - A's out-of-fold probabilities 0.9, 0.6, 0.3, 0.1 (coded, coded, not, not); B's
      0.25, 0.2, 0.15, 0.05 (only the first coded). Each alone is cut cleanly (A at 0.6,
      B at 0.25).
    - Held out: fold 1's cut is chosen on fold 2, where nothing is coded (0.5): A finds
      both its positives, B misses its one. Fold 2's cut is chosen on fold 1 pooled
      (0.9, 0.6, 0.25 coded, 0.2 not: 0.25), which lets A's 0.3 through. A: tp 2, fp 1,
      F1 4 / 5; B: tp 0, F1 0, so B abstains.
    - The shared cut is then chosen on A alone: 0.6. (With B, 0.25: F1 6 / 7 against
      4 / 5 at 0.6, and A's negative 0.3 would have been suggested.)"""
    from qualkit.suggest.fit import CodeModel, _cut_together

    labels = {"a": np.array([True, True, False, False]),
              "b": np.array([True, False, False, False])}
    fitted = [(CodeModel("a", 2, 2, 0.5, 0.0, model=object()), np.array([0.9, 0.6, 0.3, 0.1])),
              (CodeModel("b", 1, 3, 0.5, 0.0, model=object()),
               np.array([0.25, 0.2, 0.15, 0.05])),
              (CodeModel("c", 0, 4, 0.5, 0.0, reason="needs more examples"), None)]
    a, b, c = _cut_together(fitted, labels, [np.array([0, 1]), np.array([2, 3])])
    assert (a.cv_f1, a.model is not None) == (0.8, True)
    assert a.threshold == float(np.float32(0.6))  # probabilities are float32 where cut
    assert b.model is None and b.cv_f1 == 0.0
    assert "cross-validated F1 0.000" in b.reason
    assert c.reason == "needs more examples"


def test_every_way_of_suggesting_applies_the_cut_alike(study: Path) -> None:
    """Evaluation (``predict``), the stored run (``kept``) and the screens (``suggest``)
    each compare probabilities with the codes' threshold: they must suggest the same
    codes for the same segments, the threshold included (a cut met in float32 but missed
    in float64 once made evaluation and the stored run disagree)."""
    from qualkit.suggest.learn import Learner

    book, m, every = _fitted(study)
    learner = Learner(book, m.roster).fit(m.reviewed, m.decisions, every)
    codes = list(learner.models)
    live = [j for j, c in enumerate(codes) if learner.models[c].model is not None]
    assert live
    for j in live:  # a cut float32 can hold: float32 and float64 comparisons agree
        cut = learner.models[codes[j]].threshold
        assert float(np.float32(cut)) == cut
    predicted = {(seg, code) for seg, found in learner.predict(m.reviewed, every).items()
                 for code in found}
    kept = {(seg, code) for seg, items in learner.kept(m.reviewed, every)
            for code, _ in items}
    shown = {(s.segment_id, s.code_id)
             for s in learner.suggest(m.reviewed, "rita", every, evidence=False)}
    assert predicted and predicted == kept == shown


def test_tag_order_uncertain_reads_the_stored_model_while_it_is_current(
        tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The model ``suggest --learn-from`` stored is the one training would give, as long
    as the coder's decisions are the ones it learned from: ordering by uncertainty reads
    it instead of training again; once a decision changes, it trains."""
    from datetime import UTC, datetime

    from qualkit.codebook.versions import active_codebook
    from qualkit.model import CodingAction, CodingEvent
    from qualkit.project import Project
    from qualkit.suggest import learn
    from qualkit.suggest.learn_project import current

    root = _study(tmp_path / "study", transcripts=6, exchanges=20)
    assert cli("run", "-p", str(root), "-q").exit_code == 0
    assert cli("suggest", "-p", str(root), "--learn-from", "rita", "-q").exit_code == 0
    fits: list[int] = []
    real_fit = learn.Learner.fit

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        fits.append(1)
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(learn.Learner, "fit", counted)
    with Project(root).open_store() as store:
        book = active_codebook(store)
        assert book is not None
        stored = current(store, book, "rita")
        assert fits == [] and stored.decisions > 0
        with store.transaction() as conn:  # rita takes back one decision
            store.append_events(conn, [CodingEvent(stored.train_ids[0], "rita",
                                                   CodingAction.UNREVIEW, None,
                                                   book.version, "test", datetime.now(UTC))])
        trained = current(store, book, "rita")
        assert fits == [1] and trained.decisions == stored.decisions - 1


def test_an_added_codes_note_of_who_added_it_is_not_read_as_its_meaning() -> None:
    """Codes added from a coders' file carry a note (who, from which file, when) where
    a definition goes. Read as a definition, every code added from one file looked alike
    to the learner, and importing the same file a minute later changed the suggestions
    (seen on a published MAXQDA coding). A definition someone wrote still counts."""
    from datetime import UTC, datetime

    from qualkit.codebook.inductive import new_code
    from qualkit.model import Code
    from qualkit.suggest.features import code_description

    def added(at: datetime) -> Code:
        made = new_code("Tool complexity", set(), "authors", "codings/maxqda.csv", at)
        return Code(made["id"], made["name"], "inductive", made["definition"])

    early = added(datetime(2026, 12, 5, 2, 3, tzinfo=UTC))
    later = added(datetime(2026, 12, 6, 17, 45, tzinfo=UTC))
    assert early.definition != later.definition
    assert code_description(early) == code_description(later) == "Tool complexity"
    written = Code("tool_complexity", "Tool complexity", "inductive",
                   "The participant finds the tool hard to learn.")
    assert code_description(written) == ("Tool complexity The participant finds the tool "
                                          "hard to learn.")


def test_many_abstaining_codes_are_counted_not_listed_unless_asked() -> None:
    """A codebook of dozens of codes with a few examples each (a published MAXQDA coding:
    76 of 77 abstained) printed a line per code; past ten, one line says how many and where
    each is listed (``--verbose``, ``--json``)."""
    from qualkit.cli.suggest import say_abstaining

    class Said:
        def __init__(self) -> None:
            self.said: list[str] = []
            self.details: list[str] = []

        def say(self, line: str) -> None:
            self.said.append(line)

        def detail(self, line: str) -> None:
            self.details.append(line)

    few = Said()
    say_abstaining(few, {"a": "needs more examples: x", "b": "needs more examples: y"})
    assert few.said == ["No learned suggestions for a: needs more examples: x.",
                        "No learned suggestions for b: needs more examples: y."]
    many = Said()
    codes = {f"code_{n:02d}": "needs more examples: z" for n in range(12)}
    say_abstaining(many, codes)
    assert many.said == [
        "No learned suggestions for 12 codes, which need more examples (code_00, code_01, "
        "code_02, code_03, code_04, …); `--verbose` lists each with its reason, `--json` has "
        "them under `abstaining`."]
    assert many.details == [f"No learned suggestions for {c}: needs more examples: z."
                            for c in codes]
