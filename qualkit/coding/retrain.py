"""Retraining the learned suggester while a coder tags (``qualkit tag --retrain-every N``).

A coder's decisions are the best evidence of what they mean by a code, and they arrive
one key press at a time. Once there are enough of them (decisions in two transcripts: a
model's thresholds are chosen on transcripts it was not fitted on), the model is retrained
every N decisions, in a background thread, on a snapshot of the decisions taken when the
training starts: the key press that triggers it returns at once, and the screen keeps
showing the previous model (or the stored learned suggestions) until the new one is
ready. One training at a time; decisions made meanwhile count towards the next.

A thread, not a process: scikit-learn's fitting and numpy release the interpreter lock
for most of a training, and a process would pay scikit-learn's import and a copy of the
segments on every retraining. Nothing here touches the database from the thread: the
snapshot is taken, and the model is read, in the session's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from qualkit.model import Coding, LearnedSuggestion, Segment

MIN_RETRAIN_EVERY = 10
"""Fewer decisions between trainings teach a model nothing new (as for ``--replay``)."""

Trainer = Callable[[Sequence[Segment], Mapping[int, Coding], Sequence[Segment]], Any]
"""Trains on (reviewed segments, decisions, every segment): returns a fitted learner
(``suggest``, ``abstaining()``, ``models``, ``decisions``, as
:class:`~qualkit.suggest.learn.Learner`)."""


Keeper = tuple[Callable[[Any, Mapping[int, Coding]], Any], Callable[[Any], None]]
"""How a retrained model is kept with the project, so the next session starts from it:
(prepare, save). ``prepare(learner, decisions)`` runs in the training thread (the
suggestions for the segments not yet reviewed are predicted there); ``save(prepared)``
writes them in the session's thread when the model is taken (see
:func:`~qualkit.suggest.learn_project.keeper`)."""


@dataclass(frozen=True)
class Model:
    """A model trained while tagging, with what it was trained on."""

    learner: Any
    decisions: int  # the decisions it learned from (moderators' left out)
    generation: int
    prepared: Any = None  # what the keeper stores, made in the training thread


class Retrainer:
    """Starts a training every ``every`` decisions once there are enough, and hands the
    latest finished model to the session."""

    def __init__(self, coder: str, segments: Sequence[Segment], every: int,
                 trainer: Trainer, learns_from: Callable[[Segment], bool] = bool,
                 keeper: Keeper | None = None) -> None:
        """``trainer``: see :data:`Trainer` (the suggest package's
        :func:`~qualkit.suggest.learn_project.trainer`; coding does not import the
        learner); ``learns_from``: which segments' decisions count (not moderators');
        ``keeper``: see :data:`Keeper` (None: retrained models last the session)."""
        self.coder = coder
        self.learns_from = learns_from
        self.segments = list(segments)
        self.by_transcript: dict[int, list[Segment]] = {}
        for seg in self.segments:  # reading order: a segment's previous turn is here
            self.by_transcript.setdefault(seg.transcript_id, []).append(seg)
        self.every = every
        self._trainer = trainer
        self._keeper = keeper
        self._running: Future[Any] | None = None
        self._trained_at = 0  # decisions the latest started training had
        self.model: Model | None = None
        self.failed = ""

    def decided(self, count: int,
                snapshot: Callable[[], Mapping[int, frozenset[str]]]) -> bool:
        """Called after each decision with how many segments the coder has reviewed and
        how to read their decisions (segment id -> codes; read only when a training
        starts); True if one was started."""
        if self._running is not None or count - self._trained_at < self.every:
            return False
        raw = snapshot()
        reviewed = [s for s in self.segments if s.id in raw and self.learns_from(s)]
        if len({s.transcript_id for s in reviewed}) < 2:
            return False
        decisions = {s.id: Coding(s.id, self.coder, raw[s.id]) for s in reviewed}
        self._trained_at = len(raw)
        future: Future[Any] = Future()

        def run() -> None:
            try:
                learner = self._trainer(reviewed, decisions, self.segments)
                prepared = self._keeper[0](learner, decisions) if self._keeper else None
                future.set_result((learner, prepared))
            except Exception as err:  # handed to poll(), in the session's thread
                future.set_exception(err)

        # A daemon thread: quitting the screen never waits for a training to finish.
        threading.Thread(target=run, name="qualkit-retrain", daemon=True).start()
        self._running = future
        return True

    def poll(self) -> Model | None:
        """The model of a training that finished since the last poll, if any (None
        otherwise); a failed training is recorded in :attr:`failed`."""
        if self._running is None or not self._running.done():
            return None
        future, self._running = self._running, None
        try:
            learner, prepared = future.result()
        except Exception as err:  # shown on the status line, never raised into the screen
            self.failed = type(err).__name__
            return None
        generation = self.model.generation + 1 if self.model else 1
        self.model = Model(learner, learner.decisions, generation, prepared)
        if self._keeper is not None and prepared is not None:
            try:
                self._keeper[1](prepared)
            except Exception as err:  # the model still serves this session
                self.failed = f"{type(err).__name__} while storing the model"
        return self.model

    def take(self) -> tuple[Model | None, str]:
        """(a model finished since the last call or None, what the status line says)."""
        model = self.poll()
        if model is None:
            if not self.failed:
                return None, ""
            failed, self.failed = self.failed, ""
            return None, (f"Retraining failed ({failed}); the previous suggestions stay. "
                          "Run `qualkit suggest --learn-from` to see why")
        abstaining = model.learner.abstaining()
        live = len(model.learner.models) - len(abstaining)
        kept = ""
        if self.failed:  # trained, but not stored: this session still uses it
            kept = (f"; it could not be stored ({self.failed}): the next session starts "
                    "from the previous suggestions")
            self.failed = ""
        return model, (f"Retrained on your {model.decisions:,} decisions: L marks learned "
                       f"suggestions ({live} code(s) learned, {len(abstaining)} need more "
                       f"examples){kept}")

    def suggest(self, model: Model, segment: Segment) -> list[LearnedSuggestion]:
        """What ``model`` suggests for one segment (its transcript's segments give the
        previous turn)."""
        context = self.by_transcript.get(segment.transcript_id, [segment])
        return model.learner.suggest([segment], self.coder, context)

    def wait(self, timeout: float | None = None) -> None:
        """Block until the running training ends (for tests); :meth:`poll` takes it."""
        if self._running is not None:
            self._running.exception(timeout)

    @property
    def training(self) -> bool:
        return self._running is not None

    def close(self) -> None:
        """Forget a running training (its thread ends on its own; its model is unused)."""
        self._running = None
