"""The learned suggester's model kept with the project (issue 25): stored without pickle,
read back predicting what the trained model did, and the evidence of a shown suggestion
computed from it; projects stored before models were kept still explain."""

from __future__ import annotations

import io
import json
import re
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from qualkit.codebook.versions import active_codebook
from qualkit.project import find
from qualkit.store import migrations, open_store
from qualkit.store.db import _sqlite_engine
from qualkit.suggest import model_file
from qualkit.suggest.learn_project import train
from tests.test_learn import _study


@pytest.fixture
def learned(tmp_path: Path, cli) -> Path:
    root = _study(tmp_path / "study", transcripts=6, exchanges=20)
    assert cli("run", "-p", str(root), "-q").exit_code == 0
    done = cli("suggest", "-p", str(root), "--learn-from", "rita", "-q")
    assert done.exit_code == 0, done.stderr
    return root


def test_the_stored_model_predicts_what_the_trained_one_did(store_backend: str,
                                                             learned: Path) -> None:
    # store_backend first: on PostgreSQL the project is made on the server.
    with find(learned).open_store() as store:
        book = active_codebook(store)
        assert book is not None
        meta, data = store.learned_model(book.version, "rita")
        assert isinstance(data, bytes)
        loaded = model_file.load(book, store.participants(), meta, data, store.segments)
        trained = train(store, book, "rita")  # the same decisions: the same (seeded) fit
        every = store.segments()
        again = trained.suggest(every, "rita", every)
        assert loaded.suggest(every, "rita", every) == again
        assert any(x.features for x in again) and any(x.similar for x in again)
        stored = store.learned_suggestions(book.version, "rita")
        assert [(x.segment_id, x.code_id, x.probability) for x in stored] == [
            (x.segment_id, x.code_id, x.probability) for x in again]
        assert loaded.abstaining() == trained.abstaining() != {}


def test_a_model_that_would_unpickle_is_not_read(learned: Path) -> None:
    with find(learned).open_store() as store:
        book = active_codebook(store)
        meta, _ = store.learned_model(book.version, "rita")
        buffer = io.BytesIO()
        np.savez(buffer, weights=np.array([{"run": "code"}], dtype=object))
        with pytest.raises(model_file.StoredModelError, match="cannot be read"):
            model_file.load(book, store.participants(), meta, buffer.getvalue())
        with pytest.raises(model_file.StoredModelError, match="another qualkit version"):
            model_file.load(book, store.participants(), {**meta, "format": 99}, b"")


def _first_uptake(root: Path) -> tuple[int, int, str]:
    """(segment id, its transcript id, its text) of the first stored uptake suggestion."""
    with find(root).open_store() as store:
        book = active_codebook(store)
        x = next(x for x in store.learned_suggestions(book.version, "rita")
                 if x.code_id == "uptake")
        seg = store.segment(x.segment_id)
        return x.segment_id, seg.transcript_id, seg.text


def test_explain_computes_the_evidence_from_the_stored_model(learned: Path, cli) -> None:
    seg, _, text = _first_uptake(learned)
    shown = cli("suggest", "-p", str(learned), "--explain", str(seg))
    assert shown.exit_code == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[1] == f"  {text}"
    at = lines.index(next(line for line in lines if line.startswith("uptake (Uptake), learned")))
    assert re.fullmatch(r"uptake \(Uptake\), learned from rita's decisions, probability "
                        r"\d\.\d\d", lines[at])
    assert re.fullmatch(r"  weighed most: (.+ \(\+\d+\.\d\d\))(, .+ \(\+\d+\.\d\d\)){0,4}",
                        lines[at + 1])
    similar = re.fullmatch(r"  reads like segments rita gave this code: ([\d, ]+)",
                           lines[at + 2])
    assert similar
    ids = [int(i) for i in similar.group(1).split(", ")]
    with find(learned).open_store() as store:
        rita = store.codings("rita")
    assert 1 <= len(ids) <= 3 and seg not in ids
    assert all("uptake" in rita[i].codes for i in ids)


