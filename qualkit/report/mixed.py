"""Mixed methods: one row per participant, ready to join to survey scales by pseudonym.

The participant-by-code matrix carries every participant attribute as a column, then one
column per code: coded passages the participant spoke (``counts``) or 1/0 for any at all
(``presence``). The data dictionary describes each column (what it holds, its type, its
values), the file a statistician reads before running a regression on the matrix.
Moderators are not participants and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualkit.report import tables as tb

if TYPE_CHECKING:
    import pandas as pd

    from qualkit.model import Codebook
    from qualkit.report.analysis import CodingData

COUNTS, PRESENCE = "counts", "presence"
MEASURES = (COUNTS, PRESENCE)
MAX_LISTED = 12  # attribute values listed in the dictionary; more are summarised


@dataclass(frozen=True)
class ParticipantMatrix:
    frame: pd.DataFrame  # participant, attributes..., codes...
    attributes: tuple[str, ...]
    codes: tuple[str, ...]
    measure: str


def participant_matrix(data: CodingData, codebook: Codebook,
                       measure: str = COUNTS) -> ParticipantMatrix:
    import pandas as pd

    people = data.participants
    names: list[str] = []
    for name in people:
        person = data.roster.get(name)
        for key in (person.attributes if person else {}):
            if key not in names:
                names.append(key)
    spoken = data.applied.loc[~data.applied["moderator"]]
    counts = (spoken.groupby(["speaker", "code_id"], observed=True)["passage"].nunique()
              .unstack(fill_value=0))
    known = [c.id for c in codebook.codes]
    codes = known + sorted(set(map(str, counts.columns)) - set(known))
    counts.columns = [str(c) for c in counts.columns]
    counts.index = [str(i) for i in counts.index]
    counts = counts.reindex(index=people, columns=codes, fill_value=0).astype("int64")
    if measure == PRESENCE:
        counts = (counts > 0).astype("int64")
    frame = pd.DataFrame({"participant": people})
    for key in names:
        frame[key] = [(data.roster[p].attributes.get(key, "") if p in data.roster else "")
                      for p in people]
    frame = pd.concat([frame, counts.reset_index(drop=True)], axis=1)
    return ParticipantMatrix(frame, tuple(names), tuple(codes), measure)


def matrix_table(matrix: ParticipantMatrix) -> tb.Table:
    columns = (tb.Column("participant", "Participant"),
               *(tb.Column(a, a) for a in matrix.attributes),
               *(tb.Column(c, c, tb.INT) for c in matrix.codes))
    what = ("coded passages the participant spoke" if matrix.measure == COUNTS
            else "1 if the participant spoke a passage coded with it, else 0")
    return tb.Table("participant_by_code", "Participants × codes", columns,  # noqa: RUF001
                    list(matrix.frame.itertuples(index=False, name=None)),
                    note=f"One row per participant (moderators left out), with their "
                         f"attributes; per code, {what}. data_dictionary.csv describes "
                         "each column.", matrix=True)


def data_dictionary(matrix: ParticipantMatrix, codebook: Codebook) -> tb.Table:
    """One row per column of the participant matrix: name, type, what it holds, values."""
    codes = {c.id: c for c in codebook.codes}
    themes = {c.id: t.name for t in codebook.themes for c in t.codes}
    frame = matrix.frame
    rows: list[tuple[str, str, str, str]] = [
        ("participant", "identifier", "Pseudonym of the speaker, as in the transcripts "
         "(join survey data on it).", f"{len(frame)} participants")]
    for name in matrix.attributes:
        values = sorted({str(v) for v in frame[name] if str(v)})
        listed = ("; ".join(values) if len(values) <= MAX_LISTED
                  else f"{len(values)} distinct values")
        empty = int((frame[name].astype(str) == "").sum())
        rows.append((name, "attribute", "Participant attribute from the roster"
                     + (f"; empty for {empty}" if empty else "") + ".", listed))
    kind = "count" if matrix.measure == COUNTS else "binary"
    for code in matrix.codes:
        found = codes.get(code)
        label = (f"Code “{found.name}” (theme “{themes[code]}”): {found.definition}"
                 if found else f"Code {code} (not in the current codebook)")
        measure = ("Number of coded passages the participant spoke." if kind == "count"
                   else "1: at least one coded passage; 0: none.")
        top = int(frame[code].max()) if len(frame) else 0
        rows.append((code, kind, f"{label.rstrip()} {measure}",
                     f"0 to {top}" if kind == "count" else "0; 1"))
    columns = (tb.Column("column", "Column"), tb.Column("type", "Type"),
               tb.Column("description", "Description"), tb.Column("values", "Values"))
    return tb.Table("data_dictionary", "Data dictionary of participant_by_code", columns,
                    rows, note="The columns of participant_by_code.csv (and its sheet).")
