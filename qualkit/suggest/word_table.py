"""What each distinct word of a corpus can stand for, worked out once per word.

The suggestion engine (:mod:`qualkit.suggest.engine`) decides everything but token patterns per
distinct word, not per occurrence: the first time a word is read, :class:`WordTable`
works out which keywords it can stand for (its lemma in spaCy's English lookup table, a
derivation with an English suffix, a likely typo) and remembers the answer, so these
costs grow with the vocabulary and not with the corpus.

Words are what ``\\w+`` matches in lower-case text, for keywords and transcripts alike:
"didn't" reads as "didn" "t" and "mentee's" as "mentee" "s" (spaCy's tokenizer makes "did"
"n't" and "mentee" "'s"; the same words either way).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from qualkit.model import MatchKind
from qualkit.nlp import common_words, forms_of, lemma, lemma_table
from qualkit.store import suggestion_json

SUFFIXES = frozenset({
    "er", "ers", "or", "ors", "ership", "ing", "ion", "ions", "ation", "ations", "ational",
    "ive", "ively", "iveness", "ful", "fully", "ness", "ment", "ments", "al", "ally", "ly",
    "ship", "ity", "ence", "ance", "ant", "ent", "ist", "ee", "able", "ible", "ative"})
FUZZY_CUTOFF = 88.0
FUZZY_MIN_LENGTH = 5
DERIVATION_MIN_LENGTH = 4
WORD = re.compile(r"\w+")
SPLIT = re.compile(r"(\w+)")

# Kinds as plain strings while a run is in flight: an Enum member hashes in Python, and
# evidence is hashed and compared hundreds of thousands of times.
LEMMA, DERIVATION, PHRASE, PATTERN, FUZZY = (k.value for k in (
    MatchKind.LEMMA, MatchKind.DERIVATION, MatchKind.PHRASE, MatchKind.PATTERN,
    MatchKind.FUZZY))
Forms = tuple[frozenset[str], ...]
Hit = tuple[str, str, str, Forms, Forms]
"""(code id, keyword, kind, forms of the words before, forms of the words after)."""
Phrase = tuple[str, str, Forms, Forms]
"""(code id, phrase, forms of the words before its anchor, forms of the words after)."""
Trigger = tuple[tuple[tuple[str, str, str, str, str], ...],
                dict[str, tuple[Phrase, ...]], dict[str, tuple[Phrase, ...]]]
"""What a word stands for: (code id, keyword, kind, and the stored form's head when not
negated and when negated: see qualkit.store.suggestion_json.Found) as a single word; and the
phrases it anchors, by the word that must follow it (phrases with words after the anchor)
and by the word that must precede it (the others)."""

def words_of(text: str) -> list[str]:
    """Lower-case words as the matcher reads them (keywords and segments alike)."""
    return WORD.findall(text.lower())


def gaps_of(text: str, spans: Sequence[tuple[int, int]]) -> tuple[str, ...]:
    """The punctuation between consecutive words, given as (start, end) spans of
    ``text`` (whitespace dropped, apostrophes made straight). A phrase matches only where
    the text has the same, so "say no" does not match 'she said, "no, wait"' (as with
    spaCy's tokens, where punctuation is a token) and "self-confidence" matches itself."""
    return tuple("".join(text[spans[k][1]:spans[k + 1][0]].split()).replace("\u2019", "'")
                 for k in range(len(spans) - 1))


def _stems(keyword: str) -> set[str]:
    stems = {keyword, lemma(keyword)}
    if keyword.endswith("e"):
        stems.add(keyword[:-1])  # motivate → motivat-ion
    if keyword.endswith("y"):
        stems.add(keyword[:-1] + "i")  # rely → reli-able
    return stems


def _derived_from(word: str, stems: Iterable[str]) -> bool:
    """Whether ``word``'s lemma is a stem plus a suffix from :data:`SUFFIXES`, allowing a
    doubled final consonant (plan → planner)."""
    base = lemma(word)
    for stem in stems:
        rest = base[len(stem):] if base.startswith(stem) else None
        if rest and rest[0] == stem[-1] and rest[1:] in SUFFIXES:
            rest = rest[1:]
        if rest in SUFFIXES:
            return True
    return False


def _is_known_word(word: str) -> bool:
    return word in lemma_table() or word in common_words()


class WordTable:
    """What each distinct word of the corpus can stand for, worked out on first sight.

    Single-word keywords give derivation and fuzzy candidates; every keyword gives its
    lemma forms (a phrase, the forms of its first word, with the rest to check in place).
    """

    def __init__(self, keywords: Iterable[tuple[str, str]],
                 weight: Mapping[tuple[str, bool, bool], float] | None = None) -> None:
        """``keywords``: (code id, keyword as written) pairs; ``weight``: a one-evidence
        suggestion's score by (kind, negated, context), to make the stored form's heads
        with (none are made without it)."""
        self.weight = weight
        self.by_form: dict[str, list[Hit]] = defaultdict(list)
        singles: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.gaps: dict[str, tuple[str, ...]] = {}
        """What stands between the words of each phrase (see :func:`gaps_of`)."""
        for code_id, keyword in keywords:
            words = words_of(keyword)
            if not words:
                continue
            kind = PHRASE if len(words) > 1 else LEMMA
            if len(words) > 1:
                self.gaps[keyword] = gaps_of(keyword, [m.span() for m in
                                                       WORD.finditer(keyword)])
            # A phrase is looked for at its longest word, the likeliest to be rare:
            # "I actually know" where "actually" is, not at every "I" of the corpus.
            at = max(range(len(words)), key=lambda k: (len(words[k]), -k))
            before = tuple(forms_of(w) for w in words[:at])
            after = tuple(forms_of(w) for w in words[at + 1:])
            for form in forms_of(words[at]):
                self.by_form[form].append((code_id, keyword, kind, before, after))
            if len(words) == 1 and " " not in keyword.strip():
                singles[words[0]].append((code_id, keyword))
        self.owners = dict(singles)
        self.forms = {k: forms_of(k) for k in singles}
        self.derivable: dict[str, list[tuple[str, set[str]]]] = defaultdict(list)
        for k in sorted(singles):
            if len(k) >= DERIVATION_MIN_LENGTH:
                self.derivable[k[:4]].append((k, _stems(k)))
        self.fuzzy_targets = sorted(k for k in singles if len(k) >= FUZZY_MIN_LENGTH)
        self._fuzzy_set = frozenset(self.fuzzy_targets)
        self.seen: set[str] = set()
        self.heads: dict[tuple[str, str, str, bool], str] = {}
        self.triggers: dict[str, Trigger] = {}
        """The words seen so far that stand for some keyword, with what they stand for:
        all a segment is checked against."""

    def learn(self, words: Iterable[str]) -> None:
        new = set(words).difference(self.seen)
        if not new:
            return
        self.seen |= new
        typos = self.fuzzy_keywords_of(new)
        for word in new:
            hits = self.hits(word, typos.get(word, ()))
            if hits:
                self.triggers[word] = (
                    tuple((c, term, kind, self._head(c, term, kind, False),
                           self._head(c, term, kind, True))
                          for c, term, kind, before, after in hits if not before and not after),
                    *_by_neighbour([(c, term, before, after) for c, term, _, before, after
                                    in hits if before or after]))

    def _head(self, code_id: str, term: str, kind: str, negated: bool) -> str:
        if self.weight is None:
            return ""
        key = (code_id, term, kind, negated)
        if key not in self.heads:
            self.heads[key] = suggestion_json.head(
                code_id, self.weight[kind, negated, False], term, kind, negated, False)
        return self.heads[key]

    def hits(self, word: str, typo_of: Iterable[str]) -> tuple[Hit, ...]:
        """What ``word`` stands for, given the keywords it may be a typo of."""
        found = list(self.by_form.get(word, ()))
        if len(word) > DERIVATION_MIN_LENGTH:
            for keyword in self.derived_keywords(word):
                found += [(c, term, DERIVATION, (), ()) for c, term in self.owners[keyword]]
        for keyword in typo_of:
            found += [(c, term, FUZZY, (), ()) for c, term in self.owners[keyword]]
        return tuple(found)

    def derived_keywords(self, word: str) -> list[str]:
        """Single-word keywords that ``word`` is derived from by a suffix (teach → teacher).
        Keywords are grouped by their first four letters, so each word meets few."""
        return [k for k, stems in self.derivable.get(word[:4], ())
                if word not in self.forms[k] and _derived_from(word, stems)]

    def fuzzy_keywords_of(self, words: Iterable[str]) -> dict[str, list[str]]:
        """Single-word keywords that each word looks like a misspelling of (words with
        none left out). Only words that are not common English words qualify: a real
        word ("confidant", "teacher") is a different word, not a typo of "confident" or
        "teach". All the words are compared with all the keywords in one rapidfuzz call,
        which runs the pairs in C."""
        candidates = sorted(w for w in words if len(w) >= FUZZY_MIN_LENGTH
                            and w not in self._fuzzy_set and not _is_known_word(w))
        if not candidates or not self.fuzzy_targets:
            return {}
        import numpy as np
        from rapidfuzz import fuzz, process

        scores = process.cdist(candidates, self.fuzzy_targets, scorer=fuzz.ratio,
                               score_cutoff=FUZZY_CUTOFF, dtype=np.float32)
        found: dict[str, list[str]] = defaultdict(list)
        for row, column in zip(*np.nonzero(scores >= FUZZY_CUTOFF), strict=True):
            word, keyword = candidates[row], self.fuzzy_targets[column]
            if word not in self.forms[keyword]:
                found[word].append(keyword)
        return dict(found)


def _by_neighbour(phrases: list[Phrase]
                  ) -> tuple[dict[str, tuple[Phrase, ...]], dict[str, tuple[Phrase, ...]]]:
    """Phrases by a form of the word next to their anchor: a common word anchors many
    phrases, and one dictionary lookup of its neighbour rules out nearly all of them."""
    by_next: dict[str, list[Phrase]] = defaultdict(list)
    by_previous: dict[str, list[Phrase]] = defaultdict(list)
    for phrase in phrases:
        _, _, before, after = phrase
        for form in after[0] if after else before[-1]:
            (by_next if after else by_previous)[form].append(phrase)
    return ({k: tuple(v) for k, v in by_next.items()},
            {k: tuple(v) for k, v in by_previous.items()})


def _single_keywords(keywords: Iterable[str]) -> list[tuple[str, str]]:
    return [("", k) for k in keywords if " " not in k.strip()]


def fuzzy_variants(keywords: Iterable[str], vocabulary: Iterable[str]
                   ) -> dict[str, list[str]]:
    """Words of a vocabulary that look like misspellings of single-word keywords."""
    table = WordTable(_single_keywords(keywords))
    found: dict[str, list[str]] = defaultdict(list)
    for word, typo_of in sorted(table.fuzzy_keywords_of({w.lower() for w in vocabulary})
                                .items()):
        for keyword in typo_of:
            found[keyword].append(word)
    return dict(found)


def derived_variants(keywords: Iterable[str], vocabulary: Iterable[str]
                     ) -> dict[str, list[str]]:
    """Words of a vocabulary derived from single-word keywords by a suffix."""
    table = WordTable(_single_keywords(keywords))
    found: dict[str, list[str]] = defaultdict(list)
    for word in sorted({w.lower() for w in vocabulary}):
        if len(word) > DERIVATION_MIN_LENGTH:
            for keyword in table.derived_keywords(word):
                found[keyword].append(word)
    return dict(found)


