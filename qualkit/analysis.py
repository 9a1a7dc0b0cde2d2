"""From people's decisions to the theme table of a paper.

Counts come only from coders' decisions (the consensus when there is one). Machine
suggestions are counted in their own column so a reader can see how much the machine
proposed, but they never add to a code's segments, participants or groups.

Illustrative quote rule (stated in every report): the first coded segment in reading order
(transcript name, then position) spoken by a participant, not a moderator, with 12 to 60
words; failing that, the longest coded participant segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualkit.model import CONSENSUS, Codebook, Participant
from qualkit.store import Store
from qualkit.suggest import is_moderator

if TYPE_CHECKING:
    import pandas as pd

QUOTE_RULE = ("the first coded participant segment in reading order with 12 to 60 words, "
              "or else the longest")
QUOTE_WORDS = (12, 60)
MODERATOR = "moderator"


@dataclass(frozen=True)
class ThemeRow:
    theme: str
    code_id: str
    code: str
    definition: str
    segments: int
    participants: int
    participant_share: float
    groups: int
    quote: str
    quote_source: str
    machine_suggested: int


@dataclass(frozen=True)
class ThemeTable:
    coder: str
    codebook_name: str
    codebook_version: str
    transcripts: int
    participants: int
    segments_reviewed: int
    rows: tuple[ThemeRow, ...]


def report_coders(store: Store) -> list[str]:
    """Whose decisions a report shows: the consensus if there is one, else every coder."""
    coders = store.coders()
    return [CONSENSUS] if CONSENSUS in coders else coders


def coded_segments(store: Store, coder: str) -> pd.DataFrame:
    """The tidy table: one row per (segment, code) a coder applied, with its context."""
    import pandas as pd

    transcripts = {t.id: t for t in store.transcripts()}
    roster = store.participants()
    codings = store.codings(coder)
    rows = []
    for seg in store.segments():
        coding = codings.get(seg.id)
        if coding is None:
            continue
        transcript = transcripts[seg.transcript_id]
        group = transcript.attributes.get("group", transcript.name)
        for code_id in sorted(coding.codes):
            rows.append({"coder": coder, "segment_id": seg.id, "transcript": transcript.name,
                         "group": group, "speaker": seg.speaker,
                         "role": _role(seg.speaker, roster), "position": seg.index,
                         "start": seg.start, "end": seg.end, "code_id": code_id,
                         "text": seg.text})
    columns = ["coder", "segment_id", "transcript", "group", "speaker", "role", "position",
               "start", "end", "code_id", "text"]
    return pd.DataFrame(rows, columns=columns)


def _role(speaker: str, roster: dict[str, Participant]) -> str:
    if is_moderator(speaker, roster):
        return MODERATOR
    person = roster.get(speaker)
    return person.role if person else ""


def _quote(spoken: pd.DataFrame) -> tuple[str, str]:
    if spoken.empty:
        return "", ""
    spoken = spoken.sort_values(["transcript", "position"])
    words = spoken["text"].str.split().str.len()
    fitting = spoken[(words >= QUOTE_WORDS[0]) & (words <= QUOTE_WORDS[1])]
    pick = fitting.iloc[0] if not fitting.empty else spoken.loc[words.idxmax()]
    return str(pick["text"]), f"{pick['speaker']}, {pick['group']}"


def theme_table(store: Store, codebook: Codebook, coder: str) -> ThemeTable:
    roster = store.participants()
    coded = coded_segments(store, coder)
    codings = store.codings(coder)
    reviewed_ids = set(codings)
    reviewed_segments = [s for s in store.segments() if s.id in reviewed_ids]
    speakers = {s.speaker for s in reviewed_segments if not is_moderator(s.speaker, roster)}
    suggested = {}
    for suggestion in store.suggestions(codebook.version):
        suggested[suggestion.code_id] = suggested.get(suggestion.code_id, 0) + 1
    rows = []
    for theme in codebook.themes:
        for code in theme.codes:
            mine = coded[coded["code_id"] == code.id]
            spoken = mine[mine["role"] != MODERATOR]
            people = spoken["speaker"]
            quote, source = _quote(spoken)
            rows.append(ThemeRow(
                theme=theme.name, code_id=code.id, code=code.name, definition=code.definition,
                segments=int(mine["segment_id"].nunique()), participants=int(people.nunique()),
                participant_share=(people.nunique() / len(speakers)) if speakers else 0.0,
                groups=int(mine["group"].nunique()), quote=quote, quote_source=source,
                machine_suggested=suggested.get(code.id, 0)))
    return ThemeTable(coder=coder, codebook_name=codebook.name,
                      codebook_version=codebook.version,
                      transcripts=len({s.transcript_id for s in reviewed_segments}),
                      participants=len(speakers), segments_reviewed=len(reviewed_segments),
                      rows=tuple(rows))
