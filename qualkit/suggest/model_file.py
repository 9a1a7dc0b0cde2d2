"""A trained learner kept with the project, so evidence is computed when a suggestion is
shown rather than for every stored suggestion.

Stored as plain data, never pickled: a project file a colleague shares must not run code
when it is opened. Arrays travel as ``.npz`` bytes read with ``allow_pickle=False``, the
rest (which blocks, each code's threshold and reason) as JSON; what each part holds is
:meth:`~qualkit.suggest.learn.Learner.state`'s (and the featurizer's) to say, so a new
feature block is stored without a change here.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from qualkit.errors import QualkitError
from qualkit.model import Codebook, LearnedSuggestion, Participant, Segment
from qualkit.suggest.learn import Learner

FORMAT = 1
"""Bumped when what a stored model means changes: an older one is then not read, and
``suggest --learn-from`` is asked for again."""


class StoredModelError(QualkitError):
    """A stored model this qualkit cannot read (written by another version)."""


def dump(learner: Learner) -> tuple[dict[str, Any], bytes]:
    """(meta, .npz bytes) of a trained learner."""
    import numpy as np

    meta, arrays = learner.state()
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return {"format": FORMAT, **meta}, buffer.getvalue()


def load(codebook: Codebook, roster: Mapping[str, Participant], meta: Mapping[str, Any],
         data: bytes,
         train_source: Callable[[Sequence[int]], Sequence[Segment]] | None = None
         ) -> Learner:
    """The learner :func:`dump` kept; ``train_source`` reads the training segments (their
    word vectors are recomputed for the similar segments of the evidence) given the ids
    of the transcripts the model was trained on."""
    import numpy as np

    if meta.get("format") != FORMAT:
        raise StoredModelError("the stored model was written by another qualkit version")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as found:
            arrays = {name: found[name] for name in found.files}
        return Learner.from_state(codebook, roster, meta, arrays, train_source)
    except (ValueError, KeyError, OSError) as err:
        raise StoredModelError(f"the stored model cannot be read ({type(err).__name__})"
                               ) from None


class StoredModels:
    """The models behind a project's stored learned suggestions, each loaded once (a
    screen that shows one segment after another reuses them)."""

    def __init__(self, store: Any, codebook: Codebook) -> None:
        self.store = store
        self.codebook = codebook
        self._loaded: dict[str, Learner | None] = {}

    def learner(self, coder: str) -> Learner | None:
        """``coder``'s stored model; None when the suggestions were stored without one
        (an older qualkit) or by another version of the model file."""
        if coder not in self._loaded:
            found = self.store.learned_model(self.codebook.version, coder)
            learner = None
            if found is not None:
                try:
                    learner = load(self.codebook, self.store.participants(), *found,
                                   train_source=self.store.segments)
                except StoredModelError:
                    learner = None
            self._loaded[coder] = learner
        return self._loaded[coder]

    def with_evidence(self, segment: Segment, found: Sequence[LearnedSuggestion]
                      ) -> list[LearnedSuggestion]:
        """The stored suggestions of one segment, with the evidence their models give
        (what weighed most, the most similar segments); a suggestion whose model is not
        stored keeps what was stored with it."""
        out = []
        context: list[Segment] | None = None
        computed: dict[str, dict[str, LearnedSuggestion]] = {}
        for x in found:
            if x.coder not in computed:
                learner = self.learner(x.coder)
                if learner is None:
                    computed[x.coder] = {}
                else:
                    if context is None:
                        context = self.store.segments([segment.transcript_id])
                    computed[x.coder] = {s.code_id: s for s in learner.suggest(
                        [segment], x.coder, context)}
            shown = computed[x.coder].get(x.code_id)
            out.append(x if shown is None or x.features or x.similar else
                       dataclasses.replace(x, features=shown.features,
                                           similar=shown.similar))
        return out

    def stored(self, coder: str) -> bool:
        return self.learner(coder) is not None
