"""The methods paragraph: the facts of the analysis in prose an author can adapt.

Every sentence is derived from a fact the project records, by a function of its own
(tested one by one), so the paragraph never claims a step that did not happen: no
agreement sentence without two coders, no consensus sentence without a consensus, no
"suggestions were shown to coders" when every decision was imported from a file made
elsewhere (each decision's origin says where it was made), no empty version label.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qualkit import __version__
from qualkit.model import CONSENSUS, Codebook
from qualkit.report.quotes import QUOTE_RULE

if TYPE_CHECKING:
    from qualkit.agreement.project import ProjectAgreement
    from qualkit.report.sections import CoderReport

NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")

# Where a decision was made, from its origin (see docs/tagging.md, "The audit trail").
SESSION, SHEET, FILE, REFI, ADJUDICATION, OTHER = ("session", "sheet", "file", "refi",
                                                   "adjudication", "other")
SHOWN = (SESSION, SHEET)  # where qualkit shows its suggestions next to the segment
IMPORTED = {FILE: "codings files", REFI: "a REFI-QDA project"}


def where_made(origin: str) -> str:
    """The place a decision was made, from its origin."""
    if origin in ("manual", "suggestion", "undo"):
        return SESSION
    prefix = origin.split(":", 1)[0]
    return {"sheet": SHEET, "file": FILE, "qdpx": REFI,
            "adjudication": ADJUDICATION}.get(prefix, OTHER)


def _n(count: int, noun: str, plural: str | None = None) -> str:
    """'seven transcripts', 'one coder', '2,776 segments' (words up to ten, as journals
    ask)."""
    return f"{_word(count)} {noun if count == 1 else (plural or noun + 's')}"


def _word(count: int) -> str:
    return NUMBERS[count] if 0 <= count < len(NUMBERS) else f"{count:,}"


def _stat(value: float) -> str:
    return "undefined" if math.isnan(value) else f"{value:.2f}"


def corpus_sentence(facts: Mapping[str, Any], main: CoderReport) -> str:
    """What was imported and what of it was coded."""
    table = main.theme
    total, coded, unit = facts["transcripts"], table.transcripts, facts["unit"]
    people = f"{_n(table.participants, 'participant')} (moderators not counted)"
    if coded >= total:
        return (f"The analysis covered {_n(total, 'transcript')} with {people}, divided into "
                f"{_n(facts['segments'], unit + ' segment')} for coding.")
    return (f"Of the {_n(total, 'transcript')} in the project, {_word(coded)} "
            f"{'was' if coded == 1 else 'were'} coded, with {people}; "
            f"{table.segments_reviewed:,} of the project's "
            f"{_n(facts['segments'], unit + ' segment')} were reviewed.")


def codebook_sentence(codebook: Codebook) -> str:
    """The codebook, its version label (left out when it has none) and content hash."""
    label = str(codebook.label or "").strip()
    version = f"version {label}, " if label else ""
    return (f"Segments were coded with the codebook “{codebook.name}” ({version}content hash "
            f"{codebook.version[:12]}) of {_n(len(codebook.themes), 'theme')} and "
            f"{_n(len(codebook.codes), 'code')}.")


def coders_sentence(coders: Sequence[str]) -> str | None:
    # How independent the coders were is the author's to state: qualkit cannot know.
    if len(coders) >= 2:
        return (f"{_n(len(coders), 'coder').capitalize()} coded the transcripts, each "
                "decision recorded separately.")
    if len(coders) == 1:
        return "One coder coded the transcripts."
    return None


def suggestions_sentence(origins: Mapping[str, int], suggested: bool) -> str | None:
    """Whether coders saw qualkit's suggestions, from where their decisions were made."""
    by_place: dict[str, int] = {}
    for origin, count in origins.items():
        place = where_made(origin)
        by_place[place] = by_place.get(place, 0) + count
    total = sum(v for k, v in by_place.items() if k != ADJUDICATION)
    if total == 0:
        return None
    shown = sum(by_place.get(k, 0) for k in SHOWN)
    imported = {k: by_place[k] for k in IMPORTED if by_place.get(k)}
    sources = " and ".join(IMPORTED[k] for k in imported)
    accepted = origins.get("suggestion", 0)
    if shown == 0 and imported:
        return (f"{'The' if total != 1 else 'The one'} coding decision"
                f"{'s were' if total != 1 else ' was'} imported from {sources} made outside "
                "qualkit; none was made where qualkit shows its keyword suggestions, so "
                "coders did not see them.")
    if shown == 0:
        return None
    where = ("in qualkit's tagging session or coding sheet, where keyword suggestions "
             "from its matcher were shown as proposals" if suggested else
             "in qualkit's tagging session or coding sheet; no keyword suggestions had "
             "been computed, so none were shown")
    took = (f" ({_n(accepted, 'decision')} accepted a suggestion)"
            if suggested and accepted else "")
    if not imported:
        return f"Coders made their decisions {where}{took}."
    rest = sum(imported.values())
    return (f"Of {_n(total, 'coding decision')}, {shown:,} {'was' if shown == 1 else 'were'} "
            f"made {where}{took}, and {rest:,} {'was' if rest == 1 else 'were'} imported "
            f"from {sources} made outside qualkit.")


