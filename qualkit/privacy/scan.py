"""One scanner for a whole import or scan: which checks run, and the hits in a text."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from qualkit.errors import ExitCode, PrivacyError
from qualkit.model import Turn
from qualkit.privacy import rules
from qualkit.privacy.kinds import Hit, Kind
from qualkit.privacy.names import RealNames
from qualkit.privacy.ner import Entities

RULE_CHECKS = ("e-mail", "phone", "URL", "postal code", "date of birth", "ID number")


@dataclass(frozen=True)
class Finding:
    """A hit located in a file, as reported: where and what kind, never the text."""

    file: str
    kind: Kind
    line: int
    column: int | None = None
    unit: str = "line"

    def describe(self) -> str:
        if self.unit == "line":
            where = f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")
        else:
            where = f"{self.file} ({self.unit} {self.line})"
        return f"{where}: {self.kind.phrase}"

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "column": self.column,
                "unit": self.unit, "kind": self.kind.value}


class PiiFound(PrivacyError):
    """The gate found possible identifiers; the import stops and stores nothing."""

    exit_code = ExitCode.THRESHOLD

    def __init__(self, findings: Sequence[Finding], files: int, checks: str) -> None:
        self.findings = list(findings)
        self.checks = checks
        first = self.findings[0].describe()
        super().__init__(
            f"the privacy gate found {len(self.findings)} possible identifier(s) in {files} "
            f"transcript(s) (first: {first}); nothing was imported. Pseudonymise them "
            "(`qualkit privacy pseudonymise`), add missing speakers to participants.csv, "
            "or pass --allow-pii")


def _dedupe(hits: list[Hit]) -> list[Hit]:
    """Text order; a hit inside an earlier, longer one (a domain inside an e-mail) goes."""
    kept: list[Hit] = []
    # On the same span a card or ID number beats the phone number its digits also fit.
    for hit in sorted(hits, key=lambda h: (h.start, -(h.end - h.start), h.kind is Kind.PHONE)):
        if kept and hit.end <= kept[-1].end:
            continue
        kept.append(hit)
    return kept


class Scanner:
    """The checks chosen for a run. ``participants`` are the pseudonyms of the project's
    roster (the speaker check runs only when there is one)."""

    def __init__(self, *, participants: Collection[str] = (), names: RealNames | None = None,
                 entities: Entities | None = None, ner_note: str = "") -> None:
        self.participants = frozenset(p.casefold() for p in participants)
        self.names = names
        self.entities = entities
        self.ner_note = ner_note

    def summary(self) -> str:
        """Which checks ran and which did not, for the output."""
        ran = list(RULE_CHECKS)
        skipped = []
        if self.participants:
            ran.append("speakers on participants.csv")
        else:
            skipped.append("speakers (no participants.csv)")
        if self.names is not None:
            ran.append(f"roster of real names ({len(self.names.people)})")
        else:
            skipped.append("real names (no --roster)")
        if self.entities is not None:
            ran.append(f"named entities ({self.entities.name})")
        else:
            skipped.append(f"named entities ({self.ner_note or 'off'})")
        return f"checks run: {', '.join(ran)}; not run: {', '.join(skipped)}"

    def hits(self, text: str, turns: Sequence[Turn], labelled: bool = True) -> list[Hit]:
        found = list(rules.find(text))
        if self.names is not None:
            found.extend(self.names.find(text))
        if self.entities is not None:
            found.extend(self.entities.find(text, turns, self.participants))
        if self.participants and labelled:
            seen: set[str] = set()
            for turn in turns:
                if turn.speaker.casefold() in self.participants or turn.speaker in seen:
                    continue
                seen.add(turn.speaker)
                label = text.rfind(turn.speaker, 0, turn.start)
                start = max(label, 0)
                found.append(Hit(start, start + len(turn.speaker), Kind.UNKNOWN_SPEAKER))
        return _dedupe(found)


def build_scanner(participants: Collection[str] = (), roster: Path | None = None,
                  ner: str | None = "auto") -> Scanner:
    """``ner``: "auto" (an installed trained pipeline, if any), a pipeline name, or None."""
    names = RealNames.load(roster) if roster is not None else None
    entities, note = None, "off"
    if ner == "auto":
        from qualkit.privacy.ner import installed_model

        model = installed_model()
        if model is None:
            note = "no trained spaCy pipeline installed"
        else:
            entities = Entities.load(model)
    elif ner:
        entities = Entities.load(ner)
    return Scanner(participants=participants, names=names, entities=entities, ner_note=note)