def _forget_model(root: Path, evidence: list[object]) -> int:
    """Make the project look like one stored before models were kept: no model, and the
    first uptake suggestion's transcript row rewritten with ``evidence``."""
    seg, transcript, _ = _first_uptake(root)
    row = [[seg, [["uptake", 0.87, *evidence]]]]
    with sqlite3.connect(root / "qualkit.db") as db:
        db.execute("DELETE FROM learned_models")
        db.execute("UPDATE learned_suggestions SET suggestions = ? WHERE transcript_id = ?",
                   (json.dumps(row), transcript))
    return seg


def test_explain_shows_the_evidence_stored_before_models_were_kept(learned: Path,
                                                                   cli) -> None:
    seg = _forget_model(learned, [[["word 'so'", 0.42], ["context role=teacher", 0.3]],
                                  [12, 15]])
    shown = cli("suggest", "-p", str(learned), "--explain", str(seg))
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.splitlines()[-3:] == [
        "uptake (Uptake), learned from rita's decisions, probability 0.87",
        "  weighed most: word 'so' (+0.42), context role=teacher (+0.30)",
        "  reads like segments rita gave this code: 12, 15"]
    data = json.loads(cli("suggest", "-p", str(learned), "--explain", str(seg),
                          "--json").stdout)
    assert [s for s in data["suggestions"] if s["kind"] == "learned"] == [
        {"code_id": "uptake", "kind": "learned", "coder": "rita", "probability": 0.87,
         "features": [{"feature": "word 'so'", "weight": 0.42},
                      {"feature": "context role=teacher", "weight": 0.3}],
         "similar_segments": [12, 15]}]


def test_explain_without_evidence_or_model_says_to_learn_again(learned: Path, cli) -> None:
    seg = _forget_model(learned, [[], []])
    shown = cli("suggest", "-p", str(learned), "--explain", str(seg))
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.splitlines()[-2:] == [
        "uptake (Uptake), learned from rita's decisions, probability 0.87",
        "  its evidence was not kept: rerun `qualkit suggest --learn-from rita` to see why"]


def test_version_7_learned_suggestions_are_kept_without_a_model(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    engine = _sqlite_engine(path)
    migrations.apply(engine, upto=7)
    stored = '[[1,[["teaching",0.91,[["word \'taught\'",1.25]],[7]]]]]'
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO transcripts (id, name, source, sha256, text, attributes, imported_at)"
            " VALUES (1, 'FG1', 'transcripts/FG1.txt', 'abc', 'P01: I taught.', '{}', 't')")
        conn.exec_driver_sql("INSERT INTO segments (id, transcript_id, turn_idx, idx, start,"
                             " \"end\", speaker) VALUES (1, 1, 0, 0, 5, 14, 'P01')")
        conn.exec_driver_sql("INSERT INTO coders (name, created_at) VALUES ('ana', 't')")
        conn.exec_driver_sql("INSERT INTO codebooks (version, name, label, content, source,"
                             " loaded_at) VALUES ('v1', 'cb', '1', '{}', 'x', 't')")
        conn.exec_driver_sql("INSERT INTO learned_suggestions (transcript_id, "
                             "codebook_version, coder, suggestions) VALUES (1, 'v1', 'ana', ?)",
                             (stored,))
        conn.exec_driver_sql("INSERT INTO learned_runs (codebook_version, coder, trained_at,"
                             " summary) VALUES ('v1', 'ana', 't', '{\"abstaining\": {}}')")
    engine.dispose()

    store = open_store(path)
    with store.engine.connect() as conn:
        assert migrations.current_version(conn) == migrations.LATEST >= 8
    (found,) = store.learned_suggestions("v1", "ana")
    assert (found.segment_id, found.code_id, found.probability, found.features,
            found.similar) == (1, "teaching", 0.91, (("word 'taught'", 1.25),), (7,))
    assert store.learned_model("v1", "ana") is None
    store.close()


