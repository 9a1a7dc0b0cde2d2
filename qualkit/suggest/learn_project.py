"""``suggest --learn-from CODER``: train on a coder's decisions, store what the model
suggests for every segment of the project.

Learned suggestions are proposals like the keyword engine's: stored apart from coding
(:mod:`qualkit.store.learned`), never counted as decisions. They are made for every
segment (reviewed ones too: a report can rank a code's quotes by how typical of it the
model finds them), a batch of whole transcripts at a time so a large project's feature
matrices never sit in memory at once, and the run replaces the coder's previous one in
one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qualkit.errors import QualkitError
from qualkit.model import Codebook, Coding, Participant, Segment
from qualkit.store import Store
from qualkit.store.learned import encode_probabilities
from qualkit.suggest.engine import is_moderator
from qualkit.suggest.evaluate import check_coder
from qualkit.suggest.learn import Learner

if TYPE_CHECKING:
    from qualkit.coding.retrain import Retrainer

BATCH_SEGMENTS = 5_000
"""Segments predicted at once (whole transcripts): bounds the feature matrices in memory."""


@dataclass(frozen=True)
class LearnResult:
    coder: str
    decisions: int
    transcripts: int
    segments_read: int
    suggestions: int
    abstaining: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Material:
    """What a learner is trained on: the coder's decisions and the participants' segments
    they reviewed (moderators' talk is never a training example), with every segment for
    the context features."""

    roster: Mapping[str, Participant]
    decisions: Mapping[int, Coding]
    every: Sequence[Segment]
    reviewed: Sequence[Segment]


def material(store: Store, coder: str) -> Material:
    """The training material of ``coder``, read once for training and for evaluation."""
    check_coder(store, coder)
    roster = store.participants()
    decisions = store.codings(coder)
    every = store.segments()
    reviewed = [s for s in every
                if s.id in decisions and not is_moderator(s.speaker, roster)]
    return Material(roster, decisions, every, reviewed)


def train(store: Store, codebook: Codebook, coder: str, m: Material | None = None
          ) -> Learner:
    """A learner trained on every decision ``coder`` made on participants' segments
    (``m``: their material, if already read)."""
    m = m or material(store, coder)
    roster, decisions, every, reviewed = m.roster, m.decisions, m.every, m.reviewed
    if len({s.transcript_id for s in reviewed}) < 2:
        raise QualkitError(f"{coder} has decisions on segments of "
                           f"{len({s.transcript_id for s in reviewed})} transcript(s); "
                           "learning needs decisions in at least 2 (its thresholds are "
                           "checked on transcripts it was not trained on): code more first")
    return Learner(codebook, roster).fit(reviewed, decisions, every)


def current(store: Store, codebook: Codebook, coder: str, m: Material | None = None
            ) -> Learner:
    """``coder``'s model as of their decisions now (``m``: their material, if already
    read): the stored one (``suggest --learn-from``, or kept while tagging) if it learned
    from exactly these decisions, otherwise one trained now. Fitting is deterministic, so
    the stored model is the one training would give, without the seconds training takes
    on a large project."""
    from qualkit.suggest.model_file import StoredModels

    m = m or material(store, coder)
    stored = StoredModels(store, codebook).learner(coder)
    if stored is not None and _learned_from(stored, m):
        return stored
    return train(store, codebook, coder, m)


def _learned_from(learner: Learner, m: Material) -> bool:
    """Whether ``learner`` was trained on exactly the decisions of ``m`` (the same
    segments, in reading order, with the same codes)."""
    if (learner.train_ids != [s.id for s in m.reviewed]
            or set(learner.train_labels) != set(learner.models)):
        return False
    return all(learner.train_labels[code].tolist()
               == [code in m.decisions[s.id].codes for s in m.reviewed]
               for code in learner.models)


def trainer(codebook: Codebook, roster: Mapping[str, Participant]
            ) -> Callable[[Sequence[Segment], Mapping[int, Coding], Sequence[Segment]],
                          Learner]:
    """How ``qualkit tag`` retrains in the background
    (:class:`~qualkit.coding.retrain.Retrainer`): on the decisions of a snapshot, with
    every segment for the previous turns."""

    def train_on(reviewed: Sequence[Segment], decisions: Mapping[int, Coding],
                 every: Sequence[Segment]) -> Learner:
        return Learner(codebook, roster).fit(reviewed, decisions, every)

    return train_on


def retrainer(store: Store, codebook: Codebook, coder: str, every: int) -> Retrainer:
    """What ``qualkit tag --retrain-every N`` retrains with: the learner on the coder's
    decisions on participants' segments (moderators' left out), every ``every``
    decisions, each model kept with the project (:func:`keeper`)."""
    from qualkit.coding.retrain import Retrainer

    roster = store.participants()

    def learns_from(s: Segment) -> bool:
        return not is_moderator(s.speaker, roster)

    return Retrainer(coder, store.segments(), every, trainer(codebook, roster), learns_from,
                     keeper(store, codebook, coder, learns_from))


def keeper(store: Store, codebook: Codebook, coder: str,
           learns_from: Callable[[Segment], bool]) -> tuple[
               Callable[[Learner, Mapping[int, Coding]], Any], Callable[[Any], None]]:
    """How ``qualkit tag --retrain-every`` keeps a retrained model with the project
    (:data:`~qualkit.coding.retrain.Keeper`), so the next session starts from it: in
    the training thread, its suggestions for the segments ``coder`` has not reviewed
    (those ``learns_from`` accepts: not moderators') are predicted and the model is
    written out; in the session's thread, both replace the coder's stored run, as
    ``suggest --learn-from`` would."""
    from qualkit.suggest.model_file import dump

    every = store.segments()  # read here, in the session's thread

    def prepare(learner: Learner, decisions: Mapping[int, Coding]) -> Any:
        rows: list[tuple[int, str]] = []
        read = 0
        for batch in _batches(every):
            targets = [s for s in batch if s.id not in decisions and learns_from(s)]
            if not targets:
                continue
            rows += _rows(learner, targets, batch)[0]
            read += len(targets)
        return (_run_summary(learner, read, retrained_while_tagging=True), dump(learner),
                rows)

    def save(prepared: Any) -> None:
        summary, (meta, arrays), rows = prepared
        with store.transaction() as conn:
            store.forget_learned(conn, codebook.version, coder)
            store.save_learned_model(conn, codebook.version, coder, meta, arrays)
            store.save_learned_rows(conn, codebook.version, coder, rows)
            store.save_learned_run(conn, codebook.version, coder, summary)

    return prepare, save


def _run_summary(learner: Learner, segments: int, **extra: Any) -> dict[str, Any]:
    """What a stored run of learned suggestions records of its model (``segments``: how
    many it predicted for), for ``--learn-from`` and for a model kept while tagging."""
    return {"decisions": learner.decisions, "transcripts": learner.transcripts,
            "segments": segments, "abstaining": learner.abstaining(),
            "thresholds": {c: round(m.threshold, 4) for c, m in learner.models.items()
                           if m.model is not None}, **extra}


def _batches(segments: Sequence[Segment]) -> list[list[Segment]]:
    """Segments (in reading order) in the batches of :func:`_transcript_batches`."""
    by_transcript: dict[int, list[Segment]] = {}
    for seg in segments:
        by_transcript.setdefault(seg.transcript_id, []).append(seg)
    sizes = {tid: len(segs) for tid, segs in by_transcript.items()}
    return [[seg for tid in ids for seg in by_transcript[tid]]
            for ids in _transcript_batches(list(by_transcript), sizes)]


def learn_from(store: Store, codebook: Codebook, coder: str, *,
               include_moderator: bool = False,
               progress: Callable[[int, int], None] | None = None,
               jobs: int | None = None) -> LearnResult:
    """Train on ``coder``'s decisions and store the learned suggestions for every
    participant's segment (and moderators', if ``include_moderator``), with the model
    they came from.

    Probabilities only are stored: the evidence of a suggestion is computed from the
    stored model when it is shown (:func:`qualkit.suggest.model_file.load`). Batches of
    whole transcripts are read from the store, predicted over ``jobs`` processes
    (default: as the keyword engine, :mod:`qualkit.workers`) and written as they come
    back, so memory holds a few batches, never every suggestion."""
    from qualkit import workers
    from qualkit.suggest.engine import PARALLEL_MIN_SEGMENTS
    from qualkit.suggest.model_file import dump

    learner = train(store, codebook, coder)
    counts = store.segment_counts()
    batches = _transcript_batches(store.transcript_ids(), counts)
    if jobs is None:
        total_segments = sum(counts.values())
        jobs = workers.configured_jobs() or (
            workers.default_jobs() if total_segments >= PARALLEL_MIN_SEGMENTS else 1)
    global _LEARNER
    total = read_count = 0
    model = dump(learner)
    with store.transaction() as conn:
        store.forget_learned(conn, codebook.version, coder)
        store.save_learned_model(conn, codebook.version, coder, *model)
        # Plain rows and each transcript's text travel to the workers, which make the
        # segments: building them here cost the parent more than a worker's share.
        items = (([(tid, *store.segment_spans(tid)) for tid in ids], include_moderator)
                 for ids in batches)
        _LEARNER = learner  # what forked workers inherit; spawned ones load the model
        try:
            results = workers.ordered_map(_predict, items, jobs=jobs, setup=_start_worker,
                                          setup_args=(codebook, learner.roster, *model))
            for n, (rows, found, read) in enumerate(results, start=1):
                store.save_learned_rows(conn, codebook.version, coder, rows)
                total += found
                read_count += read
                if progress:
                    progress(n, len(batches))
        finally:
            _LEARNER = None
        store.save_learned_run(conn, codebook.version, coder,
                               _run_summary(learner, read_count))
    return LearnResult(coder=coder, decisions=learner.decisions,
                       transcripts=learner.transcripts, segments_read=read_count,
                       suggestions=total, abstaining=learner.abstaining())


_LEARNER: Learner | None = None
"""The learner :func:`learn_from` predicts with: set in its process while it runs, and
inherited by forked workers; a spawned worker loads it from the stored model
(:func:`_start_worker`), since a learner is not sent between processes."""


def _start_worker(codebook: Codebook, roster: Mapping[str, Participant],
                  meta: Mapping[str, Any], data: bytes) -> None:
    global _LEARNER
    if _LEARNER is None:
        from qualkit.suggest.model_file import load

        _LEARNER = load(codebook, roster, meta, data)


Spans = list[tuple[int, str, list[tuple[int, int, int, int, int, str]]]]
"""Transcripts as (id, text, segment rows of :meth:`Store.segment_spans`)."""


def _predict(item: tuple[Spans, bool]) -> tuple[list[tuple[int, str]], int, int]:
    """One batch of whole transcripts: (rows to store, suggestions, segments read)."""
    spans, include_moderator = item
    batch = [Segment(id=seg, transcript_id=tid, turn_index=turn, index=idx, start=start,
                     end=end, text=text[start:end], speaker=speaker)
             for tid, text, rows in spans
             for seg, turn, idx, start, end, speaker in rows]
    learner = _LEARNER
    assert learner is not None
    targets = [s for s in batch
               if include_moderator or not is_moderator(s.speaker, learner.roster)]
    rows, found = _rows(learner, targets, batch) if targets else ([], 0)
    return rows, found, len(targets)


def _rows(learner: Learner, targets: Sequence[Segment], batch: Sequence[Segment]
          ) -> tuple[list[tuple[int, str]], int]:
    """(the rows to store, one per transcript, and how many suggestions they hold) of
    what ``learner`` suggests for ``targets`` (``batch``: their whole transcripts)."""
    found = learner.kept(targets, batch)
    by_transcript: dict[int, list[tuple[int, list[tuple[str, float]]]]] = {}
    owner = {s.id: s.transcript_id for s in targets}
    for entry in found:
        by_transcript.setdefault(owner[entry[0]], []).append(entry)
    return ([(tid, encode_probabilities(items))
             for tid, items in sorted(by_transcript.items())],
            sum(len(items) for _, items in found))


def _transcript_batches(transcript_ids: Sequence[int], counts: Mapping[int, int]
                        ) -> list[list[int]]:
    """Transcript ids in reading order, in batches of about :data:`BATCH_SEGMENTS`
    segments (whole transcripts)."""
    out: list[list[int]] = [[]]
    size = 0
    for tid in transcript_ids:
        if size >= BATCH_SEGMENTS:
            out.append([])
            size = 0
        out[-1].append(tid)
        size += counts.get(tid, 0)
    return [batch for batch in out if batch]


def uncertainty_order(store: Store, codebook: Codebook, coder: str) -> list[int]:
    """Segment ids with the ones ``coder``'s model is least sure of first: those not yet
    reviewed, by how close the probability of any code comes to that code's threshold
    (in log-odds), then everything else in reading order. For ``qualkit tag --order
    uncertain``: a decision where the model hesitates teaches it most."""
    import numpy as np

    m = material(store, coder)  # read once: the model and the walk both need it
    learner = current(store, codebook, coder, m)
    decisions, every = m.decisions, m.every
    open_ = [s for s in every if s.id not in decisions
             and not is_moderator(s.speaker, learner.roster)]
    live = [j for j, code in enumerate(learner.models)
            if learner.models[code].model is not None]
    if not live:
        raise QualkitError(f"the model trained on {coder}'s decisions abstains on every "
                           "code (too few examples): code more segments first, or drop "
                           "--order uncertain")
    codes = list(learner.models)
    cut = np.array([_logit(learner.models[codes[j]].threshold) for j in live])
    margin: dict[int, float] = {}
    wanted = {s.id for s in open_}
    for batch in _batches(every):
        targets = [s for s in batch if s.id in wanted]
        if not targets:
            continue
        probs, _, _, _ = learner.probabilities(targets, batch)
        gaps = np.abs(_logit(probs[:, live]) - cut).min(axis=1)
        margin.update({s.id: float(g) for s, g in zip(targets, gaps, strict=True)})
    first = sorted(margin, key=lambda seg: (margin[seg], seg))
    return first + [s.id for s in every if s.id not in margin]


def _logit(p: Any) -> Any:
    import numpy as np

    q = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q))
