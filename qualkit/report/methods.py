"""The methods paragraph: the facts of the analysis in prose an author can adapt.

Built only from what the project records (transcripts, participants, segments, coders, the
codebook's version, agreement), so it never claims a step that did not happen: no
agreement sentence without two coders, no consensus sentence without a consensus.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qualkit import __version__
from qualkit.model import CONSENSUS, Codebook
from qualkit.report.analysis import QUOTE_RULE

if TYPE_CHECKING:
    from qualkit.agreement.project import ProjectAgreement
    from qualkit.report.sections import CoderReport

NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _n(count: int, noun: str, plural: str | None = None) -> str:
    """'seven transcripts', 'one coder', '2,776 segments' (words up to ten, as journals
    ask)."""
    word = NUMBERS[count] if 0 <= count < len(NUMBERS) else f"{count:,}"
    return f"{word} {noun if count == 1 else (plural or noun + 's')}"


def _stat(value: float) -> str:
    return "undefined" if math.isnan(value) else f"{value:.2f}"


def methods_paragraph(codebook: Codebook, sections: Sequence[CoderReport],
                      agreement: ProjectAgreement | None, facts: Mapping[str, Any]) -> str:
    main = sections[0]
    table = main.theme
    themes = len(codebook.themes)
    unit = facts["unit"]
    parts = [
        f"The analysis covered {_n(facts['transcripts'], 'transcript')} with "
        f"{_n(table.participants, 'participant')} (moderators not counted), divided into "
        f"{_n(facts['segments'], unit + ' segment')} for coding.",
        f"Segments were coded deductively with the codebook “{codebook.name}” "
        f"(version {codebook.label}, content hash {codebook.version[:12]}) of "
        f"{_n(themes, 'theme')} and {_n(len(codebook.codes), 'code')}.",
    ]
    coders = list(facts["coders"])
    if len(coders) >= 2:
        # How independent the coders were is the author's to state: qualkit cannot know.
        parts.append(f"{_n(len(coders), 'coder').capitalize()} coded the transcripts, each "
                     "decision recorded separately.")
    elif len(coders) == 1:
        parts.append("One coder coded the transcripts.")
    if agreement is not None:
        alphas = [c.alpha for c in agreement.codes if not math.isnan(c.alpha)]
        spread = (f" (per code {min(alphas):.2f} to {max(alphas):.2f})" if alphas else "")
        pooled = agreement.pooled.values
        kappa = ("Cohen's kappa" if len(agreement.coders) == 2 else "Fleiss' kappa",
                 pooled.get("cohen_kappa", pooled["fleiss_kappa"]))
        parts.append(
            f"Agreement was measured on the {_n(agreement.segments_compared, 'segment')} "
            "every coder reviewed, each code present or absent per segment: pooled "
            f"Krippendorff's alpha {_stat(pooled['krippendorff_alpha'])}{spread}, "
            f"{kappa[0]} {_stat(kappa[1])}, percent agreement "
            f"{100 * pooled['percent_agreement']:.1f}%.")
    if main.coder == CONSENSUS:
        settled = facts.get("adjudicated", 0)
        parts.append("Disagreements were discussed and settled into a consensus version"
                     + (f" ({_n(settled, 'segment')} adjudicated)" if settled else "")
                     + "; the tables report the consensus.")
    elif len(sections) > 1:
        parts.append("The tables report each coder's decisions separately.")
    marked = any(q.marked for r in table.rows for q in r.quotes)
    rule = f"otherwise, {QUOTE_RULE}" if marked else f"chosen as {QUOTE_RULE}"
    parts.append(
        "Counts are coders' decisions only: keyword suggestions from qualkit's matcher were "
        "shown to coders as proposals and are not counted as coding. Illustrative quotes are "
        + ("those the coders marked while coding (" + rule + ")" if marked else rule)
        + "; speakers are identified by pseudonym and group only.")
    parts.append(f"Analysis with qualkit {__version__}.")
    return " ".join(parts)
