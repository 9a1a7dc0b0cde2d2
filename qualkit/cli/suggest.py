"""``qualkit suggest``: machine suggestions under the project's codebook, explained and
evaluated against a person's decisions."""

from pathlib import Path
from typing import Annotated, Any

import typer

from qualkit.cli.common import JsonOpt, Session, command

CodebookOpt = Annotated[Path | None, typer.Option(
    "--codebook", exists=True, dir_okay=False,
    help="Codebook YAML (default: the project's codebook).")]


def register(app: typer.Typer) -> None:
    @command(app, "suggest")
    def suggest(session: Session, codebook: CodebookOpt = None,
                include_moderator: Annotated[bool, typer.Option(
                    help="Also suggest codes on moderators' turns.")] = False,
                context: Annotated[bool, typer.Option(
                    help="Also use the neighbouring sentences of the same turn (weaker "
                         "evidence).")] = False,
                refresh: Annotated[bool, typer.Option(
                    help="Read every segment again, not only new ones.")] = False,
                spacy_model: Annotated[str | None, typer.Option(
                    "--spacy-model", help="An installed trained spaCy pipeline (name or "
                                          "folder) whose lemmatizer also reads each "
                                          "segment, in context (default: spaCy's lookup "
                                          "table alone).")] = None,
                explain: Annotated[int | None, typer.Option(
                    metavar="SEGMENT_ID", help="Show the evidence for one segment.")] = None,
                evaluate: Annotated[bool, typer.Option(
                    help="Score suggestions and the substring baseline against --coder.")]
                = False,
                coder: Annotated[str | None, typer.Option(
                    help="Whose decisions --evaluate compares with.")] = None,
                min_score: Annotated[float, typer.Option(
                    help="With --evaluate: count suggestions scoring at least this.")] = 0.0,
                learn: Annotated[bool, typer.Option(
                    "--learn", help="With --evaluate: also train the learned suggester on "
                                    "--coder's decisions in a share of their transcripts "
                                    "and score all three on the rest.")] = False,
                train_share: Annotated[float, typer.Option(
                    help="With --learn: the share of the coder's transcripts to train on "
                         "(whole transcripts).")] = 0.2,
                seed: Annotated[int, typer.Option(
                    help="With --learn: which transcripts are drawn for training.")] = 0,
                curve: Annotated[bool, typer.Option(
                    "--curve", help="With --learn: F1 after 200, 500, 1,000, 2,000, ... "
                                    "training decisions.")] = False,
                replay: Annotated[bool, typer.Option(
                    "--replay", help="With --evaluate: walk --coder's decisions in the "
                                     "order they were made, predicting each segment "
                                     "before its decision, retraining every --every "
                                     "decisions.")] = False,
                every: Annotated[int, typer.Option(
                    help="With --replay: retrain after this many decisions.")] = 200,
                learn_from: Annotated[str | None, typer.Option(
                    "--learn-from", metavar="CODER",
                    help="Train a model on this coder's decisions and store its "
                         "suggestions (learned, with probabilities) for every segment, "
                         "with the model: --explain computes their evidence from it.")]
                = None,
                as_json: JsonOpt = False) -> None:
        """Suggest codes for segments not yet read under the codebook, with evidence."""
        from qualkit.codebook.versions import project_codebook
        from qualkit.errors import QualkitError
        from qualkit.suggest.engine import suggest_project

        if evaluate and not coder:
            raise QualkitError("--evaluate needs --coder NAME (whose decisions to compare "
                               "with)")
        if learn_from is not None and evaluate:
            raise QualkitError("--learn-from stores learned suggestions and --evaluate "
                               "scores them: run one, then the other (to score learning, "
                               "use --evaluate --coder NAME --learn)")
        if (learn or curve or replay) and not evaluate:
            flag = "--learn" if learn else "--curve" if curve else "--replay"
            raise QualkitError(f"{flag} goes with --evaluate "
                               "--coder NAME (to store learned suggestions, use "
                               "--learn-from NAME)")
        if curve and not learn:
            raise QualkitError("--curve goes with --learn (it retrains the learned "
                               "suggester on more and more decisions)")
        project = session.project()
        with project.open_store() as store:
            book = project_codebook(store, project, codebook) if explain is None or codebook \
                else project_codebook(store, project)
            if explain is not None:
                _explain(session, store, book, explain, as_json)
                return
            if learn_from is not None:
                _learn_from(session, store, book, learn_from, include_moderator, as_json)
                return
            if spacy_model is not None:  # a pipeline that will not load stops us here,
                from qualkit.nlp import lemma_pipeline  # before --refresh forgets anything

                lemma_pipeline(spacy_model)
            if refresh:
                with store.transaction() as conn:
                    store.forget_suggestions(conn, book.version)
            with session.progress("Suggesting") as progress:
                result = suggest_project(store, book, include_moderator=include_moderator,
                                         context=context, progress=progress,
                                         model=spacy_model)
            if evaluate and replay:
                from qualkit.suggest.replay import replay as walk

                with session.progress("Replaying") as progress:
                    walked = walk(store, book, coder or "", every, progress)
                _print_replay(session, walked, as_json)
                return
            if evaluate and learn:
                from qualkit.suggest.learn_eval import evaluate_learned

                with session.progress("Training") as progress:
                    found = evaluate_learned(store, book, coder or "", train_share=train_share,
                                             seed=seed, curve=curve, min_score=min_score,
                                             progress=progress)
                _print_learned_evaluation(session, found, as_json)
                return
            if evaluate:
                from qualkit.suggest.evaluate import evaluate as score

                _print_evaluation(session, score(store, book, coder or "", min_score), as_json)
                return
        if as_json:
            session.json({"codebook_version": result.codebook_version,
                          "segments_read": result.processed,
                          "moderator_segments_skipped": result.skipped_moderator,
                          "suggestions": result.suggestions})
            return
        session.say(f"Read {result.processed} new segment(s) under codebook {book.version} "
                    f"({result.skipped_moderator} moderator segments skipped): "
                    f"{result.suggestions} suggestion(s).")
        if result.suggestions:
            session.say("See why a segment got its suggestions: "
                        "`qualkit suggest --explain SEGMENT_ID`.")


