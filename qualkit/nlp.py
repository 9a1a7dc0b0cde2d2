"""The spaCy pieces qualkit reads text with, each built once per process.

A blank English pipeline with a rule-based sentencizer cuts segments, and spaCy's English
lemma lookup table (from spacy-lookups-data, installed with qualkit) relates word forms:
no model download, the same result on every machine. spaCy is imported here, lazily, so
commands that never read text (``--help``, agreement) start fast.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language


@lru_cache(maxsize=1)
def pipeline() -> Language:
    """Tokenizer and sentencizer: what segmentation needs, and no more."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


@lru_cache(maxsize=1)
def lemma_table() -> dict[str, str]:
    """Lower-case word form → lemma, from spaCy's English lookup table.

    Read from spacy-lookups-data's JSON directly: spaCy's own Table is keyed by string
    hashes, and qualkit needs the forms themselves to expand keywords.
    """
    import gzip
    import json
    from importlib.resources import files

    data = files("spacy_lookups_data") / "data" / "en_lemma_lookup.json.gz"
    table: dict[str, str] = json.loads(gzip.decompress(data.read_bytes()))
    return {form.lower(): lemma.lower() for form, lemma in table.items()}


COMMON_WORD_LOGPROB = -15.0
"""Words at least this frequent (natural log of relative frequency in spaCy's English
table) are taken as real words, not misspellings. "confidant" (-14.9) is a word; the
typos "teching" (-15.1) and "confidnet" (absent) are not. Common typos ("recieve", -13.5)
are above the line and are not caught: a documented miss rather than false alarms."""


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """English words frequent enough to be real words (see :data:`COMMON_WORD_LOGPROB`)."""
    import gzip
    import json
    from importlib.resources import files

    data = files("spacy_lookups_data") / "data" / "en_lexeme_prob.json.gz"
    probs: dict[str, float] = json.loads(gzip.decompress(data.read_bytes()))
    return frozenset(w.lower() for w, p in probs.items() if p >= COMMON_WORD_LOGPROB)


@lru_cache(maxsize=1)
def word_forms() -> dict[str, frozenset[str]]:
    """Lemma → every form the lookup table maps to it (and the lemma itself).

    Matching a keyword's forms on lower-case text is the same as matching on lemmas, but it
    runs inside spaCy's PhraseMatcher without lemmatising every token of the corpus.
    """
    forms: dict[str, set[str]] = defaultdict(set)
    for form, lemma in lemma_table().items():
        forms[lemma].add(form)
        forms[lemma].add(lemma)
    return {lemma: frozenset(f) for lemma, f in forms.items()}


def lemma(word: str) -> str:
    lower = word.lower()
    return lemma_table().get(lower, lower)


def forms_of(word: str) -> frozenset[str]:
    """Every form sharing ``word``'s lemma, including ``word`` itself (lower case)."""
    lower = word.lower()
    return word_forms().get(lemma(lower), frozenset()) | {lower, lemma(lower)}
