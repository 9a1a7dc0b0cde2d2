"""Deductive suggestions: the codebook's terms found in segments, with the evidence.

How a term is found, and why this way:

- **Lemma** — a keyword matches every form that shares its lemma in spaCy's English lookup
  table (``explain`` finds ``explained``; ``teach`` finds ``taught``). The forms are
  expanded once per codebook and matched on lower-case tokens by spaCy's PhraseMatcher, so
  the corpus is tokenised but never lemmatised token by token.
- **Derivation** — a word of the corpus built from a keyword with an English derivational
  suffix ("teacher", "expectations", "supportive", "motivation"), which qualitative
  coders treat as the same idea and the lemma table does not relate.
- **Phrase** — multi-word keywords ("break it down") match as token sequences, each word in
  any of its forms.
- **Pattern** — spaCy token patterns from the codebook (``patterns:``) for what a word list
  cannot say.
- **Fuzzy** — misspellings and transcription errors ("confidnet"): words of the corpus
  vocabulary that are not English words in the lookup table and are within a rapidfuzz
  ratio of a keyword. The comparison runs once per distinct word, not per occurrence, so
  its cost grows with the vocabulary, not the corpus.

Plain negation ("I didn't feel any more confident") halves a match's weight; a code's
``exclude_keywords`` in the segment suppress the code. Each matched span and term counts
once, with weight w, in the score 1 - prod(1 - w): one keyword gives 0.5, two 0.75.

A suggestion is only ever a proposal: it is stored apart from coding and counted apart in
every report. Moderators' turns are skipped unless asked for.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice, product
from typing import TYPE_CHECKING, Any

from qualkit.model import Codebook, Evidence, MatchKind, Participant, Segment, Suggestion
from qualkit.nlp import common_words, forms_of, lemma, lemma_table, pipeline
from qualkit.store import Store

if TYPE_CHECKING:
    from spacy.tokens import Doc

LOWER = 66  # spacy.attrs.LOWER, as a literal so that importing this module stays light

MODERATOR_LABELS = frozenset({"moderator", "interviewer", "facilitator"})
NEGATORS = frozenset({"not", "n't", "never", "no", "nothing", "hardly", "barely", "neither",
                      "nor", "without", "nobody", "none"})
NEGATION_WINDOW = 3
WEIGHTS = {MatchKind.LEMMA: 0.5, MatchKind.DERIVATION: 0.4, MatchKind.PHRASE: 0.5,
           MatchKind.PATTERN: 0.5, MatchKind.FUZZY: 0.35}
SUFFIXES = frozenset({
    "er", "ers", "or", "ors", "ership", "ing", "ion", "ions", "ation", "ations", "ational",
    "ive", "ively", "iveness", "ful", "fully", "ness", "ment", "ments", "al", "ally", "ly",
    "ship", "ity", "ence", "ance", "ant", "ent", "ist", "ee", "able", "ible", "ative"})
CONTEXT_FACTOR = 0.5
FUZZY_CUTOFF = 88.0
FUZZY_MIN_LENGTH = 5
MAX_VARIANTS = 64
WORD = re.compile(r"[a-z]+")
Progress = Callable[[int, int], None]


def is_moderator(speaker: str, roster: dict[str, Participant]) -> bool:
    """Moderators' questions are not findings, so they are not suggested on by default."""
    person = roster.get(speaker)
    role = person.role.lower() if person else ""
    return role in MODERATOR_LABELS or speaker.lower() in MODERATOR_LABELS


def fuzzy_variants(keywords: Iterable[str], vocabulary: Iterable[str]
                   ) -> dict[str, list[str]]:
    """Corpus words that look like misspellings of single-word keywords.

    Only words that are not common English words qualify: a real word ("confidant",
    "teacher") is a different word, not a typo of "confident" or "teach".
    """
    from rapidfuzz import fuzz, process

    known = lemma_table().keys() | common_words()
    targets = sorted({k.lower() for k in keywords
                      if " " not in k and len(k) >= FUZZY_MIN_LENGTH})
    candidates = sorted({w for w in vocabulary
                         if len(w) >= FUZZY_MIN_LENGTH and w not in known
                         and w not in targets})
    found: dict[str, list[str]] = {}
    if not targets or not candidates:
        return found
    for keyword in targets:
        forms = forms_of(keyword)
        hits = process.extract(keyword, candidates, scorer=fuzz.ratio,
                               score_cutoff=FUZZY_CUTOFF, limit=None)
        words = [w for w, _, _ in hits if w not in forms]
        if words:
            found[keyword] = words
    return found


def _stems(keyword: str) -> set[str]:
    stems = {keyword, lemma(keyword)}
    if keyword.endswith("e"):
        stems.add(keyword[:-1])  # motivate → motivat-ion
    if keyword.endswith("y"):
        stems.add(keyword[:-1] + "i")  # rely → reli-able
    return stems


