"""The spaCy pieces qualkit reads text with, each built once per process.

A blank English pipeline with a rule-based sentencizer cuts segments, and spaCy's English
lemma lookup table (from spacy-lookups-data, installed with qualkit) relates word forms:
no model download, the same result on every machine. spaCy is imported here, lazily, so
commands that never read text (``--help``, agreement) start fast.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
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


@lru_cache(maxsize=2)
def lemma_pipeline(model: str) -> Language:
    """An installed trained spaCy pipeline (a package name or a folder) whose lemmatizer
    reads words in context: "left" as *leave* or as *left* by its part of speech, which a
    lookup table cannot tell. Never downloaded; the components that lemmas do not need
    are left out, which makes it several times faster."""
    import spacy

    from qualkit.errors import QualkitError

    try:
        nlp = spacy.load(model, exclude=["ner", "parser", "textcat", "textcat_multilabel",
                                         "entity_linker", "entity_ruler", "span_ruler"])
    except (OSError, ImportError, ValueError):
        raise QualkitError(f"the spaCy pipeline {model!r} is not installed; install it "
                           f"(`python -m spacy download {model}`), give the folder of a "
                           "saved pipeline, or leave out --spacy-model") from None
    if "lemmatizer" not in nlp.pipe_names:
        raise QualkitError(f"the spaCy pipeline {model!r} has no lemmatizer; name another "
                           "or leave out --spacy-model")
    return nlp


@lru_cache(maxsize=1)
def pattern_pipeline() -> Language:
    """A blank English pipeline with spaCy's lookup lemmatizer (its table comes from
    spacy-lookups-data, installed with qualkit), so that codebook token patterns can
    use ``LEMMA`` as well as ``LOWER`` or ``TEXT``."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
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


_RARE = re.compile(r'":[ \t]*-(?:1[6-9]|[2-9][0-9]|[0-9]{3,})\.')
"""An entry whose log probability is -16 or below (written as a plain decimal)."""
_FREQUENT = re.compile(r'":[ \t]*(?:[0-9][0-9.]*|-(?:1[0-4]|[0-9])(?:\.[0-9]*)?|-15(?:\.0*)?|'
                       r'-?[0-9.]+[eE][-+]?[0-9]+)[ \t]*[,\n}]')
"""A value that may be a log probability of -15 or above (or one written with an
exponent, which is not judged): if the rest of the file has none, it holds no common word.
A key that looks like one only costs the fast path."""


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """English words frequent enough to be real words (see :data:`COMMON_WORD_LOGPROB`).

    Worked out once per installed table and kept in the user's cache folder (see
    :func:`_cached_common_words`): reading the table took longer than the rest of a
    suggest run's start.
    """
    import importlib.metadata
    from importlib.resources import files

    data = files("spacy_lookups_data") / "data" / "en_lexeme_prob.json.gz"
    try:
        version = importlib.metadata.version("spacy-lookups-data")
        stamp = f"{version}-{Path(str(data)).stat().st_size}"
    except (OSError, importlib.metadata.PackageNotFoundError):
        return _common_words_from_table()
    cached = cache_folder() / f"common-words-{stamp}-{COMMON_WORD_LOGPROB:g}.json"
    try:
        words = json.loads(cached.read_text(encoding="utf-8"))
        if isinstance(words, list) and all(isinstance(w, str) for w in words):
            return frozenset(words)
    except (OSError, ValueError):
        pass
    found = _common_words_from_table()
    try:
        from qualkit.fileio import atomic_write_text

        cached.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(cached, json.dumps(sorted(found), ensure_ascii=False))
    except OSError:
        pass  # a read-only home: the next run works it out again
    return found


def cache_folder() -> Path:
    """Where qualkit keeps what it derives from installed packages (never project data):
    ``$XDG_CACHE_HOME/qualkit``, else ``~/.cache/qualkit``."""
    root = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(root) if root else Path.home() / ".cache") / "qualkit"


def _common_words_from_table() -> frozenset[str]:
    """The table (a million entries, 30 MB of JSON) lists words from the most to the least
    frequent, so only its head is parsed: up to the first entry at -16 or below, once the
    rest is checked (with one regular-expression scan) to hold nothing at -15 or above.
    That takes a tenth of the time of parsing it all. Any surprise in the file's shape
    falls back to parsing all of it."""
    import gzip
    from importlib.resources import files

    data = files("spacy_lookups_data") / "data" / "en_lexeme_prob.json.gz"
    text = gzip.decompress(data.read_bytes()).decode("utf-8")
    probs = _frequent_head(text)
    if probs is None:
        probs = json.loads(text)
    return frozenset(w.lower() for w, p in probs.items() if p >= COMMON_WORD_LOGPROB)


def _frequent_head(text: str) -> dict[str, float] | None:
    """The entries before the first rare one, or None when that would not be all the
    common words (see :func:`common_words`). The table names each word once (a test holds
    the result against parsing the whole installed table)."""
    rare = _RARE.search(text)
    if rare is None:
        return None
    cut = text.rfind("\n", 0, rare.start())  # one entry per line
    if cut <= 0 or _FREQUENT.search(text, cut):
        return None
    try:
        head = json.loads(text[:cut].rstrip().rstrip(",") + "}")
    except ValueError:
        return None
    return head if isinstance(head, dict) else None


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
