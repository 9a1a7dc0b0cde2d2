"""Person, place and organisation names found by a trained spaCy pipeline, when one is
installed. qualkit never downloads one: without it this check is skipped and the output
says so."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qualkit.errors import QualkitError
from qualkit.gate.kinds import Hit, Kind
from qualkit.model import Turn

PREFERRED = ("en_core_web_sm", "en_core_web_md", "en_core_web_lg", "en_core_web_trf")
LABELS = {"PERSON": Kind.PERSON, "GPE": Kind.PLACE, "LOC": Kind.PLACE, "FAC": Kind.PLACE,
          "ORG": Kind.ORGANISATION}


def installed_model() -> str | None:
    """The name of an installed trained pipeline with an entity recogniser, if any."""
    import spacy.util

    installed = spacy.util.get_installed_models()
    for name in (*PREFERRED, *sorted(installed)):
        if name in installed:
            try:
                meta = spacy.util.get_package_path(name)
                pipeline = spacy.util.load_meta(meta / "meta.json").get("pipeline", [])
            except (OSError, ValueError, ImportError):
                continue
            if "ner" in pipeline:
                return name
    return None


class Entities:
    """Runs an entity recogniser over each turn (labels are not talk)."""

    def __init__(self, nlp: Any, name: str) -> None:
        self.nlp = nlp
        self.name = name

    @classmethod
    def load(cls, name: str) -> Entities:
        import spacy

        try:
            nlp = spacy.load(name, exclude=["lemmatizer", "textcat"])
        except (OSError, ImportError):
            raise QualkitError(f"the spaCy pipeline {name!r} is not installed; install it or "
                               "pass --no-ner") from None
        if "ner" not in nlp.pipe_names:
            raise QualkitError(f"the spaCy pipeline {name!r} has no entity recogniser; "
                               "name another or pass --no-ner")
        return cls(nlp, name)

    def find(self, text: str, turns: Sequence[Turn], known: frozenset[str]) -> list[Hit]:
        hits = []
        docs = self.nlp.pipe((text[t.start:t.end] for t in turns), batch_size=64)
        for turn, doc in zip(turns, docs, strict=True):
            for ent in doc.ents:
                kind = LABELS.get(ent.label_)
                words = ent.text.strip("[]() ")
                if kind is None or words.casefold() in known or not words:
                    continue
                start = turn.start + ent.start_char
                if text[max(start - 1, 0)] == "[":  # already a placeholder: [country]
                    continue
                hits.append(Hit(start, turn.start + ent.end_char, kind))
        return hits
