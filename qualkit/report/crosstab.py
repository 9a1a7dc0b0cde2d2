"""Cross-tabulations of one coder's decisions: breakdowns by attribute, matrices,
co-occurrence and saturation.

Pure functions from :class:`qualkit.report.analysis.CodingData` to pandas tables, with codes in
codebook order and counts from people's decisions only. Moderators are not participants:
they are left out of participant counts and of the participant matrix, but their coded
segments still count as segments of a code (as in the theme table).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualkit.errors import QualkitError, did_you_mean
from qualkit.model import Codebook

if TYPE_CHECKING:
    import pandas as pd

    from qualkit.report.analysis import CodingData

NOT_RECORDED = "(not recorded)"
MAX_DEFAULT_VALUES = 12
"""An attribute with more distinct values is not broken down unless asked for (--by):
it is more likely an identifier or free text than a grouping."""


@dataclass(frozen=True)
class Attribute:
    """An attribute to break down by, and whose it is (``participant`` or ``transcript``)."""

    name: str
    owner: str


def attributes(data: CodingData) -> list[Attribute]:
    """Every attribute a breakdown can use: the roster's, then transcripts' (not ``group``,
    which the code-by-transcript matrix already shows)."""
    seen: dict[str, Attribute] = {}
    for person in data.roster.values():
        for key in person.attributes:
            if key != "group":
                seen.setdefault(key, Attribute(key, "participant"))
    for transcript in data.transcripts.values():
        for key in transcript.attributes:
            if key != "group":
                seen.setdefault(key, Attribute(key, "transcript"))
    return list(seen.values())


def resolve_attributes(data: CodingData, names: Sequence[str] | None) -> list[Attribute]:
    """The attributes named with ``--by`` (an error names the ones that exist), or by
    default every attribute with at most :data:`MAX_DEFAULT_VALUES` values among the
    participants who spoke."""
    known = {a.name: a for a in attributes(data)}
    if names:
        chosen = []
        for name in names:
            if name not in known:
                listing = ", ".join(known) or "none"
                hint = did_you_mean(name, list(known))
                raise QualkitError(f"no participant or transcript attribute {name!r}"
                                   f"{hint or f'; attributes: {listing}'}")
            chosen.append(known[name])
        return chosen
    return [a for a in known.values()
            if _values(data, a).nunique() <= MAX_DEFAULT_VALUES]


def _values(data: CodingData, attribute: Attribute) -> pd.Series:
    """The attribute's value for each reviewed participant segment (index as ``reviewed``)."""
    spoken = data.reviewed.loc[~data.reviewed["moderator"]]
    if attribute.owner == "participant":
        lookup = {name: p.attributes.get(attribute.name, "") for name, p in data.roster.items()}
        values = spoken["speaker"].map(lookup)
    else:
        lookup = {tid: t.attributes.get(attribute.name, "")
                  for tid, t in data.transcripts.items()}
        values = spoken["transcript_id"].map(lookup)
    return values.fillna("").replace("", NOT_RECORDED).astype(str)


def breakdown(data: CodingData, codebook: Codebook, attribute: Attribute) -> pd.DataFrame:
    """Per code and attribute value: passages, segments, participants with the code,
    participants with that value who spoke, and the share of them who had the code.

    A participant counts in the group of their own attribute value (a transcript attribute:
    the value of the transcript they spoke in)."""
    import pandas as pd

    spoken = data.reviewed.loc[~data.reviewed["moderator"], ["segment_id", "speaker"]].copy()
    spoken["value"] = _values(data, attribute)
    people = spoken.drop_duplicates(["speaker", "value"]).groupby("value")["speaker"].size()
    coded = data.applied.loc[~data.applied["moderator"],
                             ["segment_id", "code_id", "speaker", "passage"]]
    coded = coded.merge(spoken[["segment_id", "value"]], on="segment_id")
    grouped = coded.groupby(["code_id", "value"], observed=True)
    segments = grouped["segment_id"].nunique()
    passages = grouped["passage"].nunique()
    speakers = grouped["speaker"].nunique()
    values = sorted(people.index, key=_natural)
    rows = []
    for theme in codebook.themes:
        for code in theme.codes:
            for value in values:
                n = int(speakers.get((code.id, value), 0))
                rows.append({"theme": theme.name, "code_id": code.id, "code": code.name,
                             "value": value, "group_participants": int(people[value]),
                             "passages": int(passages.get((code.id, value), 0)),
                             "segments": int(segments.get((code.id, value), 0)),
                             "participants": n, "share": n / int(people[value])})
    return pd.DataFrame(rows, columns=["theme", "code_id", "code", "value",
                                       "group_participants", "passages", "segments",
                                       "participants", "share"])


def _natural(value: str) -> tuple[int, float, str]:
    """Numbers in numeric order, then text; "not recorded" last."""
    if value == NOT_RECORDED:
        return (2, 0.0, value)
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def _codes(codebook: Codebook, data: CodingData) -> list[str]:
    """Codebook codes in order, then any other code the coder applied (an older version's)."""
    ids = [c.id for c in codebook.codes]
    extra = sorted(set(data.applied["code_id"].unique()) - set(ids))
    return ids + extra


def code_by_transcript(data: CodingData, codebook: Codebook) -> pd.DataFrame:
    """Coded passages of each code (rows) in each transcript (columns, reading order)."""
    order = list(dict.fromkeys(data.reviewed["transcript"]))
    counts = (data.applied.groupby(["code_id", "transcript"], sort=False, observed=True)
              ["passage"].nunique().unstack(fill_value=0))
    return counts.reindex(index=_codes(codebook, data), columns=order, fill_value=0)


def cooccurrence(data: CodingData, codebook: Codebook, unit: str = "segment") -> pd.DataFrame:
    """How many segments (``unit="segment"``) or turns (``"turn"``) hold both codes; the
    diagonal is how many hold the code at all."""
    import numpy as np
    import pandas as pd

    codes = _codes(codebook, data)
    applied = data.applied
    keys = ["segment_id"] if unit == "segment" else ["transcript_id", "turn"]
    units = applied.groupby(keys, sort=False).ngroup().to_numpy()
    index = pd.Index(codes).get_indexer(applied["code_id"])
    incidence = np.zeros((int(units.max()) + 1 if len(units) else 0, len(codes)),
                         dtype=np.float32)
    incidence[units, index] = 1.0
    both = (incidence.T @ incidence).round().astype(np.int64)
    return pd.DataFrame(both, index=codes, columns=codes)


def saturation(data: CodingData, codebook: Codebook) -> pd.DataFrame:
    """Per transcript in coding order: codes used in it, codes used for the first time,
    and the cumulative number of distinct codes (the saturation curve)."""
    import pandas as pd

    names = {c.id: c.name for c in codebook.codes}
    pairs = data.applied[["transcript", "code_id"]].drop_duplicates()
    used: dict[str, set[str]] = {}
    for transcript, code in pairs.itertuples(index=False):
        used.setdefault(transcript, set()).add(code)
    order = _codes(codebook, data)
    seen: set[str] = set()
    rows = []
    for i, transcript in enumerate(data.transcript_order(), start=1):
        codes = set(used.get(transcript, ()))
        new = [c for c in order if c in codes - seen]
        seen |= codes
        rows.append({"order": i, "transcript": transcript, "codes": len(codes),
                     "new_codes": len(new), "cumulative": len(seen),
                     "new": ", ".join(names.get(c, c) for c in new)})
    return pd.DataFrame(rows, columns=["order", "transcript", "codes", "new_codes",
                                       "cumulative", "new"])
