"""Deductive suggestions: the codebook's keywords found in segments, with the evidence.

Keywords are matched on case-insensitive lemmas (``explained`` finds ``explain``), phrases
as lemma sequences, so a keyword list stays short and readable. A suggestion is only ever a
proposal: it is stored apart from coding and counted apart in every report.

Scores say how much evidence there is, not how likely the code is: one distinct keyword
gives 0.5, two 0.75, three 0.875 (1 - 0.5^n). Re-running is idempotent: only segments not
yet processed under the active codebook version are read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualkit.model import Codebook, Evidence, MatchKind, Participant, Segment, Suggestion
from qualkit.nlp import pipeline
from qualkit.store import Store

if TYPE_CHECKING:
    from spacy.matcher import PhraseMatcher

MODERATOR_LABELS = frozenset({"moderator", "interviewer", "facilitator"})
BATCH = 500
Progress = Callable[[int, int], None]


def is_moderator(speaker: str, roster: dict[str, Participant]) -> bool:
    """Moderators' questions are not findings, so they are not suggested on by default."""
    person = roster.get(speaker)
    role = person.role.lower() if person else ""
    return role in MODERATOR_LABELS or speaker.lower() in MODERATOR_LABELS


class KeywordMatcher:
    """A codebook compiled for matching: one phrase pattern per (code, keyword)."""

    def __init__(self, codebook: Codebook) -> None:
        from spacy.matcher import PhraseMatcher

        self.nlp = pipeline()
        self.matcher: PhraseMatcher = PhraseMatcher(self.nlp.vocab, attr="NORM")
        self.keys: dict[int, tuple[str, str]] = {}
        for code in codebook.codes:
            for keyword in code.keywords:
                key = f"{code.id}\x1f{keyword}"
                self.matcher.add(key, [self.nlp(keyword)])
                self.keys[self.nlp.vocab.strings[key]] = (code.id, keyword)

    def suggest(self, segments: Sequence[Segment]) -> list[Suggestion]:
        found: list[Suggestion] = []
        docs = self.nlp.pipe((s.text for s in segments), batch_size=256)
        for seg, doc in zip(segments, docs, strict=True):
            evidence: dict[str, list[Evidence]] = defaultdict(list)
            for match_id, start, end in self.matcher(doc):
                code_id, keyword = self.keys[match_id]
                span = doc[start:end]
                kind = MatchKind.PHRASE if len(span) > 1 else MatchKind.LEMMA
                evidence[code_id].append(Evidence(
                    term=keyword, matched=span.text, kind=kind,
                    start=seg.start + span.start_char, end=seg.start + span.end_char))
            for code_id, items in evidence.items():
                terms = {e.term for e in items}
                found.append(Suggestion(segment_id=seg.id, code_id=code_id,
                                        score=round(1 - 0.5 ** len(terms), 4),
                                        evidence=tuple(items)))
        return found


@dataclass(frozen=True)
class SuggestResult:
    codebook_version: str
    processed: int
    skipped_moderator: int
    suggestions: int


def suggest_project(store: Store, codebook: Codebook, *, include_moderator: bool = False,
                    progress: Progress | None = None) -> SuggestResult:
    """Suggest codes for every segment not yet processed under this codebook version."""
    roster = store.participants()
    done = store.suggested_segment_ids(codebook.version)
    todo = [s for s in store.segments() if s.id not in done]
    readable = [s for s in todo if include_moderator or not is_moderator(s.speaker, roster)]
    matcher = KeywordMatcher(codebook) if readable else None
    total = 0
    for i, batch in enumerate(_batches(todo, BATCH)):
        wanted = [s for s in batch if include_moderator or not is_moderator(s.speaker, roster)]
        found = matcher.suggest(wanted) if matcher and wanted else []
        with store.transaction() as conn:
            store.save_suggestions(conn, codebook.version, [s.id for s in batch], found)
        total += len(found)
        if progress:
            progress(min((i + 1) * BATCH, len(todo)), len(todo))
    return SuggestResult(codebook_version=codebook.version, processed=len(todo),
                         skipped_moderator=len(todo) - len(readable), suggestions=total)


def _batches(items: Sequence[Segment], size: int) -> Iterable[Sequence[Segment]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