def _learn_from(session: Session, store: Any, book: Any, coder: str,
                include_moderator: bool, as_json: bool) -> None:
    from qualkit.suggest.learn_project import learn_from

    with session.progress("Learning") as progress:
        result = learn_from(store, book, coder, include_moderator=include_moderator,
                            progress=progress)
    if as_json:
        session.json({"codebook_version": book.version, "coder": coder,
                      "train": {"transcripts": result.transcripts,
                                "decisions": result.decisions},
                      "segments_read": result.segments_read,
                      "suggestions": result.suggestions, "abstaining": result.abstaining})
        return
    session.say(f"Learned from {coder}'s {result.decisions} decision(s) in "
                f"{result.transcripts} transcript(s); read {result.segments_read} segment(s): "
                f"{result.suggestions} learned suggestion(s).")
    say_abstaining(session, result.abstaining)
    session.say("They are proposals, not decisions. See why a segment got its suggestions: "
                "`qualkit suggest --explain SEGMENT_ID`.")


ABSTAINING_LISTED = 10
"""Abstaining codes listed one a line; past this, a count (a codebook of 80 inductive
codes, most with a few examples, printed 75 such lines)."""


def say_abstaining(session: Session, abstaining: dict[str, str]) -> None:
    """Which codes get no learned suggestions and why: each on its line when there are
    few, otherwise how many, the first few, and where every one is listed."""
    lines = [f"No learned suggestions for {code}: {reason}."
             for code, reason in abstaining.items()]
    if len(lines) <= ABSTAINING_LISTED:
        for line in lines:
            session.say(line)
        return
    first = ", ".join(list(abstaining)[:5])
    session.say(f"No learned suggestions for {len(lines)} codes, which need more examples "
                f"({first}, …); `--verbose` lists each with its reason, `--json` has them "
                "under `abstaining`.")
    for line in lines:
        session.detail(line)


def _explain(session: Session, store: Any, book: Any, segment_id: int, as_json: bool) -> None:
    from qualkit.errors import NotFoundError

    segment = store.segment(segment_id)
    if segment is None:
        raise NotFoundError(f"no segment {segment_id}; segment ids are listed in "
                            "exports/coded_segments.csv")
    found = store.suggestions(book.version, segment_id)
    learned = store.learned_suggestions(book.version, segment_id=segment_id)
    models = None
    if learned:  # evidence is computed from the stored model, for this segment only
        from qualkit.suggest.model_file import StoredModels

        models = StoredModels(store, book)
        learned = models.with_evidence(segment, learned)
    names = {c.id: c.name for c in book.codes}
    if as_json:
        session.json({"segment_id": segment_id, "speaker": segment.speaker,
                      "start": segment.start, "end": segment.end, "text": segment.text,
                      "suggestions": [
                          {"code_id": s.code_id, "kind": "keyword", "score": s.score,
                           "evidence": [{"term": e.term, "matched": e.matched,
                                         "kind": e.kind.value, "start": e.start,
                                         "end": e.end, "negated": e.negated,
                                         "context": e.context} for e in s.evidence]}
                          for s in found] + [
                          {"code_id": x.code_id, "kind": "learned", "coder": x.coder,
                           "probability": x.probability,
                           "features": [{"feature": f, "weight": w} for f, w in x.features],
                           "similar_segments": list(x.similar)}
                          for x in learned]})
        return
    session.say(f"Segment {segment_id} ({segment.speaker}, characters "
                f"{segment.start}-{segment.end}):")
    session.say(f"  {segment.text}")
    if not found and not learned:
        session.say("No suggestions (or this segment has not been read yet: run "
                    "`qualkit suggest`).")
    for s in found:
        session.say(f"{s.code_id} ({names.get(s.code_id, '?')}), score {s.score:.2f}")
        for e in s.evidence:
            notes = [n for n, on in (("negated", e.negated), ("neighbouring sentence",
                                                               e.context)) if on]
            extra = f" [{', '.join(notes)}]" if notes else ""
            session.say(f"  {e.kind.value:<10} {e.term!r} matched {e.matched!r} at "
                        f"{e.start}-{e.end}{extra}")
    for x in learned:
        session.say(f"{x.code_id} ({names.get(x.code_id, '?')}), learned from {x.coder}'s "
                    f"decisions, probability {x.probability:.2f}")
        if x.features:
            session.say("  weighed most: " + ", ".join(f"{f} (+{w:.2f})"
                                                       for f, w in x.features))
        if x.similar:
            session.say(f"  reads like segments {x.coder} gave this code: "
                        + ", ".join(map(str, x.similar)))
        if not x.features and not x.similar and models and not models.stored(x.coder):
            session.say(f"  its evidence was not kept: rerun `qualkit suggest --learn-from "
                        f"{x.coder}` to see why")


