"""Real names from a roster the researcher keeps outside the project (``--roster FILE``).

Transcribers misspell names and speakers use first names, so each capitalised word of the
text is compared with every part of every real name (first name, surname) after folding
case and accents: equal, or for a word of five letters or more with the same first letter
one edit away (two for eight or more), counts — rapidfuzz's Levenshtein distance.
Adjacent hits of one person ("Anna Kovács") merge into one.

Names that are also common words (All, Will, May, Mark, Grace, Bill) are matched exactly
and only on evidence that they are a name here, not by the roster alone: followed by the
person's surname, possessive ("Grace's"), addressed ("Thanks, Mark." / "Will, what do you
think?"), after a title ("Dr Bill"), or capitalised mid-sentence where a word would not be
("then Will said") — but not as part of a longer capitalised name ("the Education Bill",
"Mayo Clinic"), nor as a month ("in May", "May 2019"). At the start of a sentence ("Will
you…", "May I…", "Mark the answer") they are words.

The roster is a text file with one real name per line (``#`` starts a comment) or a CSV
with a ``name`` column and, optionally, a ``pseudonym`` column that
``qualkit privacy pseudonymise`` then uses.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qualkit.errors import FileError
from qualkit.gate.kinds import Hit, Kind
from qualkit.normalise import decode, normalise, read_bytes

WORD = re.compile(r"[^\W\d_]+")
NAME_COLUMNS = ("name", "real_name", "real name", "full_name", "full name")


@dataclass(frozen=True)
class Person:
    name: str
    pseudonym: str | None = None


def fold(word: str) -> str:
    """Case- and accent-insensitive form: "Kovács" and "KOVACS" both give "kovacs"."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


MONTHS = frozenset({"january", "february", "march", "april", "may", "june", "july", "august",
                    "september", "october", "november", "december"})
NAME_WORDS = MONTHS | {
    "will", "mark", "bill", "grace", "hope", "faith", "joy", "rose", "summer", "sunny",
    "dean", "chase", "pat", "sue", "guy", "rich", "art", "all", "bob", "jack", "frank",
    "dawn", "iris", "ivy", "holly", "lily", "daisy", "ruby", "amber", "crystal", "penny",
    "ray", "rob", "sandy", "skip", "woody", "drew", "gene", "max", "miles", "earl", "harry",
    "hunter", "carol", "victor", "norman", "mason", "taylor", "cole", "page", "young",
    "white", "black", "brown", "green", "king", "wood", "hill", "long", "rice", "price",
    "may", "bell", "best", "moon", "rivers", "banks", "hall", "lane", "little", "ward"}
"""First names and surnames that are also ordinary English words (besides spaCy's stop
words): they need evidence in the text before they count as a name."""
TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir",
                    "dame", "uncle", "aunt", "auntie", "sister", "brother", "nurse", "coach",
                    "teacher", "father", "mother", "dear", "hi", "hello", "hey", "thanks",
                    "cheers", "bye", "goodbye", "morning", "evening", "welcome"})
"""Words after which a capitalised word is a person (a title, or a greeting: addressed)."""
DATE_WORDS = frozenset({"in", "on", "of", "since", "until", "till", "by", "last", "next",
                        "this", "early", "late", "mid", "from", "to", "through", "during",
                        "every", "each", "before", "after", "end", "beginning", "start",
                        "middle", "around", "that"})
POST_NOMINALS = frozenset({"am", "ms", "mp", "msp", "mla", "mep", "td", "obe", "mbe", "cbe",
                           "qc", "kc", "phd", "md", "jr", "sr", "rev", "cllr", "hon", "lord",
                           "lady", "baroness", "minister"})
DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those", "every", "each",
                         "no", "any", "some", "our", "their", "its"})
"""Words before which a common word is not a person: "the Will and Testament workshop"."""
PLACE_WORDS = frozenset({
    "bank", "council", "university", "college", "school", "hospital", "trust", "street",
    "road", "lane", "avenue", "ltd", "limited", "plc", "group", "institute", "centre",
    "center", "foundation", "clinic", "ward", "building", "hall", "house", "library", "act",
    "bill", "report", "committee", "court", "park", "square", "station", "church", "prize",
    "award", "scholarship", "fund", "lecture", "theatre", "unit", "wing", "way"})
"""Words after which a name names a place or a body: "Lloyds Bank", "Evans Building"."""
_SENTENCE_END = ".!?:;\"\u201c\u201d(\n"
_APOSTROPHES = "'\u2019"


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | NAME_WORDS


def common(word: str) -> bool:
    """A folded word that is also an ordinary English word."""
    return word in _stop_words()


def _word_before(text: str, start: int) -> tuple[str, str]:
    """The word just before ``start`` ("" when ``start`` opens a sentence or a turn, ","
    after a comma) and the character that ends it."""
    i = start
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    if i > 0 and text[i - 1] == ",":
        return ",", ","
    j = i - 1 if i > 0 and text[i - 1] == "." else i
    while j > 0 and (text[j - 1].isalpha() or text[j - 1] in _APOSTROPHES):
        j -= 1
    word = text[j:i]
    if i == 0 or (text[i - 1] in _SENTENCE_END and fold(word.rstrip(".")) not in TITLES):
        return "", "."
    return word, text[i - 1]