def derived_variants(keywords: Iterable[str], vocabulary: Iterable[str]
                     ) -> dict[str, list[str]]:
    """Corpus words derived from single-word keywords by a suffix (teach → teacher).

    A word qualifies when its lemma is a stem of the keyword plus a suffix from
    :data:`SUFFIXES`, allowing a doubled final consonant (plan → planner). Words are
    grouped by their first four letters, so each keyword is compared with few words.
    """
    by_prefix: dict[str, list[str]] = defaultdict(list)
    for word in vocabulary:
        if len(word) >= 5:
            by_prefix[word[:4]].append(word)
    found: dict[str, list[str]] = {}
    for keyword in sorted({k.lower() for k in keywords if " " not in k and len(k) >= 4}):
        forms = forms_of(keyword)
        stems = _stems(keyword)
        words = []
        for word in sorted(by_prefix.get(keyword[:4], ())):
            if word in forms:
                continue
            base = lemma(word)
            for stem in stems:
                rest = base[len(stem):] if base.startswith(stem) else None
                if rest and rest[0] == stem[-1] and rest[1:] in SUFFIXES:
                    rest = rest[1:]
                if rest in SUFFIXES:
                    words.append(word)
                    break
        if words:
            found[keyword] = words
    return found


class KeywordMatcher:
    """A codebook compiled for matching (one per suggest run)."""

    def __init__(self, codebook: Codebook, vocabulary: Iterable[str] = ()) -> None:
        from spacy.attrs import IDX, LENGTH
        from spacy.matcher import Matcher, PhraseMatcher
        from spacy.tokens import Doc

        self.nlp = pipeline()
        vocab = self.nlp.vocab
        self.phrases = PhraseMatcher(vocab, attr="LOWER")
        self.patterns = Matcher(vocab)
        self.keys: dict[int, tuple[str, str, MatchKind]] = {}
        self.excluded: dict[str, list[list[str]]] = {}
        self.negators = {vocab.strings.add(w) for w in NEGATORS}
        self.attrs = [LOWER, IDX, LENGTH]

        def key(code_id: str, term: str, kind: MatchKind) -> str:
            name = f"{code_id}\x1f{kind.value}\x1f{term}"
            self.keys[vocab.strings.add(name)] = (code_id, term, kind)
            return name

        keywords = [kw for code in codebook.codes for kw in code.keywords]
        vocabulary = set(vocabulary)
        fuzzy = fuzzy_variants(keywords, vocabulary)
        derived = derived_variants(keywords, vocabulary)
        for code in codebook.codes:
            for keyword in code.keywords:
                words = [t.lower_ for t in self.nlp.make_doc(keyword)]
                kind = MatchKind.PHRASE if len(words) > 1 else MatchKind.LEMMA
                variants = islice(product(*(sorted(forms_of(w)) for w in words)),
                                  MAX_VARIANTS)
                self.phrases.add(key(code.id, keyword, kind),
                                 [Doc(vocab, words=list(v)) for v in variants])
                if keyword.lower() in derived:
                    self.phrases.add(key(code.id, keyword, MatchKind.DERIVATION),
                                     [Doc(vocab, words=[w]) for w in derived[keyword.lower()]])
                if keyword.lower() in fuzzy:
                    self.phrases.add(key(code.id, keyword, MatchKind.FUZZY),
                                     [Doc(vocab, words=[w]) for w in fuzzy[keyword.lower()]])
            patterns: Sequence[Any] = getattr(code, "patterns", ())
            for i, pattern in enumerate(patterns):
                self.patterns.add(key(code.id, f"pattern {i + 1}", MatchKind.PATTERN),
                                  [list(pattern)])
            excludes: Sequence[str] = getattr(code, "exclude_keywords", ())
            if excludes:
                self.excluded[code.id] = [
                    [t.lower_ for t in self.nlp.make_doc(term)] for term in excludes]

    def evidence(self, doc: Doc, offset: int, text: str) -> dict[str, list[Evidence]]:
        """Every match in one segment's doc, by code, with offsets into the transcript.

        Token attributes come out as one list per doc (``to_array``), not as a Token
        object per match and per negation look-back: this loop runs for nearly every
        segment of the corpus."""
        found: dict[str, list[Evidence]] = defaultdict(list)
        matches = self.phrases(doc)
        if len(self.patterns):
            matches = [*matches, *self.patterns(doc)]
        if not matches:
            return found
        tokens = doc.to_array(self.attrs).tolist()  # [lower, idx, length] per token
        negators = self.negators
        negations = [i for i, token in enumerate(tokens) if token[0] in negators]
        keys = self.keys
        for match_id, start, end in matches:
            code_id, term, kind = keys[match_id]
            begin = tokens[start][1]
            last = tokens[end - 1]
            stop = last[1] + last[2]
            negated = bool(negations) and any(
                start - NEGATION_WINDOW <= i < start for i in negations)
            found[code_id].append(Evidence(
                term=term, matched=text[begin:stop], kind=kind, start=offset + begin,
                end=offset + stop, negated=negated))
        excluded = [code for code in found if code in self.excluded]
        if excluded:
            lowers = [t.lower_ for t in doc]
            for code_id in excluded:
                if any(_contains(lowers, term) for term in self.excluded[code_id]):
                    del found[code_id]
        return found

    def evidence_of(self, segments: Sequence[Segment]) -> list[dict[str, list[Evidence]]]:
        """:meth:`evidence` for each segment, tokenised one Doc per segment.

        (Joining segments into one Doc per batch was tried: spaCy's tokenizer stops caching
        its work on a Doc once a special case has occurred in it, so long Docs tokenise
        several times slower than the same text in short ones.)"""
        docs = self.nlp.tokenizer.pipe((s.text for s in segments), batch_size=256)
        return [self.evidence(doc, seg.start, seg.text)
                for seg, doc in zip(segments, docs, strict=True)]

    def suggest(self, segments: Sequence[Segment], context: bool = False
                ) -> list[Suggestion]:
        """Suggestions for segments given in reading order (needed for ``context``)."""
        per_segment = self.evidence_of(segments)
        found: list[Suggestion] = []
        for i, seg in enumerate(segments):
            evidence = per_segment[i]
            if context:
                evidence = {code: list(items) for code, items in evidence.items()}
                for j in (i - 1, i + 1):
                    if 0 <= j < len(segments) and _same_turn(seg, segments[j]):
                        for code, items in per_segment[j].items():
                            evidence.setdefault(code, []).extend(
                                Evidence(e.term, e.matched, e.kind, e.start, e.end, e.negated,
                                         context=True) for e in items)
            for code_id, items in evidence.items():
                if len(items) == 1:  # most suggestions: nothing to rank or combine
                    kept = items
                    score = round(1.0 - (1.0 - _weight(items[0])), 4)  # as _score([e])
                else:
                    kept = _strongest(items)
                    score = _score(kept)
                if score > 0:
                    found.append(Suggestion(segment_id=seg.id, code_id=code_id, score=score,
                                            evidence=tuple(kept)))
        return found