def test_a_model_retrained_while_tagging_is_kept_for_the_next_session(tmp_path: Path,
                                                                      cli) -> None:
    from qualkit.coding.retrain import Retrainer
    from qualkit.suggest.engine import is_moderator
    from qualkit.suggest.learn_project import keeper, trainer

    root = _study(tmp_path / "study", transcripts=6, exchanges=20)
    assert cli("run", "-p", str(root), "-q").exit_code == 0
    with find(root).open_store() as store:
        book = active_codebook(store)
        roster = store.participants()
        every = store.segments()

        def learns(s) -> bool:  # type: ignore[no-untyped-def]
            return not is_moderator(s.speaker, roster)

        retrainer = Retrainer("rita", every, 10, trainer(book, roster), learns,
                              keeper(store, book, "rita", learns))
        # As if rita had reviewed the first four transcripts only so far.
        first = sorted({s.transcript_id for s in every})[:4]
        raw = {seg: c.codes for seg, c in store.codings("rita").items()}
        owner = {s.id: s.transcript_id for s in every}
        snapshot = {seg: codes for seg, codes in raw.items() if owner[seg] in first}
        assert retrainer.decided(len(snapshot), lambda: snapshot)
        retrainer.wait(60)
        model = retrainer.poll()
        assert model is not None and not retrainer.failed
        stored = store.learned_suggestions(book.version, "rita")
        open_ = [s for s in every if s.id not in snapshot]
        assert len(open_) == 80
        expected = model.learner.suggest(open_, "rita", every)
        assert [(x.segment_id, x.code_id, x.probability) for x in stored] == [
            (x.segment_id, x.code_id, x.probability) for x in expected] != []
        run = store.learned_run(book.version, "rita")
        assert (run["decisions"], run["segments"]) == (160, 80)
        assert store.learned_model(book.version, "rita") is not None
    shown = cli("suggest", "-p", str(root), "--explain", str(stored[0].segment_id))
    assert "  weighed most: " in shown.stdout


def test_learning_over_two_processes_stores_what_one_does(learned: Path) -> None:
    from qualkit.suggest import learn_project

    with find(learned).open_store() as store:
        book = active_codebook(store)
        one = store.learned_suggestions(book.version, "rita")  # small: one process
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(learn_project, "BATCH_SEGMENTS", 30)  # a batch per transcript
            result = learn_project.learn_from(store, book, "rita", jobs=2)
        assert result.suggestions == len(one) > 0
        assert store.learned_suggestions(book.version, "rita") == one
        assert store.learned_run(book.version, "rita")["segments"] == 240
        # A spawned worker (not Linux) is given the stored model, not the learner.
        every = store.segments()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(learn_project, "_LEARNER", None)
            learn_project._start_worker(book, store.participants(),
                                        *store.learned_model(book.version, "rita"))
            spawned = learn_project._LEARNER
        assert spawned is not None
        assert spawned.kept(every, every) == train(store, book, "rita").kept(every, every)


def test_a_fitted_block_gives_scikit_learns_tf_idf_to_the_last_bit() -> None:
    # Stored models rebuild the blocks from their terms and idf; the fits and thresholds
    # of the learner are sensitive to the last bit of their input.
    from sklearn.feature_extraction.text import TfidfVectorizer

    from qualkit.suggest.features import Block, Vocabulary

    docs = [("so", "the", "fraction", "the", "fraction"), ("ratio",), (),
            ("the", "unseen", "ratio", "ratio", "ratio", "so")] * 3
    block = Block("word", "word '{}'", lambda ex: ex.own, min_df=2)
    fitted = Vocabulary.fit(block, docs[:6])
    reference = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True, min_df=2,
                                dtype=np.float32).fit(docs[:6])
    assert fitted.terms == reference.get_feature_names_out().tolist()
    assert np.array_equal(fitted.transform(docs).toarray(),
                          reference.transform(docs).toarray())
