"""Learned suggestions measured on public labelled corpora: ``python -m benchmarks.learned``.

Optional: it runs only where ``../shared/realdata`` (or ``--data DIR``) holds the corpora,
and says so when it does not. Each corpus is imported into a temporary project (its
transcripts as transcripts, one turn per utterance, segments = turns; its labels as one
coder's decisions), under a codebook written here from the corpus's coding manual alone
(definitions and keywords chosen before any score was seen). Then the keyword engine, the
substring baseline and the learned suggester are scored on the same test transcripts
(``evaluate_learned``: a seeded 20 % of transcripts to train on, the rest to test), with
the learning curve. Nothing is tuned on the test part; no text is copied anywhere.

Corpora:

- **AnnoMI** (``annomi/AnnoMI-simple.csv``): 133 counselling conversations; therapist
  behaviour (reflection, question, therapist input) and client talk (change, sustain).
- **NCTE uptake** (``ncte_uptake/uptake_data.csv``): 2,246 student-teacher exchanges of
  774 classroom observations, grouped into one transcript per observation (``obs_id``);
  high uptake (the raters' majority gave 2 of 0-2), and off-task talk. (Uptake rated 1
  or more on average covers most teacher turns: "every teacher turn" would score F1 0.9
  on it, so it measures nothing and is left out.)
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from qualkit.model import CodingAction, CodingEvent, Participant, Turn

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"

ANNOMI_CODEBOOK = """\
name: Motivational interviewing behaviour (from the AnnoMI annotation scheme)
version: 1
unit: turn
themes:
  - id: therapist
    name: Therapist behaviour
    codes:
      - id: reflection
        name: Reflection
        definition: The therapist restates or rephrases what the client said, or what the
          client seems to mean or feel, to show understanding.
        include: [repeating the client's words, guessing at the feeling behind them]
        keywords: [sounds like, "you feel", it seems, "you're saying", "so you"]
      - id: question
        name: Question
        definition: The therapist asks the client for information, opinions or feelings.
        include: [open questions, closed questions]
        keywords: ["what", "how", "why", "tell me", "do you"]
      - id: therapist_input
        name: Therapist input
        definition: The therapist gives information, advice, options or negotiates a plan.
        include: [information, advice, options, negotiation]
        keywords: [recommend, suggest, advice, information, option, "you could", "should"]
  - id: client
    name: Client talk
    codes:
      - id: change_talk
        name: Change talk
        definition: The client speaks in favour of changing the behaviour.
        include: [desire, ability, reasons and need to change, commitment]
        keywords: ["want to", "need to", "going to", quit, stop, "cut down", try]
      - id: sustain_talk
        name: Sustain talk
        definition: The client speaks in favour of keeping the behaviour as it is.
        include: [reasons not to change, inability, no need]
        keywords: ["can't", "don't want", enjoy, "not ready", "no problem", fine]
"""

NCTE_CODEBOOK = """\
name: Teacher's uptake of student ideas (from the NCTE uptake coding instrument)
version: 1
unit: turn
themes:
  - id: taking_up
    name: Taking up student ideas
    codes:
      - id: high_uptake
        name: High uptake
        definition: The teacher clearly builds on what the student just said, by repeating,
          revoicing, elaborating or asking a follow-up question about the student's idea.
        include: [repeating the student's words, asking the student to explain their idea]
        keywords: ["you said", "why", "how did you", "what do you mean", "explain"]
  - id: task
    name: On task
    codes:
      - id: student_off_task
        name: Student off task
        definition: The student's turn is not about the mathematics lesson.
        keywords: [bathroom, lunch, recess]
      - id: teacher_off_task
        name: Teacher off task
        definition: The teacher's turn is not about the mathematics lesson.
        keywords: [line up, quiet, sit down, lunch]
"""

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _store_transcript(store, conn, name: str, talk: list[tuple[str, str]]) -> int:
    """One transcript as turns of one segment each; returns its id."""
    parts, turns, spans, at = [], [], [], 0
    for i, (speaker, text) in enumerate(talk):
        label = f"{speaker}: "
        start = at + len(label)
        end = start + len(text)
        parts.append(f"{label}{text}\n\n")
        turns.append(Turn(0, i, speaker, start, end))
        spans.append((i, start, end, speaker))
        at = end + 2
    return store.add_transcript(conn, name=name, source=f"{name}.txt", sha256=name,
                                text="".join(parts), attributes={}, turns=turns, spans=spans)


def _build(root: Path, codebook: str, transcripts: dict[str, list[tuple[str, str, set[str]]]],
           roles: dict[str, str]):
    """A project with the transcripts, the codebook and the labels as coder ``labels``."""
    from qualkit.codebook.versions import project_codebook
    from qualkit.project import init

    project, _ = init(root)
    (project.codebooks / "codebook.yaml").write_text(codebook, encoding="utf-8")
    store = project.open_store()
    book = project_codebook(store, project)
    events = []
    with store.transaction() as conn:
        store.replace_participants(conn, [Participant(n, {"role": r}) for n, r in roles.items()])
        for name, rows in transcripts.items():
            tid = _store_transcript(store, conn, name, [(s, t) for s, t, _ in rows])
            ids = store.segment_ids(conn, tid)
            for seg, (_, _, codes) in zip(ids, rows, strict=True):
                if codes:
                    events += [CodingEvent(seg, "labels", CodingAction.APPLY, c, book.version,
                                           "import", AT) for c in sorted(codes)]
                else:
                    events.append(CodingEvent(seg, "labels", CodingAction.REVIEWED_NONE, None,
                                              book.version, "import", AT))
        store.append_events(conn, events)
    return project, store, book


ANNOMI_THERAPIST = {"reflection": "reflection", "question": "question",
                    "therapist_input": "therapist_input"}
ANNOMI_CLIENT = {"change": "change_talk", "sustain": "sustain_talk"}


def _annomi_code(row: dict[str, str]) -> str | None:
    """The code of an AnnoMI row, as the codebook above names it (None: no code)."""
    if row["interlocutor"] == "therapist":
        return ANNOMI_THERAPIST.get(row["main_therapist_behaviour"])
    return ANNOMI_CLIENT.get(row["client_talk_type"])


def annomi(data: Path) -> tuple[str, dict[str, list[tuple[str, str, set[str]]]],
                                dict[str, str]]:
    out: dict[str, list[tuple[int, str, str, set[str]]]] = {}
    with (data / "annomi" / "AnnoMI-simple.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            speaker = "Therapist" if row["interlocutor"] == "therapist" else "Client"
            code = _annomi_code(row)
            out.setdefault(f"annomi_{int(row['transcript_id']):03d}", []).append(
                (int(row["utterance_id"]), speaker, _clean(row["utterance_text"]),
                 {code} if code else set()))
    return (ANNOMI_CODEBOOK,
            {name: [(s, t, c) for _, s, t, c in sorted(rows, key=lambda r: r[0]) if t]
             for name, rows in sorted(out.items())},
            {"Therapist": "therapist", "Client": "client"})


def ncte(data: Path) -> tuple[str, dict[str, list[tuple[str, str, set[str]]]],
                              dict[str, str]]:
    out: dict[str, list[tuple[int, str, str, set[str]]]] = {}
    with (data / "ncte_uptake" / "uptake_data.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if not row["uptake"]:  # not rated for uptake: left out, as never reviewed
                continue
            teacher: set[str] = set()
            if row["uptake_majority"] == "2.0":  # most raters: high uptake
                teacher.add("high_uptake")
            if row["teacher_on_task_majority"] == "0":
                teacher.add("teacher_off_task")
            student = {"student_off_task"} if row["student_on_task_majority"] == "0" else set()
            rows = out.setdefault(f"ncte_{int(row['obs_id']):04d}", [])
            idx = int(row["exchange_idx"])
            rows.append((2 * idx, "Student", _clean(row["student_text"]), student))
            rows.append((2 * idx + 1, "Teacher", _clean(row["teacher_text"]), teacher))
    return (NCTE_CODEBOOK,
            {name: [(s, t, c) for _, s, t, c in sorted(rows, key=lambda r: r[0]) if t]
             for name, rows in sorted(out.items())},
            {"Teacher": "teacher", "Student": "student"})


CORPORA = {"annomi": annomi, "ncte": ncte}


def annomi_ceiling(data: Path) -> dict[str, object] | None:
    """How far the labels allow: AnnoMI's 7 transcripts coded by all 10 annotators, each
    annotator scored against each other one with the same codes and micro-averaged F1 as
    the suggesters. A suggester that matches a coder as well as a second trained coder
    does is at the ceiling of the labels."""
    import statistics

    path = data / "annomi" / "AnnoMI-multi_annotator_subset.csv"
    if not path.is_file():
        return None
    labels: dict[str, dict[tuple[str, str], str | None]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            labels.setdefault(row["annotator_id"], {})[
                (row["transcript_id"], row["utterance_id"])] = _annomi_code(row)
    codes = [*ANNOMI_THERAPIST.values(), *ANNOMI_CLIENT.values()]
    overall: list[float] = []
    per_code: dict[str, list[float]] = {code: [] for code in codes}
    for a, b in itertools.permutations(sorted(labels), 2):  # b "suggests", a is the coder
        counts = {code: [0, 0, 0] for code in codes}  # tp, fp, fn
        for item, truth in labels[a].items():
            guess = labels[b][item]
            for code in codes:
                c = counts[code]
                c[0] += guess == code == truth
                c[1] += guess == code != truth
                c[2] += truth == code != guess
        for code, (tp, fp, fn) in counts.items():
            per_code[code].append(_f1(tp, fp, fn))
        overall.append(_f1(*(sum(c[i] for c in counts.values()) for i in range(3))))
    return {"annotators": len(labels), "items": len(next(iter(labels.values()))),
            "median_f1": round(statistics.median(overall), 3),
            "range": [round(min(overall), 3), round(max(overall), 3)],
            "per_code": {c: round(statistics.median(v), 3) for c, v in per_code.items()}}


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def develop(name: str, data: Path, share: float, seed: int, folds: int = 4
            ) -> dict[str, object]:
    """Learned F1 by cross-validation **inside the training transcripts** (folds of whole
    transcripts): the figure to compare variants of the learner on, so that no choice is
    made by looking at the test part."""
    from qualkit.suggest.learn import Learner
    from qualkit.suggest.learn_eval import scores_of, split_transcripts
    from qualkit.suggest.learn_project import material

    codebook, transcripts, roles = CORPORA[name](data)
    with tempfile.TemporaryDirectory(prefix=f"qualkit-learned-{name}-") as tmp:
        _, store, book = _build(Path(tmp) / "project", codebook, transcripts, roles)
        try:
            m = material(store, "labels")
        finally:
            store.close()
    split = split_transcripts(sorted({s.transcript_id for s in m.reviewed}), share, seed)
    codes = [code.id for code in book.codes]
    totals = {code: [0, 0, 0] for code in codes}
    for k in range(folds):
        held = set(split.train[k::folds])
        fit_on = [s for s in m.reviewed
                  if s.transcript_id in split.train and s.transcript_id not in held]
        score_on = [s for s in m.reviewed if s.transcript_id in held]
        learner = Learner(book, m.roster).fit(fit_on, m.decisions, m.every)
        scores = scores_of(learner.predict(score_on, m.every), score_on, m.decisions, codes)
        for code in codes:
            c = scores.per_code[code]
            totals[code] = [totals[code][0] + c.tp, totals[code][1] + c.fp,
                            totals[code][2] + c.fn]
    return {"corpus": name, "folds": folds, "train_transcripts": len(split.train),
            "dev_f1": round(_f1(*(sum(t[i] for t in totals.values()) for i in range(3))), 3),
            "per_code": {c: round(_f1(*t), 3) for c, t in totals.items()}}


def measure(name: str, data: Path, share: float, seed: int, curve: bool) -> dict[str, object]:
    from qualkit.suggest.engine import suggest_project
    from qualkit.suggest.learn_eval import evaluate_learned

    codebook, transcripts, roles = CORPORA[name](data)
    with tempfile.TemporaryDirectory(prefix=f"qualkit-learned-{name}-") as tmp:
        _, store, book = _build(Path(tmp) / "project", codebook, transcripts, roles)
        try:
            suggest_project(store, book)
            began = time.perf_counter()
            result = evaluate_learned(store, book, "labels", train_share=share, seed=seed,
                                      curve=curve)
            seconds = time.perf_counter() - began
        finally:
            store.close()
    data_out = result.as_dict()
    data_out["corpus"] = name
    data_out["seconds"] = round(seconds, 1)
    return data_out


def _row(result: dict[str, object]) -> Iterable[str]:
    engine, base, learned = (result[k] for k in ("engine", "baseline", "learned"))
    yield (f"| {result['corpus']} | {learned['train']['transcripts']} / "  # type: ignore[index]
           f"{learned['train']['decisions']} | {learned['test']['transcripts']} / "  # type: ignore[index]
           f"{result['segments']} | {engine['overall']['f1']:.3f} | "  # type: ignore[index]
           f"{base['overall']['f1']:.3f} | {learned['overall']['f1']:.3f} |")  # type: ignore[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.learned",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--corpus", choices=sorted(CORPORA), action="append")
    parser.add_argument("--train-share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--curve", action="store_true")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--dev", action="store_true",
                        help="only cross-validate inside the training transcripts (to "
                             "compare variants of the learner without the test part)")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"{args.data} is not there: the learned-suggestion benchmark measures on the "
              "public corpora of ../shared/realdata only, so it was skipped.", file=sys.stderr)
        return 0
    if args.dev:
        for name in args.corpus or sorted(CORPORA):
            print(json.dumps(develop(name, args.data, args.train_share, args.seed)))
        return 0
    results = []
    for name in args.corpus or sorted(CORPORA):
        print(f"measuring {name}...", file=sys.stderr)
        results.append(measure(name, args.data, args.train_share, args.seed, args.curve))
    print("| corpus | train transcripts / decisions | test transcripts / segments | "
          "keyword F1 | baseline F1 | learned F1 |")
    print("|---|--:|--:|--:|--:|--:|")
    for result in results:
        print(*_row(result))
    ceiling = annomi_ceiling(args.data) if "annomi" in (args.corpus or CORPORA) else None
    if ceiling:
        print(f"\nannomi, one trained annotator against another ({ceiling['annotators']} "
              f"annotators, {ceiling['items']} utterances): median F1 "
              f"{ceiling['median_f1']:.3f} (range {ceiling['range'][0]:.3f}-"
              f"{ceiling['range'][1]:.3f}); per code {ceiling['per_code']}")
    for result in results:
        print(f"\n{result['corpus']}, per code (learned F1 / keyword F1 / support), "
              f"{result['seconds']} s:")
        learned, engine = result["learned"], result["engine"]
        for code, s in learned["per_code"].items():  # type: ignore[index]
            e = engine["per_code"][code]  # type: ignore[index]
            print(f"- {code}: {s['f1']:.3f} / {e['f1']:.3f} / {s['support']}")
        if learned.get("abstaining"):  # type: ignore[union-attr]
            print(f"- abstaining: {learned['abstaining']}")  # type: ignore[index]
        for point in learned.get("curve", []):  # type: ignore[union-attr]
            print(f"- curve: {point['decisions']} decisions ({point['transcripts']} "
                  f"transcripts): F1 {point['f1']:.3f}")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "annomi_ceiling": ceiling},
                                        indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
