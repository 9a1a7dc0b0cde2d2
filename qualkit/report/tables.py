"""The report's tables in one format-neutral shape, so every renderer shows the same thing.

A :class:`Table` holds raw values (numbers stay numbers) and says what kind each column is;
each renderer formats and escapes for itself: a share is ``0.42`` in CSV and XLSX (with a
percent format) and ``42%`` on the page. Columns marked ``data_only`` (ids, long text) go
to CSV and XLSX but not onto the printed page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from qualkit.report.analysis import ThemeTable
    from qualkit.report.crosstab import Attribute

TEXT, INT, SHARE, STAT = "text", "int", "share", "stat"
LONG = 60  # characters: a text column with longer cells is given room to wrap


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = TEXT
    data_only: bool = False


@dataclass(frozen=True)
class Table:
    """One table of the report; ``name`` is its file stem (CSV) and sheet name (XLSX)."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: Sequence[Sequence[Any]]
    note: str = ""
    matrix: bool = False  # a grid of counts, which may be too wide to print
    wide: Table | None = None  # the form printed on a page, when it differs (a breakdown)

    @property
    def printed(self) -> tuple[int, ...]:
        """Indexes of the columns shown on a page."""
        return tuple(i for i, c in enumerate(self.columns) if not c.data_only)

    def fits(self, max_columns: int) -> bool:
        return len(self.printed) <= max_columns


def show(value: Any, kind: str) -> str:
    """A value as printed on a page (HTML, Markdown, Word, LaTeX), before escaping."""
    if value is None:
        return ""
    if kind == SHARE:
        return f"{100 * value:.0f}%"
    if kind == STAT:
        return "—" if isinstance(value, float) and math.isnan(value) else f"{value:.3f}"
    return str(value)


@dataclass(frozen=True)
class Page:
    """A table as printed: header labels, cell text (not yet escaped), numeric columns."""

    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    long: list[bool]  # text columns with long cells (definitions, quotes)


def page(table: Table, max_columns: int) -> Page | None:
    """The printed form of a table, or None when it has more columns than fit a page (the
    note then points to the CSV and XLSX files, which always hold it)."""
    if table.wide is not None:
        table = table.wide
    if not table.fits(max_columns):
        return None
    keep = table.printed
    kinds = [table.columns[i].kind for i in keep]
    rows = [[show(row[i], k) for i, k in zip(keep, kinds, strict=True)] for row in table.rows]
    return Page(headers=[table.columns[i].label for i in keep], rows=rows,
                numeric=[k != TEXT for k in kinds],
                long=[k == TEXT and any(len(r[j]) > LONG for r in rows)
                      for j, k in enumerate(kinds)])


TOO_WIDE = ("Too wide to print ({columns} columns): see {name}.csv or the sheet "
            "“{name}” of report.xlsx.")


def theme(table: ThemeTable) -> Table:
    """Table 2 of a paper. Definitions have a table of their own (:func:`codebook`), so
    this one fits a page and a 1,280-pixel screen."""
    columns = (
        Column("theme", "Theme"), Column("code_id", "Code id", data_only=True),
        Column("code", "Code"), Column("passages", "Passages", INT),
        Column("segments", "Segments", INT, data_only=True),
        Column("participants", "Participants", INT),
        Column("participant_share", "Share of participants", SHARE),
        Column("groups", "Groups", INT), Column("quote", "Illustrative quote"),
        Column("quote_source", "Source"),
        Column("quote_chosen", "Quote chosen", data_only=True),
        Column("machine_suggested", "Machine-suggested segments (not coding)", INT),
    )
    rows = [(r.theme, r.code_id, r.code, r.passages, r.segments, r.participants,
             r.participant_share, r.groups, r.quote, r.quote_source,
             r.quotes[0].rule if r.quotes else "", r.machine_suggested) for r in table.rows]
    return Table("theme_table", "Theme table", columns, rows,
                 note="Passages: runs of adjacent sentences of one turn coded with the code "
                      "(segments are in coded_segments.csv). Participants: speakers other "
                      "than moderators. Groups: transcripts, or the group attribute.")


def codebook(table: ThemeTable) -> Table:
    columns = (Column("theme", "Theme"), Column("code_id", "Code id", data_only=True),
               Column("code", "Code"), Column("definition", "Definition"))
    rows = [(r.theme, r.code_id, r.code, r.definition) for r in table.rows]
    return Table("codebook", "Codebook", columns, rows)