def named_here(text: str, start: int, end: int, surname: bool) -> bool:
    """Whether a common word at ``text[start:end]`` that is on the roster is used as a
    name here (see the module's docstring for the evidence)."""
    if surname:
        return True
    after = text[end:end + 30]
    word = fold(text[start:end])
    if after[:1] in _APOSTROPHES and after[1:2] == "s":
        return True
    before, mark = _word_before(text, start)
    folded = fold(before.rstrip("."))
    next_word = re.match(r"[ \t]*([^\W\d_][\w'\u2019-]*|\d+)", after)
    following = next_word.group(1) if next_word else ""
    if word in MONTHS and (folded in DATE_WORDS or following[:1].isdigit()
                           or before[:1].isdigit()):
        return False
    if folded in TITLES:
        return True
    if folded in DETERMINERS:
        return False
    if mark == ",":  # "Thanks, Mark." / "so, Will, what..."
        return True
    if before == "":  # opens a sentence: a name only when addressed ("Mark, can you")
        return after[:1] == "," or re.match(r"[ \t]*[.!?]", after) is not None
    # Otherwise capitalised mid-sentence: a name, unless part of a longer capitalised
    # name ("the Education Bill", "Mark Scheme"). A capitalised word before that is an
    # ordinary word or an adverb ("So Grace, …", "Honestly Will was…") opens the sentence.
    return not ((before[:1].isupper() and not common(fold(before))
                 and not fold(before).endswith("ly"))
                or (following[:1].isupper() and not common(fold(following))))


def _names_a_place(text: str, end: int) -> bool:
    """Whether the name ending at ``end`` is part of a place's or body's name."""
    following = re.match(r"[ \t]+([A-Z][a-z]+)", text[end:end + 20])
    return following is not None and fold(following.group(1)) in PLACE_WORDS


class RealNames:
    """The people of a roster of real names, and where they appear in a text."""

    def __init__(self, people: list[Person]) -> None:
        self.people = people
        self.parts: dict[str, set[int]] = {}
        for i, person in enumerate(people):
            for part in WORD.findall(person.name):
                # "Dr", "Professor", "AM" (a member of the Senedd) are no part of a name.
                if len(part) >= 2 and fold(part) not in TITLES | POST_NOMINALS:
                    self.parts.setdefault(fold(part), set()).add(i)
        self._fuzzy_keys: dict[str, list[str]] = {}
        for part in self.parts:
            if len(part) >= 4 and not common(part):
                self._fuzzy_keys.setdefault(part[:1], []).append(part)
        self._cache: dict[str, frozenset[int]] = {}

    @classmethod
    def load(cls, path: Path) -> RealNames:
        text = normalise(decode(read_bytes(path), path))
        people: list[Person] = []
        if path.suffix.lower() == ".csv":
            reader = csv.DictReader(io.StringIO(text))
            columns = {(c or "").strip().lower(): c for c in reader.fieldnames or []}
            name = next((columns[c] for c in NAME_COLUMNS if c in columns), None)
            if name is None:
                raise FileError(path, "needs a column named name (one real name per row)",
                                line=1)
            alias = columns.get("pseudonym")
            for row in reader:
                if (row.get(name) or "").strip():
                    people.append(Person(row[name].strip(),
                                         (row.get(alias) or "").strip() or None if alias
                                         else None))
        else:
            people = [Person(line.strip()) for line in text.split("\n")
                      if line.strip() and not line.lstrip().startswith("#")]
        if not people:
            raise FileError(path, "lists no names; write one real name per line")
        return cls(people)

    def _who(self, word: str) -> frozenset[int]:
        key = fold(word)
        if key in self._cache:
            return self._cache[key]
        found = frozenset(self.parts.get(key, ()))
        candidates = self._fuzzy_keys.get(key[:1], [])
        if not found and len(key) >= 5 and candidates and not common(key):
            from rapidfuzz import process
            from rapidfuzz.distance import Levenshtein

            # A misspelling keeps the first letter and the length ("Katalyn", "Hanna"):
            # at four letters, or with another first letter, one edit away is another
            # word ("Nick": Nice, Tick, Dick; "Cook": Look). Names that are words
            # themselves are not matched at a distance ("Mayo" is not a misspelt "May").
            best = process.extractOne(key, candidates, scorer=Levenshtein.distance,
                                      score_cutoff=1 if len(key) < 8 else 2)
            if best is not None:
                found = frozenset(self.parts[best[0]])
        self._cache[key] = found
        return found

    def find(self, text: str) -> list[Hit]:
        """Hits for roster names; ``person`` is None when a first name fits several people."""
        spans: list[tuple[int, int, frozenset[int], bool]] = []
        for match in WORD.finditer(text):
            word = match.group()
            if len(word) < 2 or not word[0].isupper():
                continue
            who = self._who(word)
            if not who:
                continue
            if spans:
                start, end, before, _ = spans[-1]
                gap = text[end:match.start()]
                if len(gap) <= 2 and not gap.strip(" -") and before & who:
                    spans[-1] = (start, match.end(), before & who, True)
                    continue
            spans.append((match.start(), match.end(), who, False))
        return [Hit(s, e, Kind.ROSTER_NAME, next(iter(who)) if len(who) == 1 else None)
                for s, e, who, joined in spans
                if not _names_a_place(text, e)
                and (joined or not common(fold(text[s:e])) or named_here(text, s, e, joined))]
