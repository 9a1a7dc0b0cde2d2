"""What a report says, computed once and handed to every renderer.

:func:`build_report` reads the store and runs the analysis; the renderers (HTML, Markdown,
CSV, XLSX, Word, LaTeX) only format what is here, so the formats cannot disagree and the
analysis is not repeated per format.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from qualkit.model import CONSENSUS, Codebook
from qualkit.report import tables as tb
from qualkit.report.analysis import coded_segments, coding_data, theme_table
from qualkit.report.methods import methods_paragraph
from qualkit.report.sections import CoderReport, Report
from qualkit.store import Store


@dataclass(frozen=True)
class Options:
    """What a report holds beyond the fixed tables (the CLI's --by, --compare, --matrix)."""

    by: Sequence[str] | None = None  # breakdowns (None: every attribute with few values)
    compare: Sequence[str] = ()  # attributes whose groups are compared
    measure: str = "counts"  # participant matrix: counts or presence


def _coder_report(store: Store, codebook: Codebook, coder: str,
                  options: Options) -> CoderReport:
    from qualkit.report import compare as cmp
    from qualkit.report import crosstab as ct
    from qualkit.report import mixed

    data = coding_data(store, coder, codebook)
    themes = theme_table(store, codebook, coder, data)
    names = {c.id: c.name for c in codebook.codes}
    tables: list[tb.Table] = [tb.theme(themes), tb.codebook(themes), tb.quotes(themes)]
    for attribute in ct.resolve_attributes(data, options.by):
        tables.append(tb.breakdown(ct.breakdown(data, codebook, attribute), attribute))
    for spec in options.compare:
        name, chosen = cmp.parse_spec(spec)
        attribute = ct.resolve_attributes(data, [name])[0]
        tables.append(cmp.table(cmp.compare(data, codebook, attribute, chosen)))
    by_transcript = ct.code_by_transcript(data, codebook)
    tables.append(tb.matrix(by_transcript.rename(index=names), "code_by_transcript",
                            "Codes × transcripts", "Code",  # noqa: RUF001
                            "Coded passages of each code in each transcript."))
    people = mixed.participant_matrix(data, codebook, options.measure)
    tables.append(mixed.matrix_table(people))
    for unit in ("segment", "turn"):
        grid = ct.cooccurrence(data, codebook, unit)
        tables.append(tb.matrix(grid.rename(index=names), f"cooccurrence_{unit}",
                                f"Code co-occurrence in the same {unit}", "Code",
                                f"{unit.capitalize()}s holding both codes; the diagonal "
                                f"counts {unit}s holding the code at all."))
    saturation = ct.saturation(data, codebook)
    tables.append(tb.saturation(saturation))
    return CoderReport(coder=coder, theme=themes, tables=tuple(tables), saturation=saturation,
                       tidy=coded_segments(data), adjudicated=data.adjudicated,
                       data=(mixed.data_dictionary(people, codebook),),
                       origins=dict(data.origins))


def build_report(store: Store, codebook: Codebook, coders: Sequence[str],
                 by: Sequence[str] | None = None, options: Options | None = None) -> Report:
    """The report of the given coders' decisions; agreement over every coder but
    ``consensus`` when two or more coded; breakdowns by ``by`` (default: every attribute
    with few values)."""
    from qualkit.agreement.project import agreement_summary

    options = options if options is not None else Options(by=by)
    sections = tuple(_coder_report(store, codebook, coder, options) for coder in coders)
    agreement = agreement_summary(store, codebook)
    counts = store.transcript_counts()
    independent = [c for c in store.coders() if c != CONSENSUS]
    facts = {
        "transcripts": len(counts),
        "segments": sum(c[3] for c in counts.values()),
        "turns": sum(c[2] for c in counts.values()),
        "unit": codebook.unit.value,
        "coders": independent,
        "consensus": CONSENSUS in coders,
        "adjudicated": next((s.adjudicated for s in sections if s.coder == CONSENSUS), 0),
        "origins": _origins(store, independent or list(coders), sections),
        "suggested": any(r.machine_suggested for s in sections for r in s.theme.rows),
    }
    return Report(codebook=codebook, coders=sections, agreement=agreement,
                  agreement_table=tb.agreement(agreement) if agreement else None,
                  methods=methods_paragraph(codebook, sections, agreement, facts),
                  facts=facts, generated=_generated())


def _origins(store: Store, coders: Sequence[str],
             sections: Sequence[CoderReport]) -> dict[str, int]:
    """How many of these coders' decisions were made where (by origin), summed."""
    known = {s.coder: s.origins for s in sections}
    total: dict[str, int] = {}
    for coder in coders:
        counts = known.get(coder)
        if counts is None:
            counts = {}
            for row in store.coding_log(coder):
                counts[row[4]] = counts.get(row[4], 0) + 1
        for origin, n in counts.items():
            total[origin] = total.get(origin, 0) + n
    return total


def _generated() -> str:
    """When the report was made; SOURCE_DATE_EPOCH (the reproducible-builds convention)
    fixes it, so a report regenerated from the same data can be byte-identical."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = (datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit()
              else datetime.now(UTC))
    return moment.strftime("%Y-%m-%d %H:%M UTC")
