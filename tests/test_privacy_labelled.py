"""The gate on a labelled set: recall of seeded identifiers, precision over everything found.

``fixtures/privacy/labelled.txt`` was written for these tests in the manner of interview,
focus-group, classroom and committee talk, with identifiers seeded in the forms people
write them and traps that are not identifiers (maths numbers, product names, common words
that are names, public bodies). The bars are the issue's: recall ≥ 0.98, precision ≥ 0.9.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from qualkit.gate import Scanner
from qualkit.gate.names import RealNames

FIXTURES = Path(__file__).parent / "fixtures" / "privacy"
SEED = re.compile(r"\[\[(?P<kind>\w+):(?P<text>.+?)\]\]")


@dataclass(frozen=True)
class Labelled:
    text: str
    gold: list[tuple[int, int, str]]
    """Seeded identifiers: start, end, kind."""


def load() -> list[Labelled]:
    lines = []
    for raw in (FIXTURES / "labelled.txt").read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        text, gold, last = "", [], 0
        for match in SEED.finditer(raw):
            text += raw[last:match.start()]
            gold.append((len(text), len(text) + len(match["text"]), match["kind"]))
            text += match["text"]
            last = match.end()
        lines.append(Labelled(text + raw[last:], gold))
    return lines


def score() -> tuple[Counter[str], list[str]]:
    """Counts (seeded, found, hits, true hits, right kind) and the misses, described."""
    scanner = Scanner(names=RealNames.load(FIXTURES / "roster.csv"))
    counts: Counter[str] = Counter()
    wrong = []
    for line in load():
        hits = scanner.hits(line.text, [])
        counts["hits"] += len(hits)
        for hit in hits:
            if any(hit.start < e and s < hit.end for s, e, _ in line.gold):
                counts["true hits"] += 1
            else:
                wrong.append(f"false: {line.text[hit.start:hit.end]!r} ({hit.kind.value}) "
                             f"in {line.text!r}")
        for start, end, kind in line.gold:
            counts["seeded"] += 1
            found = [h for h in hits if h.start < end and start < h.end]
            if found:
                counts["found"] += 1
                counts["right kind"] += any(h.kind.value == kind for h in found)
            else:
                wrong.append(f"missed: {line.text[start:end]!r} ({kind}) in {line.text!r}")
    return counts, wrong


def test_the_labelled_set_is_large_enough_and_well_formed() -> None:
    lines = load()
    assert len(lines) >= 300
    assert sum(len(line.gold) for line in lines) >= 100
    kinds = Counter(kind for line in lines for _, _, kind in line.gold)
    assert set(kinds) == {"email", "phone", "url", "postcode", "birth_date", "id_number",
                          "roster_name"}


def test_recall_and_precision_on_the_labelled_set() -> None:
    counts, wrong = score()
    recall = counts["found"] / counts["seeded"]
    precision = counts["true hits"] / counts["hits"]
    assert recall >= 0.98, "\n".join(wrong)
    assert precision >= 0.9, "\n".join(wrong)