def agreement_sentence(agreement: ProjectAgreement | None) -> str | None:
    if agreement is None:
        return None
    alphas = [c.alpha for c in agreement.codes if not math.isnan(c.alpha)]
    spread = (f" (per code {min(alphas):.2f} to {max(alphas):.2f})" if alphas else "")
    pooled = agreement.pooled.values
    kappa = ("Cohen's kappa" if len(agreement.coders) == 2 else "Fleiss' kappa",
             pooled.get("cohen_kappa", pooled["fleiss_kappa"]))
    return (f"Agreement was measured on the {_n(agreement.segments_compared, 'segment')} "
            "every coder reviewed, each code present or absent per segment: pooled "
            f"Krippendorff's alpha {_stat(pooled['krippendorff_alpha'])}{spread}, "
            f"{kappa[0]} {_stat(kappa[1])}, percent agreement "
            f"{100 * pooled['percent_agreement']:.1f}%.")


def consensus_sentence(main: CoderReport, sections: Sequence[CoderReport],
                       adjudicated: int) -> str | None:
    if main.coder == CONSENSUS:
        return ("Disagreements were discussed and settled into a consensus version"
                + (f" ({_n(adjudicated, 'segment')} adjudicated)" if adjudicated else "")
                + "; the tables report the consensus.")
    if len(sections) > 1:
        return "The tables report each coder's decisions separately."
    return None


def counts_sentence(sections: Sequence[CoderReport]) -> str:
    """How counting works, with each reported coder's total of passages."""
    totals = [(s.coder, sum(r.passages for r in s.theme.rows)) for s in sections]
    if len(totals) == 1:
        held = f"{_n(totals[0][1], 'passage')} in all"
    else:
        held = ", ".join(f"{coder} {n:,}" for coder, n in totals) + " passages"
    return (f"Tables count coded passages ({held}; a passage is a run of adjacent segments "
            "of one turn coded with the same code), participants and groups, from coders' "
            "decisions only; machine suggestions are not counted as coding.")


def quotes_sentence(main: CoderReport) -> str | None:
    quotes = [q for r in main.theme.rows for q in r.quotes]
    if not quotes:
        return None
    marked = any(q.marked for q in quotes)
    by_rule = any(not q.marked for q in quotes)
    if marked and by_rule:
        how = f"those the coders marked while coding, otherwise {QUOTE_RULE}"
    elif marked:
        how = "those the coders marked while coding"
    else:
        how = QUOTE_RULE
    return (f"Illustrative quotes are {how}; speakers are identified by pseudonym and group "
            "only.")


def methods_paragraph(codebook: Codebook, sections: Sequence[CoderReport],
                      agreement: ProjectAgreement | None, facts: Mapping[str, Any]) -> str:
    main = sections[0]
    parts = [
        corpus_sentence(facts, main),
        codebook_sentence(codebook),
        coders_sentence(list(facts["coders"])),
        suggestions_sentence(facts.get("origins", {}), bool(facts.get("suggested"))),
        agreement_sentence(agreement),
        consensus_sentence(main, sections, facts.get("adjudicated", 0)),
        counts_sentence(sections),
        quotes_sentence(main),
        f"Analysis with qualkit {__version__}.",
    ]
    return " ".join(p for p in parts if p)
