"""From people's decisions to the theme table of a paper.

Counts come only from coders' decisions (the consensus when there is one). Machine
suggestions are counted in their own column so a reader can see how much the machine
proposed, but they never add to a code's segments, participants or groups.

Everything is computed on whole tables (pandas) read from the store in bulk, never segment
by segment: a report over 100,000 coded segments must take seconds, and building a record
per segment and event costs more than the analysis itself. The coding log is folded here in
bulk with the same rules as :func:`qualkit.decisions.fold` (tested to agree with it),
and codes renamed in a later codebook version count under their current id, as everywhere else.

Counts are what authors count: coded passages (runs of adjacent segments of one turn with
the same code, as NVivo counts references), participants and groups; segments stay in the
tidy table. Illustrative quotes are chosen in :mod:`qualkit.report.quotes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qualkit.codebook.inductive import written_definition
from qualkit.model import (
    CONSENSUS,
    Codebook,
    CodingAction,
    NoteKind,
    Participant,
    Transcript,
    natural_key,
)
from qualkit.report.quotes import Quote, choose_quotes
from qualkit.store import Store
from qualkit.suggest.engine import is_moderator

if TYPE_CHECKING:
    import pandas as pd

MODERATOR = "moderator"

SEGMENT_COLUMNS = ["segment_id", "transcript_id", "turn", "position", "start", "end",
                   "speaker"]
TIDY_COLUMNS = ["coder", "segment_id", "transcript", "group", "speaker", "role", "position",
                "start", "end", "code_id", "text"]


@dataclass(frozen=True)
class ThemeRow:
    theme: str
    code_id: str
    code: str
    definition: str
    passages: int
    segments: int
    participants: int
    participant_share: float
    groups: int
    quote: str
    quote_source: str
    machine_suggested: int
    quotes: tuple[Quote, ...] = ()


@dataclass(frozen=True)
class ThemeTable:
    coder: str
    codebook_name: str
    codebook_version: str
    transcripts: int
    participants: int
    segments_reviewed: int
    rows: tuple[ThemeRow, ...]
    segments_coded: int = 0


@dataclass(frozen=True)
class CodingData:
    """One coder's current decisions as tables, with what is needed to describe them.

    ``reviewed``: one row per segment the coder reviewed, in reading order (transcript name,
    position), with ``segment_id, transcript_id, turn, position, start, end, speaker,
    transcript, group, role, moderator, first_seq`` (``first_seq``: when the coder first
    decided on it, for the coding order). ``applied``: one row per (segment, code) applied,
    in reading order, with the same columns plus ``code_id`` and ``passage`` (see
    :func:`passage_ids`).
    """

    coder: str
    reviewed: pd.DataFrame
    applied: pd.DataFrame
    transcripts: Mapping[int, Transcript]
    roster: Mapping[str, Participant]
    marked: frozenset[int]
    adjudicated: int
    origins: Mapping[str, int] = field(default_factory=dict)  # decisions by origin

    def texts(self, frame: pd.DataFrame) -> list[str]:
        """The text of each row's segment, sliced from its transcript."""
        texts = {tid: t.text for tid, t in self.transcripts.items()}
        return [texts[tid][start:end] for tid, start, end in
                zip(frame["transcript_id"], frame["start"], frame["end"], strict=True)]

    @property
    def participants(self) -> list[str]:
        """Non-moderator speakers of the reviewed segments, sorted."""
        spoken = self.reviewed.loc[~self.reviewed["moderator"], "speaker"]
        return sorted(spoken.unique(), key=natural_key)

    def transcript_order(self) -> list[str]:
        """Transcript names in the order the coder coded them (their first decision)."""
        first = self.reviewed.groupby("transcript", sort=False)["first_seq"].min()
        return list(first.sort_values(kind="stable").index)


def report_coders(store: Store) -> list[str]:
    """Whose decisions a report shows: the consensus if there is one, else every coder."""
    coders = store.coders()
    return [CONSENSUS] if CONSENSUS in coders else coders


