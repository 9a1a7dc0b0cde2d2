"""What pseudonymisation would change, worked out before anything is written.

Speaker labels are structure, not talk: text matching never rewrites them. A label changes
only through the roster's mapping — when the whole label is a person of the roster of real
names (``--roster``), or a speaker missing from ``participants.csv`` whose label looks like
a person's name ("Dan", "Rhian Howells") — and it becomes that person's pseudonym, never a
placeholder. Labels such as ``PARTICIPANT 12``, ``All`` or ``Interviewer`` are never
people. In the talk, only the gate's findings change.

The plan is what the dry run shows (kind, the term masked to its initials, how often, one
masked context) and what ``--apply`` writes; changing labels, or more than
:data:`MAX_SHARE` of the words, needs ``--force`` as well.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qualkit.gate.kinds import Hit, Kind
from qualkit.gate.names import Person, RealNames, fold
from qualkit.gate.scan import Scanner
from qualkit.ingest.formats import read_source
from qualkit.ingest.source import ReadOptions
from qualkit.model import Turn
from qualkit.privacy.key import Key

MAX_SHARE = 0.02
"""More than this share of a run's words changed needs --force: names and identifiers are
rare in talk, so a larger change is more likely a rule gone wrong than a careful job."""
MIN_WORDS = 20
"""...but a change of this many words or fewer never does: in a short file one e-mail
address is a large share."""
LABEL_KIND = "speaker label"
ROLE_WORDS = frozenset({
    "participant", "participants", "interviewer", "interviewee", "moderator", "facilitator",
    "speaker", "student", "students", "teacher", "therapist", "client", "counsellor",
    "counselor", "researcher", "respondent", "all", "everyone", "everybody", "group",
    "multiple", "unknown", "unidentified", "several", "voices", "voice", "audience", "chair",
    "chairman", "chairperson", "chairwoman", "host", "member", "members", "parent", "child",
    "pupil", "pupils", "nurse", "doctor", "patient", "mentor", "mentee", "coach", "observer",
    "notetaker", "transcriber", "inaudible", "crosstalk", "both", "others", "other", "male",
    "female", "man", "woman", "question", "answer", "q", "a", "narrator", "presenter",
    "panel", "panellist", "panelist", "witness", "clerk", "officer", "staff", "class",
    "team", "guest", "caller", "user", "agent", "assistant", "family", "mother", "father",
    "son", "daughter", "boy", "girl", "adult", "young", "person", "people", "note", "notes",
    "interpreter", "translator", "and", "the", "of", "new", "sound", "music", "laughter"})
"""Words that make a speaker label a role or a group, not a person."""
_LABEL_NAME = re.compile(r"[^\W\d_]+(?:['\u2019.-][^\W\d_]+)*\.?"
                         r"(?:[ \t]+[^\W\d_]+(?:['\u2019.-][^\W\d_]+)*\.?){0,3}")


def looks_like_a_name(label: str) -> bool:
    """A label of one to four capitalised words, none of them a role: "Dan", "Rhian
    Howells MS" — not "PARTICIPANT 12", "All", "Speaker 2", "Interviewer" or its typo
    "Interviwer"."""
    if not _LABEL_NAME.fullmatch(label.strip()) or not label.strip()[0].isupper():
        return False
    return not any(_role(fold(w.strip(".'\u2019"))) for w in label.split())


def _role(word: str) -> bool:
    """A role word, or one misspelt ("Particpant", "Interviwer": labels are typed by hand)."""
    if word in ROLE_WORDS:
        return True
    if len(word) < 6:
        return False
    from rapidfuzz.distance import Levenshtein

    cutoff = 1 if len(word) < 9 else 2  # "Parker" is not a misspelt "parent"
    return any(len(role) >= 6 and Levenshtein.distance(word, role, score_cutoff=cutoff)
               <= cutoff for role in ROLE_WORDS)


@dataclass(frozen=True)
class Change:
    """One replacement: ``text[start:end]`` becomes ``replacement``."""

    start: int
    end: int
    kind: str
    original: str
    replacement: str
    label: bool = False


@dataclass
class FilePlan:
    path: Path
    target: Path
    text: str
    changes: list[Change]
    words: int

    def result(self) -> str:
        """The pseudonymised text."""
        pieces, last = [], 0
        for change in self.changes:
            pieces += [self.text[last:change.start], change.replacement]
            last = change.end
        pieces.append(self.text[last:])
        return "".join(pieces)


@dataclass(frozen=True)
class Row:
    """One line of the dry run's table: never the term itself, only its initials."""

    kind: str
    term: str
    count: int
    replacement: str
    context: str

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "term": self.term, "count": self.count,
                "replacement": self.replacement, "context": self.context}


