"""One scanner for a whole import or scan: which checks run, and the hits in a text."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualkit.errors import ExitCode, PrivacyError
from qualkit.gate import rules
from qualkit.gate.kinds import Hit, Kind
from qualkit.gate.names import RealNames
from qualkit.gate.ner import Entities
from qualkit.model import Turn

RULE_CHECKS = ("e-mail", "phone", "URL", "postal code", "date of birth", "ID number")


@dataclass(frozen=True)
class Finding:
    """A hit located in a file, as reported: where and what kind, never the text.

    ``label`` is the unknown speaker label, for the terminal only: the user must see it to
    act on it, but it may be a real name, so it is kept out of ``repr`` (tracebacks, logs)
    and out of the error message."""

    file: str
    kind: Kind
    line: int
    column: int | None = None
    unit: str = "line"
    label: str | None = field(default=None, repr=False, compare=False)

    def describe(self, show_label: bool = True) -> str:
        if self.unit == "line":
            where = f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")
        else:
            where = f"{self.file} ({self.unit} {self.line})"
        said = f' "{self.label}"' if show_label and self.label is not None else ""
        return f"{where}: {self.kind.phrase}{said}"

    def as_dict(self) -> dict[str, object]:
        found: dict[str, object] = {"file": self.file, "line": self.line,
                                    "column": self.column, "unit": self.unit,
                                    "kind": self.kind.value}
        if self.label is not None:
            found["label"] = self.label
        return found


def locate(rel: str, hit: Hit, text: str, place: Any) -> Finding:
    """The finding for ``hit`` at ``place`` (a locator's place in the original file)."""
    label = text[hit.start:hit.end] if hit.kind is Kind.UNKNOWN_SPEAKER else None
    return Finding(rel, hit.kind, place.line, place.column, place.unit, label)


@dataclass(frozen=True)
class Check:
    """One check of the gate: whether it runs, and why (or why not)."""

    name: str
    ran: bool
    why: str = ""

    def __str__(self) -> str:
        return f"{self.name} ({self.why})" if self.why else self.name


class PiiFound(PrivacyError):
    """The gate found possible identifiers; the import stops and stores nothing."""

    exit_code = ExitCode.THRESHOLD

    def __init__(self, findings: Sequence[Finding], files: int, checks: str) -> None:
        self.findings = list(findings)
        self.checks = checks
        first = self.findings[0].describe(show_label=False)
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

    def checks(self) -> list[Check]:
        """Every check, whether it runs and why: what an import or a scan reports."""
        found = [Check(name, True) for name in RULE_CHECKS]
        found.append(Check("speakers on participants.csv", True) if self.participants else
                     Check("speakers", False, "no participants.csv"))
        found.append(Check("roster of real names", True, str(len(self.names.people)))
                     if self.names is not None else
                     Check("real names", False, "no --roster"))
        found.append(Check("named entities", True, self.entities.name)
                     if self.entities is not None else
                     Check("named entities", False, self.ner_note or "off"))
        return found

    def summary(self) -> str:
        """Which checks ran and which did not, and why, in one line."""
        checks = self.checks()
        ran = ", ".join(str(c) for c in checks if c.ran)
        skipped = ", ".join(str(c) for c in checks if not c.ran)
        return f"checks run: {ran}" + (f"; not run: {skipped}" if skipped else "")

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
        from qualkit.gate.ner import installed_model

        model = installed_model()
        if model is None:
            note = "no trained spaCy pipeline installed"
        else:
            entities = Entities.load(model)
    elif ner:
        entities = Entities.load(ner)
    return Scanner(participants=participants, names=names, entities=entities, ner_note=note)
