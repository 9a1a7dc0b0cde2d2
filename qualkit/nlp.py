"""The spaCy pipeline qualkit reads text with, built once per process.

A blank English pipeline with a rule-based sentencizer and the lookup lemmatizer (tables
from spacy-lookups-data, installed with qualkit): no model download, the same segments on
every machine. spaCy is imported here and only here, lazily, so commands that never read
text (``--help``, agreement) start fast.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language


@lru_cache(maxsize=1)
def pipeline() -> Language:
    import spacy
    from spacy.language import Language

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")

    if not Language.has_factory("qualkit_norm"):
        @Language.component("qualkit_norm")
        def _norm(doc: Any) -> Any:
            # Case-insensitive lemma in NORM: the lookup table is keyed on lower case, and
            # a sentence-initial "Realised" should match the keyword "realise".
            for token in doc:
                lower = token.lower_
                token.norm_ = table.get(lower, lower)
            return doc

    nlp.add_pipe("qualkit_norm")
    return nlp


def norm_key(text: str) -> tuple[str, ...]:
    """The lemma sequence qualkit matches on, for a keyword or phrase."""
    return tuple(token.norm_ for token in pipeline()(text))
