"""Deductive suggestions: the codebook's terms found in segments, with the evidence.

How a term is found, and why this way:

- **Lemma** — a keyword matches every form that shares its lemma in spaCy's English lookup
  table (``explain`` finds ``explained``; ``teach`` finds ``taught``); with a trained
  pipeline named (``--spacy-model``), also every word its lemmatizer reads in context as
  the keyword's lemma.
- **Derivation** — a word of the corpus built from a keyword with an English derivational
  suffix ("teacher", "expectations", "supportive", "motivation"), which qualitative
  coders treat as the same idea and the lemma table does not relate.
- **Phrase** — multi-word keywords ("break it down") match as word sequences, each word in
  any of its forms.
- **Pattern** — spaCy token patterns from the codebook (``patterns:``) for what a word list
  cannot say, run by spaCy's Matcher on spaCy's tokens.
- **Fuzzy** — misspellings and transcription errors ("confidnet"): words of the corpus
  that are not English words in the lookup table and are within a rapidfuzz ratio of a
  keyword.

Everything but patterns is decided once per distinct word of the corpus, not per
occurrence (:class:`qualkit.suggest.word_table.WordTable`), so reading a segment is a split into
words with one regular expression and a dictionary lookup per word: the costs of
lemmatising, comparing spellings and matching grow with the vocabulary, and only the
split grows with the corpus. A test holds the evidence to what spaCy's PhraseMatcher finds
on spaCy's tokens for the same forms, on the sample study. A large project is read by
worker processes (:mod:`qualkit.workers`), each transcript by one of them.

Plain negation ("I didn't feel confident") halves a match's weight; a code's
``exclude_keywords`` in the segment suppress the code. Each matched span and term counts
once, with weight w, in the score 1 - prod(1 - w): one keyword gives 0.5, two 0.75.

A suggestion is only ever a proposal: it is stored apart from coding and counted apart in
every report. Moderators' turns are skipped unless asked for.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from itertools import accumulate, chain, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from qualkit.model import Codebook, Evidence, MatchKind, Participant, Segment, Suggestion
from qualkit.nlp import common_words, lemma_table
from qualkit.store import Store, suggestion_json
from qualkit.store.suggestion_json import Found
from qualkit.suggest.word_table import (
    LEMMA,
    PATTERN,
    PHRASE,
    SPLIT,
    Phrase,
    WordTable,
    gaps_of,
    words_of,
)

if TYPE_CHECKING:
    from spacy.matcher import Matcher
    from spacy.tokens import Doc

MODERATOR_ROLES = frozenset({"moderator", "interviewer", "facilitator", "researcher"})
"""Roles (in participants.csv) whose speakers ask rather than answer."""
MODERATOR_LABEL = re.compile(
    r"^(?:moderator|interviewer|researcher|facilitator|mod|int|i)[ ._-]?\d*$", re.IGNORECASE)
"""Speakers who are moderators without a roster: Moderator, INTERVIEWER, Researcher 2,
Facilitator, I, I1, Int… (a project names others in [import] moderators)."""
NEGATORS = frozenset({"not", "never", "no", "nothing", "hardly", "barely", "neither",
                      "nor", "without", "nobody", "none", "cannot",
                      "t"})  # "t": the end of a contraction split at its apostrophe (didn't)
NEGATION_WINDOW = 3
"""Words a negator reaches forward, within its clause: "I didn't feel confident" is
negated, "She said no. I'm confident." is not."""
CLAUSE_END = re.compile(r"[.!?;:]")
WEIGHTS = {MatchKind.LEMMA: 0.5, MatchKind.DERIVATION: 0.4, MatchKind.PHRASE: 0.5,
           MatchKind.PATTERN: 0.5, MatchKind.FUZZY: 0.35}
CONTEXT_FACTOR = 0.5
COMMIT_EVERY = 20_000
"""Segments stored per transaction: a kill loses at most this much (recomputed by the
next run), and a commit per transcript cost seconds on a corpus of a thousand files."""
Progress = Callable[[int, int], None]

_WEIGHT = {(kind.value, negated, context): round(w * (0.5 if negated else 1.0)
                                           * (CONTEXT_FACTOR if context else 1.0), 4)
           for kind, w in WEIGHTS.items() for negated in (False, True)
           for context in (False, True)}


def is_moderator(speaker: str, roster: Mapping[str, Participant]) -> bool:
    """Moderators' questions are not findings, so they are not suggested on and not
    counted as participants. A role on the roster decides (a `Researcher` with the role
    `mentor` is a participant); without one, the label does."""
    person = roster.get(speaker)
    if person is not None and person.role:
        return person.role.strip().lower() in MODERATOR_ROLES
    return MODERATOR_LABEL.match(speaker.strip()) is not None


_NOTHING: frozenset[int] = frozenset()


def _negated_words(text: str, bounds: list[int], words: list[str]) -> set[int]:
    """The words a negator stands among the few words before, in the same clause."""
    found = set()
    for j, word in enumerate(words):
        if word in NEGATORS:
            for i in range(j + 1, min(j + 1 + NEGATION_WINDOW, len(words))):
                if CLAUSE_END.search(text, bounds[2 * j], bounds[2 * i]):
                    break
                found.add(i)
    return found


def _split(text: str) -> tuple[list[str], list[str]]:
    """The pieces of a segment (what lies between words, and the words, alternately) and
    its words in lower case."""
    lower = text.lower()
    if len(lower) == len(text):
        pieces = SPLIT.split(lower)
        return pieces, pieces[1::2]
    pieces = SPLIT.split(text)  # the odd character lower() lengthens: offsets of the text
    return pieces, [w.lower() for w in pieces[1::2]]


class Readable(Protocol):
    """What the matcher reads of a segment (a :class:`Segment` has it)."""

    @property
    def transcript_id(self) -> int: ...
    @property
    def turn_index(self) -> int: ...
    @property
    def start(self) -> int: ...
    @property
    def text(self) -> str: ...


R = TypeVar("R", bound=Readable)


class KeywordMatcher:
    """A codebook compiled for matching (one per suggest run)."""

    def __init__(self, codebook: Codebook, model: str | None = None) -> None:
        """``model``: a trained spaCy pipeline whose lemmatizer also reads each segment
        (see :meth:`_trained_lemmas`); patterns then run on its tokens too."""
        self.table = WordTable(((code.id, kw) for code in codebook.codes
                                for kw in code.keywords), _WEIGHT)
        self.model = model
        self.by_lemma: dict[str, list[tuple[str, str]]] = {}
        if model is not None:
            from qualkit.nlp import lemma_pipeline

            self.nlp = lemma_pipeline(model)
            for code in codebook.codes:
                for keyword in code.keywords:
                    tokens = [t for t in self.nlp(keyword) if not t.is_space]
                    if len(tokens) == 1:
                        self.by_lemma.setdefault(tokens[0].lemma_.lower(), []).append(
                            (code.id, keyword))
        self.excluded: dict[str, list[list[str]]] = {}
        for code in codebook.codes:
            excludes: Sequence[str] = getattr(code, "exclude_keywords", ())
            if excludes:
                self.excluded[code.id] = [words_of(term) for term in excludes]
        self.patterns: Matcher | None = None
        self.pattern_keys: dict[int, tuple[str, str]] = {}
        if any(code.patterns for code in codebook.codes):
            self._compile_patterns(codebook)
        self.reads_with_spacy = self.patterns is not None or model is not None
        """Whether each segment also goes through a spaCy pipeline (patterns, or a
        trained lemmatizer): the slow way, taken only when asked for."""

    def _compile_patterns(self, codebook: Codebook) -> None:
        from spacy.matcher import Matcher

        from qualkit.nlp import pattern_pipeline

        if self.model is None:
            self.nlp = pattern_pipeline()
        self.patterns = Matcher(self.nlp.vocab)
        for code in codebook.codes:
            for i, pattern in enumerate(code.patterns):
                name = f"{code.id}\x1fpattern {i + 1}"
                self.pattern_keys[self.nlp.vocab.strings.add(name)] = (code.id,
                                                                       f"pattern {i + 1}")
                self.patterns.add(name, [json.loads(pattern)])

    def _match(self, text: str, offset: int, pieces: list[str], words: list[str]
               ) -> dict[str, list[Found]]:
        """Every match in one text, by code, with offsets into the transcript, once the
        words are split (:func:`_split`) and learnt.

        This runs for every segment of the corpus, so Python touches a word only to test
        it against the words that stand for a keyword (one dictionary lookup); the
        offsets of words are the running lengths of the pieces of the split (summed in
        C)."""
        triggers = self.table.triggers
        found: dict[str, list[Found]] = {}
        at = [i for i, word in enumerate(words) if word in triggers]
        if not at:
            return found
        bounds = list(accumulate(map(len, pieces)))  # word k spans bounds[2k]:bounds[2k+1]
        negated_at = (_negated_words(text, bounds, words) if not NEGATORS.isdisjoint(words)
                      else _NOTHING)
        n = len(words)
        for i in at:
            singles, by_next, by_previous = triggers[words[i]]
            if singles:
                begin, end = offset + bounds[2 * i], offset + bounds[2 * i + 1]
                negated = i in negated_at
                tail = f"{begin},{end}]]]"  # the stored form's end, for each code's part
                for code_id, term, kind, plain, denied in singles:
                    evidence = (begin, end, term, kind, negated, False,
                                (denied if negated else plain) + tail)
                    same_code = found.get(code_id)
                    if same_code is None:
                        found[code_id] = [evidence]
                    else:
                        same_code.append(evidence)
            if ((by_next and i + 1 < n and words[i + 1] in by_next)
                    or (by_previous and i and words[i - 1] in by_previous)):
                for code_id, evidence in self._phrases(text, offset, words, bounds, i,
                                                       by_next, by_previous, negated_at):
                    found.setdefault(code_id, []).append(evidence)
        return found

    def _phrases(self, text: str, offset: int, words: list[str], bounds: list[int], i: int,
                 by_next: Mapping[str, tuple[Phrase, ...]],
                 by_previous: Mapping[str, tuple[Phrase, ...]], negated_at: AbstractSet[int]
                 ) -> list[tuple[str, Found]]:
        """(code id, evidence) of the phrases anchored at word ``i`` (its trigger's
        phrases by neighbouring word) that the words around it complete."""
        table = self.table
        n = len(words)
        found = []
        for code_id, term, before, after in (
                (by_next.get(words[i + 1], ()) if i + 1 < n else ())
                + (by_previous.get(words[i - 1], ()) if i else ())):
            first, last = i - len(before), i + len(after)
            if (first < 0 or last >= n
                    or (len(before) > 1 and any(words[first + k] not in forms
                                                for k, forms in enumerate(before)))
                    or (before and after and words[i - 1] not in before[-1])
                    or (len(after) > 1 and any(words[i + 1 + k] not in forms
                                               for k, forms in enumerate(after)))
                    or gaps_of(text, [(bounds[2 * k], bounds[2 * k + 1])
                                      for k in range(first, last + 1)]) != table.gaps[term]):
                continue
            found.append((code_id, (offset + bounds[2 * first], offset + bounds[2 * last + 1],
                                    term, PHRASE, first in negated_at, False, "")))
        return found

    def _found_by_patterns(self, doc: Doc | None, offset: int, words: list[str],
                           found: dict[str, list[Found]]) -> None:
        """``found`` with the codebook's token patterns' matches and the trained
        lemmatizer's added (from ``doc``, the text through :attr:`nlp`), and excluded
        codes removed."""
        if doc is not None:
            if self.patterns is not None:
                self._pattern_matches(doc, offset, found)
            if self.model is not None:
                self._trained_lemmas(doc, offset, found)
        if found and self.excluded:
            for code_id in [c for c in found if c in self.excluded]:
                if any(_contains(words, term) for term in self.excluded[code_id]):
                    del found[code_id]

    def _pattern_matches(self, doc: Doc, offset: int, found: dict[str, list[Found]]) -> None:
        assert self.patterns is not None
        for match_id, start, end in self.patterns(doc):
            code_id, term = self.pattern_keys[match_id]
            first, last = doc[start], doc[end - 1]
            found.setdefault(code_id, []).append(
                (offset + first.idx, offset + last.idx + len(last), term, PATTERN,
                 _negated_token(doc, start), False, ""))

    def _trained_lemmas(self, doc: Doc, offset: int, found: dict[str, list[Found]]) -> None:
        """Words whose lemma in context, by the trained pipeline, is a keyword's: what
        the lookup table and derivations miss or read wrongly ("she left early" is
        *leave*). A span the word table already matched for the same keyword is not
        added twice."""
        for token in doc:
            owners = self.by_lemma.get(token.lemma_.lower())
            if not owners:
                continue
            begin, end = offset + token.idx, offset + token.idx + len(token)
            for code_id, term in owners:
                same_code = found.setdefault(code_id, [])
                if not any(e[0] == begin and e[1] == end and e[2] == term for e in same_code):
                    same_code.append((begin, end, term, LEMMA, _negated_token(doc, token.i),
                                      False, ""))

    def evidence_of(self, segments: Sequence[R], context: bool = False
                    ) -> Iterator[tuple[R, dict[str, list[Found]]]]:
        """Each segment with its evidence by code. Segments are given in reading order
        (needed for ``context``)."""
        found = self.evidence([s.text for s in segments], [s.start for s in segments],
                              [(s.transcript_id, s.turn_index) for s in segments]
                              if context else None)
        return zip(segments, found, strict=True)

    def evidence(self, texts: Sequence[str], starts: Sequence[int],
                 turns: Sequence[object] | None = None) -> list[dict[str, list[Found]]]:
        """The evidence by code of each text (a segment's, starting at ``starts`` in its
        transcript). With ``turns`` (each text's turn, in reading order), evidence from
        the neighbouring texts of the same turn is added as context."""
        split = [_split(text) for text in texts]
        self.table.learn(chain.from_iterable(words for _, words in split))  # in one go
        found = [self._match(text, start, pieces, words)
                 for text, start, (pieces, words) in zip(texts, starts, split, strict=True)]
        if self.reads_with_spacy or self.excluded:
            docs: Iterable[Doc | None] = (self.nlp.pipe(texts, batch_size=64)
                                          if self.reads_with_spacy else repeat(None))
            for start, (_, words), evidence, doc in zip(starts, split, found, docs,
                                                        strict=False):
                self._found_by_patterns(doc, start, words, evidence)
        if turns is None:
            return found
        with_context = []
        for i, evidence in enumerate(found):
            evidence = {code: list(items) for code, items in evidence.items()}
            for j in (i - 1, i + 1):
                if 0 <= j < len(found) and turns[j] == turns[i]:
                    for code, items in found[j].items():
                        evidence.setdefault(code, []).extend(
                            (*e[:5], True, "") for e in items)
            with_context.append(evidence)
        return with_context

    def suggest(self, segments: Sequence[Segment], context: bool = False
                ) -> list[Suggestion]:
        """Suggestions for segments given in reading order (needed for ``context``)."""
        return [Suggestion(segment_id=seg.id, code_id=code_id, score=score,
                           evidence=tuple(Evidence(term, seg.text[a - seg.start:b - seg.start],
                                                   MatchKind(kind), a, b, negated, ctx)
                                          for a, b, term, kind, negated, ctx, _ in kept))
                for seg, evidence in self.evidence_of(segments, context)
                for code_id, score, kept in ranked(evidence)]


def stored(segment_id: int, evidence: dict[str, list[Found]]) -> str:
    """A segment's entry in its transcript's stored row (:mod:`qualkit.store.suggestion_json`)
    from its evidence: what :func:`ranked` keeps, written in one pass without sorting,
    since reading sorts."""
    return suggestion_json.segment(segment_id, evidence, _WEIGHT, _kept)


def _kept(items: list[Found]) -> tuple[float, list[Found]]:
    kept = _strongest(items)
    return _score(kept), kept


def scores(evidence: dict[str, list[Found]]) -> dict[str, float]:
    """Each code's positive score, as :func:`ranked` scores it, without ranking (what the
    learned suggester reads as features, for every segment it predicts)."""
    out = {}
    for code_id, items in evidence.items():
        score = _weight(items[0]) if len(items) == 1 else _kept(items)[0]
        if score > 0:
            out[code_id] = score
    return out


def ranked(evidence: dict[str, list[Found]]) -> list[tuple[str, float, list[Found]]]:
    """(code id, score, evidence kept) per code with a positive score, the highest score
    first (ties by code id)."""
    out = []
    for code_id, items in evidence.items():
        if len(items) == 1:  # most suggestions: nothing to rank or combine
            kept = items
            score = _weight(items[0])
        else:
            score, kept = _kept(items)
        if score > 0:
            out.append((code_id, score, kept))
    out.sort(key=lambda s: (-s[1], s[0]))
    return out


def _negated_token(doc: Doc, i: int) -> bool:
    """Whether a negator stands among the few tokens before token ``i`` (spaCy splits
    "didn't" into "did" and "n't")."""
    return any(t.lower_ in NEGATORS or t.lower_ == "n't"
               for t in doc[max(0, i - NEGATION_WINDOW):i])


def _contains(words: list[str], term: list[str]) -> bool:
    n = len(term)
    return bool(term) and any(words[i:i + n] == term for i in range(len(words) - n + 1))


def _weight(e: Found) -> float:
    return _WEIGHT[e[3], e[4], e[5]]


def _strongest(items: Sequence[Found]) -> list[Found]:
    """One piece of evidence per matched span and per term, the strongest first.

    "leadership" matched by the keywords leadership, leader and lead is one observation,
    and "confident" said twice is one term: neither should count twice in the score.
    """
    if len(items) == 2:  # most codes with more than one: no sets, no sorting by key
        a, b = items
        if (a[0], a[1]) == (b[0], b[1]) or a[2] == b[2]:
            weight_a, weight_b = _weight(a), _weight(b)
            if weight_a != weight_b:
                return [a if weight_a > weight_b else b]
            return [min(a, b, key=lambda e: (e[0], e[2]))]
        return [a, b] if (a[0], a[2]) <= (b[0], b[2]) else [b, a]
    return _strongest_of_many(items)


def _strongest_of_many(items: Iterable[Found]) -> list[Found]:
    kept: list[Found] = []
    spans: set[tuple[int, int]] = set()
    terms: set[str] = set()
    for e in sorted(items, key=lambda e: (-_weight(e), e[0], e[2])):
        if (e[0], e[1]) in spans or e[2] in terms:
            continue
        spans.add((e[0], e[1]))
        terms.add(e[2])
        kept.append(e)
    return sorted(kept, key=lambda e: (e[0], e[2]))


def _score(items: Iterable[Found]) -> float:
    """1 - prod(1 - w) over the strongest evidence per span and term."""
    miss = 1.0
    for e in items:
        miss *= 1.0 - _weight(e)
    return round(1.0 - miss, 4)


@dataclass(frozen=True)
class SuggestResult:
    codebook_version: str
    processed: int
    skipped_moderator: int
    suggestions: int


PARALLEL_MIN_SEGMENTS = 20_000
"""Below this many segments to read, one process: workers would start for nothing."""


@dataclass
class _Run:
    """What reading a transcript needs, in whichever process reads it."""

    store: Store
    roster: dict[str, Participant]
    include_moderator: bool
    context: bool
    matcher: KeywordMatcher


_RUN: _Run | None = None
"""This process's run: set in the parent, inherited by forked workers (spawned ones
rebuild it in :func:`_start_worker`)."""


def _start_worker(database: str, codebook: Codebook, roster: dict[str, Participant],
                  include_moderator: bool, context: bool, model: str | None) -> None:
    """Give a worker its own connection (a forked one must not use its parent's) and,
    when it was spawned rather than forked, the compiled codebook."""
    from qualkit.store import open_store

    global _RUN
    matcher = _RUN.matcher if _RUN is not None else KeywordMatcher(codebook, model)
    _RUN = _Run(open_store(Path(database), read_only=True), roster, include_moderator,
                context, matcher)


def _read(transcript_id: int) -> tuple[int, str, int, int, int]:
    """One transcript read: (its id, its stored row, segments read, moderators' segments
    skipped, suggestions). Segments stay plain rows: this runs for every segment of a
    corpus."""
    run = _RUN
    assert run is not None
    text, spans = run.store.segment_spans(transcript_id)
    silent = set() if run.include_moderator else {
        speaker for speaker in {row[5] for row in spans}
        if is_moderator(speaker, run.roster)}
    read = [row for row in spans if row[5] not in silent] if silent else spans
    found = run.matcher.evidence([text[a:b] for _, _, _, a, b, _ in read],
                                 [row[3] for row in read],
                                 [row[1] for row in read] if run.context else None)
    entries = [stored(row[0], evidence) for row, evidence in zip(read, found, strict=True)]
    return (transcript_id, suggestion_json.transcript(entries), len(spans),
            len(spans) - len(read), sum(map(len, found)))


def suggest_project(store: Store, codebook: Codebook, *, include_moderator: bool = False,
                    context: bool = False, progress: Progress | None = None,
                    jobs: int | None = None, model: str | None = None) -> SuggestResult:
    """Suggest codes for every transcript not yet read under this codebook version (and
    with its moderators' segments, if ``include_moderator``). ``model`` names a trained
    spaCy pipeline whose lemmatizer also reads each segment; like ``context`` it applies
    to what is read now (``--refresh`` reads everything again).

    One transcript is a unit of work (turns, and so context, stay whole), read in worker
    processes when there is enough to read (see :mod:`qualkit.workers`; ``jobs``
    overrides how many): each reads its transcripts from the database itself, and this
    process only stores what they send back, every :data:`COMMIT_EVERY` segments, so
    memory stays flat and a kill costs at most the work since the last commit."""
    from qualkit import workers

    global _RUN
    done = store.suggested_transcript_ids(codebook.version, include_moderator)
    order = [tid for tid in store.transcript_ids() if tid not in done]
    todo = store.unsuggested_segment_count(codebook.version, include_moderator) if order else 0
    database = store.engine.url.database
    if jobs is None:
        # QUALKIT_JOBS is followed as given; by default workers only start where they
        # pay for themselves.
        jobs = workers.configured_jobs() or (
            workers.default_jobs() if todo >= PARALLEL_MIN_SEGMENTS else 1)
    if store.engine.dialect.name != "sqlite" or not database:
        jobs = 1
    roster = store.participants()
    processed = skipped = total = pending = 0
    rows: list[tuple[int, bool, str]] = []
    was_collecting = gc.isenabled()
    gc.disable()  # hundreds of thousands of short-lived tuples, no cycles among them
    try:
        _RUN = _Run(store, roster, include_moderator, context, KeywordMatcher(codebook, model))
        lemma_table(), common_words()  # loaded once, before workers fork
        results = workers.ordered_map(
            _read, order, jobs=jobs, setup=_start_worker,
            setup_args=(database, codebook, roster, include_moderator, context, model))
        for n, (transcript_id, data, read, moderators, count) in enumerate(results, start=1):
            rows.append((transcript_id, include_moderator, data))
            processed += read
            skipped += moderators
            total += count
            pending += read
            if pending >= COMMIT_EVERY or n == len(order):
                with store.transaction() as conn:
                    store.save_suggestion_rows(conn, codebook.version, rows)
                rows, pending = [], 0
            if progress:
                progress(n, len(order))
    finally:
        _RUN = None
        if was_collecting:
            gc.enable()
    return SuggestResult(codebook_version=codebook.version, processed=processed,
                         skipped_moderator=skipped, suggestions=total)