def _contains(words: list[str], term: list[str]) -> bool:
    n = len(term)
    return any(words[i:i + n] == term for i in range(len(words) - n + 1))


def _same_turn(a: Segment, b: Segment) -> bool:
    return a.transcript_id == b.transcript_id and a.turn_index == b.turn_index


def _weight(e: Evidence) -> float:
    return WEIGHTS[e.kind] * (0.5 if e.negated else 1.0) * (CONTEXT_FACTOR if e.context else 1.0)


def _strongest(items: Iterable[Evidence]) -> list[Evidence]:
    """One piece of evidence per matched span and per term, the strongest first.

    "leadership" matched by the keywords leadership, leader and lead is one observation,
    and "confident" said twice is one term: neither should count twice in the score.
    """
    kept: list[Evidence] = []
    spans: set[tuple[int, int]] = set()
    terms: set[str] = set()
    for e in sorted(items, key=lambda e: (-_weight(e), e.start, e.term)):
        if (e.start, e.end) in spans or e.term in terms:
            continue
        spans.add((e.start, e.end))
        terms.add(e.term)
        kept.append(e)
    return sorted(kept, key=lambda e: (e.start, e.term))


def _score(items: Iterable[Evidence]) -> float:
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


def suggest_project(store: Store, codebook: Codebook, *, include_moderator: bool = False,
                    context: bool = False, progress: Progress | None = None
                    ) -> SuggestResult:
    """Suggest codes for every segment not yet processed under this codebook version."""
    roster = store.participants()
    done = store.suggested_segment_ids(codebook.version)
    todo = [s for s in store.segments() if s.id not in done]
    wanted = [s for s in todo if include_moderator or not is_moderator(s.speaker, roster)]
    vocabulary = {w for s in wanted for w in WORD.findall(s.text.lower())}
    matcher = KeywordMatcher(codebook, vocabulary) if wanted else None
    total = 0
    for i, batch in enumerate(_by_transcript(todo)):
        readable = [s for s in batch if include_moderator or not is_moderator(s.speaker, roster)]
        found = matcher.suggest(readable, context=context) if matcher and readable else []
        with store.transaction() as conn:
            store.save_suggestions(conn, codebook.version, [s.id for s in batch], found)
        total += len(found)
        if progress:
            progress(i + 1, len({s.transcript_id for s in todo}))
    return SuggestResult(codebook_version=codebook.version, processed=len(todo),
                         skipped_moderator=len(todo) - len(wanted), suggestions=total)


def _by_transcript(items: Sequence[Segment]) -> Iterable[list[Segment]]:
    """One transcript at a time: a unit of work that keeps turns (and context) whole."""
    batch: list[Segment] = []
    for seg in items:
        if batch and seg.transcript_id != batch[-1].transcript_id:
            yield batch
            batch = []
        batch.append(seg)
    if batch:
        yield batch