@dataclass
class Plan:
    files: list[FilePlan] = field(default_factory=list)
    names: int = 0
    """Mentions of people to be replaced by their pseudonym (labels not counted)."""
    others: int = 0
    """Other identifiers to be replaced by a placeholder."""
    ambiguous: int = 0
    """First names that fit several people, to become ``[name]``."""

    @property
    def labels(self) -> int:
        return sum(c.label for f in self.files for c in f.changes)

    @property
    def words(self) -> int:
        return sum(f.words for f in self.files)

    @property
    def words_changed(self) -> int:
        return sum(len(c.original.split()) for f in self.files for c in f.changes
                   if not c.label)

    @property
    def share(self) -> float:
        return self.words_changed / self.words if self.words else 0.0

    def needs_force(self) -> str | None:
        """Why writing this plan needs --force, or None."""
        reasons = []
        if self.labels:
            reasons.append(f"rewrite {self.labels} speaker label(s)")
        if self.share > MAX_SHARE and self.words_changed > MIN_WORDS:
            reasons.append(f"change {self.words_changed} of {self.words} words "
                           f"({self.share:.1%}, more than {MAX_SHARE:.0%})")
        return " and ".join(reasons) or None

    def rows(self) -> list[Row]:
        """What would change, grouped by kind and term, in order of first appearance."""
        groups: dict[tuple[str, str, str], list[tuple[FilePlan, Change]]] = {}
        for plan in self.files:
            for change in plan.changes:
                key = (change.kind, fold(change.original), change.replacement)
                groups.setdefault(key, []).append((plan, change))
        rows = []
        for (kind, _, replacement), found in groups.items():
            plan, change = found[0]
            rows.append(Row(kind, mask(change.original), len(found), replacement,
                            _context(plan, change)))
        return rows


def mask(term: str) -> str:
    """A term shown by its initials: "Katalin Szabó" → "K… S…", "jo@x.org" → "j…"."""
    return " ".join(f"{word[0]}\u2026" for word in term.split())


def _context(plan: FilePlan, change: Change, width: int = 30) -> str:
    """A few words around ``change``, every change in sight masked, on one line."""
    start, end = max(0, change.start - width), min(len(plan.text), change.end + width)
    pieces, last = [], start
    for other in plan.changes:
        if other.end <= start or other.start >= end:
            continue
        pieces += [plan.text[last:max(last, other.start)], f"[{mask(other.original)}]"]
        last = max(last, other.end)
    pieces.append(plan.text[last:end])
    shown = " ".join("".join(pieces).split())
    return ("\u2026" if start > 0 else "") + shown + ("\u2026" if end < len(plan.text) else "")


def label_spans(text: str, turns: Sequence[Turn]) -> list[tuple[int, int, str]]:
    """Where each turn's speaker label is: its last mention between the previous turn's
    end and this turn's start."""
    spans, previous = [], 0
    for turn in turns:
        at = text.rfind(turn.speaker, previous, turn.start)
        if at == -1:
            at = text.casefold().rfind(turn.speaker.casefold(), previous, turn.start)
        if at != -1:
            spans.append((at, at + len(turn.speaker), turn.speaker))
        previous = max(previous, turn.end)
    return spans


def make_plan(paths: Sequence[Path], out: Path, key: Key, scanner: Scanner,
              options: ReadOptions | None = None) -> Plan:
    """What pseudonymising ``paths`` into ``out`` would change; writes nothing (the key
    gains pseudonyms in memory only)."""
    options = options or ReadOptions()
    roster = list(scanner.names.people) if scanner.names is not None else []
    known = {fold(p.name) for p in roster}
    parts: dict[str, int] = {}
    for person in roster:
        for part in {fold(w) for w in person.name.split()}:
            parts[part] = parts.get(part, 0) + 1
    known |= {part for part, people in parts.items() if people == 1}  # "Bence" is Bence Tóth
    sources = [read_source(path, options) for path in paths]
    for source in sources:  # speakers missing from participants.csv named like people
        if not (scanner.participants and source.labelled):
            continue
        for turn in source.turns:
            name = turn.speaker.strip()
            if (name.casefold() not in scanner.participants and fold(name) not in known
                    and looks_like_a_name(name)):
                known.add(fold(name))
                roster.append(Person(name))
    names = RealNames(roster) if roster else None
    full = Scanner(participants=scanner.participants, names=names, entities=scanner.entities)
    plan = Plan()
    for path, source in zip(paths, sources, strict=True):
        labels = label_spans(source.text, source.turns) if source.labelled else []
        changes = [c for c in (_label_change(s, e, label, roster, key) for s, e, label in labels)
                   if c is not None]
        for hit in full.hits(source.text, source.turns, labelled=False):
            if any(hit.start < e and s < hit.end for s, e, _ in labels):
                continue  # labels change only through the mapping above
            changes.append(_text_change(source.text, hit, roster, key, plan))
        changes.sort(key=lambda c: c.start)
        plan.files.append(FilePlan(path, out / f"{path.stem}.txt", source.text, changes,
                                   len(source.text.split())))
    return plan


def _label_change(start: int, end: int, label: str, roster: Sequence[Person], key: Key
                  ) -> Change | None:
    """The label's pseudonym when the whole label is one person of the roster (their full
    name, or a name part no one else has)."""
    folded = fold(label.strip())
    people = [p for p in roster if fold(p.name) == folded]
    if not people:
        people = [p for p in roster if folded in {fold(w) for w in p.name.split()}]
    if len(people) != 1:
        return None
    pseudonym = key.pseudonym(people[0].name, people[0].pseudonym)
    if pseudonym == label:
        return None
    return Change(start, end, LABEL_KIND, label, pseudonym, label=True)


def _text_change(text: str, hit: Hit, roster: Sequence[Person], key: Key, plan: Plan
                 ) -> Change:
    original = text[hit.start:hit.end]
    if hit.kind is Kind.ROSTER_NAME and hit.person is None:
        plan.ambiguous += 1
        replacement = "[name]"
    elif hit.kind is Kind.ROSTER_NAME:
        person = roster[hit.person]
        replacement = key.pseudonym(person.name, person.pseudonym)
        plan.names += 1
    elif hit.kind is Kind.PERSON:
        replacement = key.pseudonym(" ".join(original.split()))
        plan.names += 1
    else:
        replacement = hit.kind.placeholder
        plan.others += 1
    return Change(hit.start, hit.end, hit.kind.value, original, replacement)