def _print_evaluation(session: Session, result: Any, as_json: bool) -> None:
    if as_json:
        session.json(result.as_dict())
        return
    data = result.as_dict()
    session.say(f"Against {result.coder}'s decisions on {result.segments} participant "
                f"segments (suggestions scoring >= {result.min_score}):")
    session.say(f"{'code':<26}{'engine P':>9}{'R':>7}{'F1':>7}   {'baseline P':>10}{'R':>7}"
                f"{'F1':>7}{'support':>9}")
    rows = [*data["engine"]["per_code"].items(), ("overall", data["engine"]["overall"])]
    base = {**data["baseline"]["per_code"], "overall": data["baseline"]["overall"]}
    for code, e in rows:
        b = base[code]
        session.say(f"{code:<26}{e['precision']:>9.3f}{e['recall']:>7.3f}{e['f1']:>7.3f}   "
                    f"{b['precision']:>10.3f}{b['recall']:>7.3f}{b['f1']:>7.3f}"
                    f"{e['support']:>9}")
    session.say("Baseline: case-insensitive substring search for the same keywords "
                "(QDA tools' auto-code). Overall figures are micro-averaged.")


def _print_learned_evaluation(session: Session, result: Any, as_json: bool) -> None:
    if as_json:
        session.json(result.as_dict())
        return
    data = result.as_dict()
    learned = data["learned"]
    session.say(f"Trained on {result.base.coder}'s decisions in {result.train_transcripts} "
                f"transcript(s) ({result.train_decisions} decisions, a {result.train_share:g} "
                f"share drawn with seed {result.seed}); scored on the other "
                f"{result.test_transcripts} transcript(s), {result.base.segments} participant "
                "segments:")
    session.say(f"{'code':<26}{'keyword F1':>11}{'baseline F1':>12}{'learned P':>10}{'R':>7}"
                f"{'F1':>7}{'support':>9}")
    engine = {**data["engine"]["per_code"], "overall": data["engine"]["overall"]}
    base = {**data["baseline"]["per_code"], "overall": data["baseline"]["overall"]}
    for code, s in [*learned["per_code"].items(), ("overall", learned["overall"])]:
        session.say(f"{code:<26}{engine[code]['f1']:>11.3f}{base[code]['f1']:>12.3f}"
                    f"{s['precision']:>10.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}"
                    f"{s['support']:>9}")
    say_abstaining(session, learned["abstaining"])
    for point in learned.get("curve", []):
        session.say(f"After {point['decisions']:>6} training decisions "
                    f"({point['transcripts']} transcripts): learned F1 {point['f1']:.3f}")
    session.say("Keyword: the engine's stored suggestions; baseline: substring search for the "
                "same keywords; learned: trained on the other transcripts only. Overall "
                "figures are micro-averaged.")


def _print_replay(session: Session, result: Any, as_json: bool) -> None:
    data = result.as_dict()
    if as_json:
        session.json(data)
        return
    session.say(f"Replayed {result.coder}'s {result.decisions} decisions in the order they "
                f"were made, retraining every {result.every} ({result.retrained} model(s)):")
    session.say(f"{'code':<26}{'P':>7}{'R':>7}{'F1':>7}{'kappa':>8}{'support':>9}")
    for code, s in [*data["per_code"].items(), ("overall", {**data["overall"],
                                                             "kappa": None})]:
        kappa = "-" if s["kappa"] is None else f"{s['kappa']:.3f}"
        session.say(f"{code:<26}{s['precision']:>7.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}"
                    f"{kappa:>8}{s['support']:>9}")
    top = data["top_suggestion"]
    if top["shown"]:
        session.say(f"The most probable suggestion was one of {result.coder}'s codes on "
                    f"{top['right']} of {top['shown']} segments with a suggestion and a code "
                    f"({top['share']:.0%}).")
    reached = data["decisions_to_kappa_target"]
    session.say(f"Kappa over {result.every} segments first reached {data['kappa_target']} "
                f"after {reached} decisions." if reached is not None else
                f"Kappa over {result.every} segments never reached {data['kappa_target']}: "
                "the model needs more decisions, or the codes more definition.")