def fold_log(log: pd.DataFrame) -> pd.DataFrame:
    """The codes currently applied, per segment, from a log of (seq, segment_id, action,
    code_id) rows in seq order: the rules of :func:`qualkit.decisions.fold`, on whole
    columns.

    After a segment's last ``reviewed_none`` only later events count; of those, each code's
    last ``apply`` or ``remove`` decides whether it is applied."""
    cleared = log.loc[log["action"] == CodingAction.REVIEWED_NONE.value]
    last_clear = cleared.groupby("segment_id")["seq"].max()
    changes = log.loc[(log["action"] != CodingAction.REVIEWED_NONE.value)
                      & log["code_id"].notna()]
    after = changes["seq"].to_numpy() > changes["segment_id"].map(last_clear).fillna(-1
                                                                                    ).to_numpy()
    changes = changes.loc[after].drop_duplicates(["segment_id", "code_id"], keep="last")
    applied = changes.loc[changes["action"] == CodingAction.APPLY.value,
                          ["segment_id", "code_id"]]
    return applied.reset_index(drop=True)


def _rename_mapping(store: Store, coder: str, codebook: Codebook | None) -> dict[str, str]:
    if codebook is None:
        return {}
    from qualkit.codebook.load import from_content
    from qualkit.codebook.versions import code_id_mapping

    books = [from_content(content) for v in sorted(store.coding_versions(coder))
             if (content := store.codebook_content(v)) is not None]
    return code_id_mapping(books, codebook)


def coding_data(store: Store, coder: str, codebook: Codebook | None = None) -> CodingData:
    """Read one coder's decisions in bulk and fold them into tables (see :class:`CodingData`).
    With ``codebook``, codings of renamed codes count under the codebook's ids."""
    import pandas as pd

    transcripts = {t.id: t for t in store.transcripts()}
    roster = store.participants()
    log = pd.DataFrame.from_records(store.coding_log(coder),
                                    columns=["seq", "segment_id", "action", "code_id", "origin"])
    first_seq = log.groupby("segment_id")["seq"].min()
    adjudicated = int(log.loc[log["origin"].str.startswith("adjudication"),
                              "segment_id"].nunique())
    applied = fold_log(log)
    mapping = _rename_mapping(store, coder, codebook)
    if mapping:
        applied["code_id"] = applied["code_id"].replace(mapping)
        applied = applied.drop_duplicates(["segment_id", "code_id"])

    segments = pd.DataFrame.from_records(store.segment_rows(), columns=SEGMENT_COLUMNS)
    reviewed = segments.loc[segments["segment_id"].isin(first_seq.index)].copy()
    reviewed["first_seq"] = reviewed["segment_id"].map(first_seq)
    names = {tid: t.name for tid, t in transcripts.items()}
    groups = {tid: t.attributes.get("group") or t.name for tid, t in transcripts.items()}
    reviewed["transcript"] = reviewed["transcript_id"].map(names)
    reviewed["group"] = reviewed["transcript_id"].map(groups)
    roles = {s: _role(s, roster) for s in reviewed["speaker"].unique()}
    reviewed["role"] = reviewed["speaker"].map(roles).fillna("")
    reviewed["moderator"] = reviewed["role"] == MODERATOR
    rank = {name: i for i, name in enumerate(sorted(names.values(), key=natural_key))}

    def natural(column: pd.Series) -> pd.Series:
        return column.map(rank) if column.name == "transcript" else column

    reviewed = reviewed.sort_values(["transcript", "position"], kind="stable", key=natural
                                    ).reset_index(drop=True)
    applied = reviewed.merge(applied, on="segment_id", how="inner", sort=False)
    applied = applied.sort_values(["transcript", "position", "code_id"], kind="stable",
                                  key=natural).reset_index(drop=True)
    applied["passage"] = passage_ids(applied)
    for name in ("code_id", "speaker", "transcript", "group", "role"):
        # Grouping by categories groups small integers instead of hashing strings.
        applied[name] = applied[name].astype("category")
    marked = frozenset(seg for (_, seg) in store.notes(NoteKind.QUOTE, coder))
    origins = {str(k): int(v) for k, v in log["origin"].value_counts().items()}
    return CodingData(coder=coder, reviewed=reviewed, applied=applied,
                      transcripts=transcripts, roster=roster, marked=marked,
                      adjudicated=adjudicated, origins=origins)


