"""Real names from a roster the researcher keeps outside the project (``--roster FILE``).

Transcribers misspell names and speakers use first names, so each capitalised word of the
text is compared with every part of every real name (first name, surname) after folding
case and accents: equal, or for a word of four letters or more one edit away (two for
eight or more), counts — rapidfuzz's Levenshtein distance. Common English words
("Will", "May") must match exactly, or every sentence starting with "Will" would be a hit.
Adjacent hits of one person ("Anna Kovács") merge into one.

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
from qualkit.ingest.normalise import decode, normalise, read_bytes
from qualkit.privacy.kinds import Hit, Kind

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


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | {"may", "june", "april", "august", "will", "mark", "bill",
                                    "grace", "hope", "faith", "joy", "rose", "summer", "sunny",
                                    "dean", "chase", "pat", "sue", "guy", "rich", "art"}


class RealNames:
    """The people of a roster of real names, and where they appear in a text."""

    def __init__(self, people: list[Person]) -> None:
        self.people = people
        self.parts: dict[str, set[int]] = {}
        for i, person in enumerate(people):
            for part in WORD.findall(person.name):
                if len(part) >= 2:
                    self.parts.setdefault(fold(part), set()).add(i)
        self._keys = list(self.parts)
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
        if not found and len(key) >= 4 and key not in _stop_words():
            from rapidfuzz import process
            from rapidfuzz.distance import Levenshtein

            best = process.extractOne(key, self._keys, scorer=Levenshtein.distance,
                                      score_cutoff=1 if len(key) < 8 else 2)
            if best is not None:
                found = frozenset(self.parts[best[0]])
        self._cache[key] = found
        return found

    def find(self, text: str) -> list[Hit]:
        """Hits for roster names; ``person`` is None when a first name fits several people."""
        spans: list[tuple[int, int, frozenset[int]]] = []
        for match in WORD.finditer(text):
            word = match.group()
            if len(word) < 2 or not word[0].isupper():
                continue
            who = self._who(word)
            if not who:
                continue
            if spans:
                start, end, before = spans[-1]
                gap = text[end:match.start()]
                if len(gap) <= 2 and not gap.strip(" -") and before & who:
                    spans[-1] = (start, match.end(), before & who)
                    continue
            spans.append((match.start(), match.end(), who))
        return [Hit(s, e, Kind.ROSTER_NAME, next(iter(who)) if len(who) == 1 else None)
                for s, e, who in spans]