def quotes(table: ThemeTable) -> Table:
    columns = (Column("theme", "Theme"), Column("code_id", "Code id", data_only=True),
               Column("code", "Code"), Column("quote", "Quote"),
               Column("source", "Source"), Column("segment_id", "Segment", INT, True),
               Column("chosen", "Chosen"))
    rows = [(r.theme, r.code_id, r.code, q.text, q.source, q.segment_id, q.rule)
            for r in table.rows for q in r.quotes]
    return Table("quotes", "Illustrative quotes", columns, rows)


def breakdown(frame: pd.DataFrame, attribute: Attribute) -> Table:
    """Long form (one row per code and value) for CSV and XLSX; printed as codes by values,
    each cell "participants with the code (share of the value's participants)"."""
    columns = (Column("theme", "Theme"), Column("code_id", "Code id", data_only=True),
               Column("code", "Code"), Column("value", attribute.name),
               Column("group_participants", "Participants in group", INT),
               Column("passages", "Passages", INT),
               Column("segments", "Segments", INT),
               Column("participants", "Participants with code", INT),
               Column("share", "Share of group", SHARE))
    title = f"Codes by {attribute.owner} attribute “{attribute.name}”"
    note = (f"Per value of {attribute.name}: participants with the code (and their share of "
            "the value's participants who spoke in reviewed segments).")
    return Table(f"by_{attribute.name}", title, columns,
                 list(frame.itertuples(index=False, name=None)), note=note,
                 wide=_breakdown_wide(frame, attribute, title, note))


def _breakdown_wide(frame: pd.DataFrame, attribute: Attribute, title: str,
                    note: str) -> Table:
    values = list(dict.fromkeys(frame["value"]))
    sizes = dict(zip(frame["value"], frame["group_participants"], strict=True))
    columns = (Column("theme", "Theme"), Column("code", "Code"),
               *(Column(f"value:{v}", f"{v} (n = {sizes[v]})", INT) for v in values))
    cells: dict[str, dict[str, str]] = {}
    names: dict[str, tuple[str, str]] = {}
    for row in frame.itertuples(index=False):
        names[row.code_id] = (row.theme, row.code)
        cells.setdefault(row.code_id, {})[row.value] = \
            f"{row.participants} ({100 * row.share:.0f}%)"
    rows = [(*names[code], *(by_value.get(v, "") for v in values))
            for code, by_value in cells.items()]
    return Table(f"by_{attribute.name}", title, columns, rows, note=note, matrix=True)


def matrix(frame: pd.DataFrame, name: str, title: str, row_label: str, note: str,
           labels: dict[str, str] | None = None) -> Table:
    """A grid of counts: the row label, then one integer column per frame column."""
    columns = (Column(row_label.lower(), row_label),
               *(Column(str(c), (labels or {}).get(str(c), str(c)), INT)
                 for c in frame.columns))
    rows = [(str(index), *(int(v) for v in values))
            for index, values in zip(frame.index, frame.to_numpy(), strict=True)]
    return Table(name, title, columns, rows, note=note, matrix=True)


def saturation(frame: pd.DataFrame) -> Table:
    columns = (Column("order", "Order", INT), Column("transcript", "Transcript"),
               Column("codes", "Codes used", INT), Column("new_codes", "New codes", INT),
               Column("cumulative", "Cumulative codes", INT), Column("new", "New codes (names)"))
    return Table("saturation", "Saturation: new codes per transcript, in coding order",
                 columns, list(frame.itertuples(index=False, name=None)),
                 note="Transcripts in the order the coder first recorded a decision in them.")


def agreement(summary: Any) -> Table:
    """Per code and pooled: the coefficients the report shows (``qualkit agree`` has all)."""
    two = len(summary.coders) == 2
    kappa = "cohen_kappa" if two else "fleiss_kappa"
    columns = (Column("code_id", "Code id", data_only=True), Column("code", "Code"),
               Column("percent_agreement", "Percent agreement", STAT),
               Column("positive_agreement", "Positive agreement", STAT),
               Column(kappa, "Cohen's kappa" if two else "Fleiss' kappa", STAT),
               Column("krippendorff_alpha", "Krippendorff's alpha", STAT),
               Column("gwet_ac1", "Gwet's AC1", STAT))
    rows = [(row.code_id, row.name, *(row.values[c.key] for c in columns[2:]))
            for row in (*summary.codes, summary.pooled)]
    return Table("agreement", "Inter-coder agreement", columns, rows,
                 note="Krippendorff's alpha is nominal; — marks a value that is undefined (no "
                      "variation: nobody, or everybody, applied the code). `qualkit agree` "
                      "gives every coefficient, bootstrap intervals and the disagreements.")