def passage_ids(applied: pd.DataFrame) -> pd.Series:
    """A number per coded passage: a run of segments with the same code, adjacent in one
    turn of one transcript (one coder's, as ``applied`` is). A chunk coded in one go and
    split into sentences counts once, as NVivo counts a reference."""
    frame = applied[["code_id", "transcript_id", "turn", "position"]].sort_values(
        ["code_id", "transcript_id", "turn", "position"], kind="stable")
    previous = frame.shift()
    new = ((frame["code_id"] != previous["code_id"])
           | (frame["transcript_id"] != previous["transcript_id"])
           | (frame["turn"] != previous["turn"])
           | (frame["position"] != previous["position"] + 1))
    return new.cumsum().reindex(applied.index).astype("int64")


def _role(speaker: str, roster: Mapping[str, Participant]) -> str:
    if is_moderator(speaker, dict(roster)):
        return MODERATOR
    person = roster.get(speaker)
    return person.role if person else ""


def coded_segments(data: CodingData) -> pd.DataFrame:
    """The tidy table: one row per (segment, code) the coder applied, with its context."""
    frame = data.applied.copy()
    frame["coder"] = data.coder
    frame["text"] = data.texts(frame)
    return frame[TIDY_COLUMNS]


def theme_table(store: Store, codebook: Codebook, coder: str,
                data: CodingData | None = None) -> ThemeTable:
    """The theme table of one coder (``data`` when already read, else read now)."""
    data = data if data is not None else coding_data(store, coder, codebook)
    applied, reviewed = data.applied, data.reviewed
    spoken = applied.loc[~applied["moderator"]]
    speakers = len(data.participants)
    segments = applied.groupby("code_id", observed=True)["segment_id"].nunique()
    passages = applied.groupby("code_id", observed=True)["passage"].nunique()
    people = spoken.groupby("code_id")["speaker"].nunique()
    groups = applied.groupby("code_id")["group"].nunique()
    # One read of the suggestions: the counts, and the scores quotes are ranked by.
    pairs: dict[int, set[str]] = {}
    for seg, code in zip(spoken["segment_id"].tolist(), spoken["code_id"].astype(str),
                         strict=True):
        pairs.setdefault(seg, set()).add(code)
    suggested, scores = store.suggestion_scores(codebook.version, pairs)
    quotes = choose_quotes(applied, data.marked, data.texts, [c.id for c in codebook.codes],
                           scores)
    rows = []
    for theme in codebook.themes:
        for code in theme.codes:
            mine = quotes.get(code.id, ())
            n_people = int(people.get(code.id, 0))
            rows.append(ThemeRow(
                theme=theme.name, code_id=code.id, code=code.name,
                definition=written_definition(code.definition),  # not who added it
                passages=int(passages.get(code.id, 0)),
                segments=int(segments.get(code.id, 0)), participants=n_people,
                participant_share=n_people / speakers if speakers else 0.0,
                groups=int(groups.get(code.id, 0)),
                quote=mine[0].text if mine else "", quote_source=mine[0].source if mine else "",
                machine_suggested=suggested.get(code.id, 0), quotes=mine))
    return ThemeTable(coder=data.coder, codebook_name=codebook.name,
                      codebook_version=codebook.version,
                      transcripts=int(reviewed["transcript_id"].nunique()),
                      participants=speakers, segments_reviewed=len(reviewed),
                      rows=tuple(rows), segments_coded=int(applied["segment_id"].nunique()))
