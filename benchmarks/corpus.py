"""Synthetic focus groups that read like the sample study, at any size.

Speed figures measured on lorem ipsum say little: tokenizers, sentencizers and keyword
matchers cost what the text makes them cost. So the generator learns from the sample
study's own transcripts (``transcripts/`` of this repository): a first-order Markov chain
over its words, one for moderators and one for participants, plus the observed number of
sentences per turn and the share of moderator turns. Unigram frequencies survive a
first-order chain, so the codebook's keywords turn up at roughly the sample's rates and the
suggester does realistic work; turns and sentences have the sample's lengths, so the
segmenter and the store see realistic row counts.

Everything is deterministic for a given seed. Nothing here imports qualkit: the corpus is
the input of what is measured, not a product of it.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

GENERATOR_VERSION = 2
"""Bump when the output for a given seed changes, so cached corpora are rebuilt."""

REPO = Path(__file__).resolve().parent.parent
SAMPLE_TRANSCRIPTS = REPO / "transcripts"
SAMPLE_CODEBOOK = REPO / "codebooks" / "mentoring.yaml"

MODERATOR = "Moderator"
CODEBOOK_FILE = "codebooks/bench.yaml"
MANIFEST = "manifest.json"
_LABEL = re.compile(r"^\[(?P<ts>[\d:.]+)\]\s*(?P<speaker>[^:]+):\s+(?P<talk>\S.*)$")
_SENTENCE_END = re.compile(r"[.?!][\"')\]]*$")
_SENTENCE_SPLIT = re.compile(r"(?<=[.?!])\s+")
_MAX_SENTENCE = 60
_START = "\x00"


# --------------------------------------------------------------------------- the model


@dataclass
class _Chain:
    """Word transitions of one kind of speaker; ``_START`` leads to sentence openings."""

    next: dict[str, list[str]] = field(default_factory=dict)
    sentences_per_turn: list[int] = field(default_factory=list)

    def learn(self, talk: str) -> None:
        sentences = [s.split() for s in _SENTENCE_SPLIT.split(talk.strip()) if s.strip()]
        self.sentences_per_turn.append(len(sentences))
        for words in sentences:
            previous = _START
            for word in words:
                if "@" in word:
                    continue
                # Two number tokens in a row could read as a phone number to the privacy
                # gate, which would stop the import being measured.
                if _has_digit(previous) and _has_digit(word):
                    continue
                self.next.setdefault(previous, []).append(word)
                previous = word


def _has_digit(word: str) -> bool:
    return any(ch.isdigit() for ch in word)


@dataclass
class SampleModel:
    moderator: _Chain
    participant: _Chain
    moderator_turn_share: float
    word_counts: Counter[str]
    words: int
    heaps_k: float
    heaps_beta: float
    """Heaps' law of the sample, V(n) = k * n ** beta: how fast new words keep coming."""

    def new_word_rate(self, emitted: int) -> float:
        """dV/dn after ``emitted`` more words; the chains already hold the sample's words."""
        return self.heaps_k * self.heaps_beta * (self.words + emitted) ** (self.heaps_beta - 1)


def _sample_turns(folder: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(folder.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = _LABEL.match(line)
            if match:
                yield match["speaker"].strip(), match["talk"]


@lru_cache(maxsize=2)
def sample_model(folder: Path = SAMPLE_TRANSCRIPTS) -> SampleModel:
    """The chains learnt from the sample study (one label per line, as it is written)."""
    moderator, participant = _Chain(), _Chain()
    counts: Counter[str] = Counter()
    turns = moderator_turns = 0
    words: list[str] = []
    for speaker, talk in _sample_turns(folder):
        turns += 1
        is_moderator = speaker == MODERATOR
        moderator_turns += is_moderator
        (moderator if is_moderator else participant).learn(talk)
        words += (_bare(w) for w in talk.split())
    if len(words) < 1000:
        raise RuntimeError(f"{folder}: too little sample text to learn from")
    counts.update(words)
    half = len(set(words[:len(words) // 2]))
    beta = math.log(len(counts) / half) / math.log(len(words) / (len(words) // 2))
    k = len(counts) / len(words) ** beta
    return SampleModel(moderator, participant, moderator_turns / turns, counts, len(words), k,
                       beta)


def _bare(word: str) -> str:
    return word.strip(".,;:!?\"'()[]…—-").lower()


# --------------------------------------------------------------------------- transcripts


@dataclass
class Manifest:
    """What a generated corpus holds; the figures divide by these counts."""

    seed: int
    generator_version: int
    files: int = 0
    turns: int = 0
    words: int = 0
    participant_words: int = 0
    sentences: int = 0
    participant_sentences: int = 0
    participants: int = 0

    def save(self, root: Path) -> None:
        (root / MANIFEST).write_text(json.dumps(asdict(self), indent=1) + "\n",
                                     encoding="utf-8")

    @classmethod
    def load(cls, root: Path) -> Manifest | None:
        path = root / MANIFEST
        if not path.is_file():
            return None
        return cls(**json.loads(path.read_text(encoding="utf-8")))


class _Writer:
    """Sentences from the chains. A chain alone would never leave the sample's ~2,000
    words, which flatters every cache keyed on words (spaCy's tokenizer has one), so new
    words keep arriving at the rate the sample's own Heaps' law gives, dV/dn = k b n^(b-1):
    about 1 word in 250 at a million words."""

    def __init__(self, model: SampleModel, rng: random.Random) -> None:
        self.model = model
        self.rng = rng
        self.emitted = 0
        self.new_word_rate = model.new_word_rate(0)
        content = [w for w, n in model.word_counts.items() if w.isalpha() and len(w) > 4]
        self.stems = sorted(content)

    def _novel(self, word: str) -> str:
        """A word nobody has said yet, built from two sample words (``stetho`` +
        ``-table``), keeping the original's trailing punctuation."""
        core = word.rstrip(".,;:!?\"')]")
        a, b = self.rng.choice(self.stems), self.rng.choice(self.stems)
        new = a[:len(a) // 2 + 1] + b[len(b) // 2:]
        if core[:1].isupper():
            new = new.capitalize()
        return new + word[len(core):]

    def sentence(self, chain: _Chain) -> list[str]:
        words: list[str] = []
        previous = _START
        choices = chain.next
        rand = self.rng.random
        while len(words) < _MAX_SENTENCE:
            options = choices.get(previous)
            if not options:
                break
            word = options[int(rand() * len(options))]
            self.emitted += 1
            if self.emitted % 1000 == 0:
                self.new_word_rate = self.model.new_word_rate(self.emitted)
            words.append(self._novel(word) if rand() < self.new_word_rate
                         and word[:1].isalpha() else word)
            if _SENTENCE_END.search(word):
                return words
            previous = word
        if words and not _SENTENCE_END.search(words[-1]):
            words[-1] += "."
        return words

    def turn(self, chain: _Chain) -> tuple[str, int, int]:
        """(talk, words, sentences) of one turn with a length the sample has."""
        n = self.rng.choice(chain.sentences_per_turn)
        sentences = [s for s in (self.sentence(chain) for _ in range(max(n, 1))) if s]
        words = sum(len(s) for s in sentences)
        return " ".join(" ".join(s) for s in sentences), words, len(sentences)


def _timestamp(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def generate_corpus(root: Path, *, words: int | None = None,
                    participant_sentences: int | None = None, seed: int = 0,
                    group_words: tuple[int, int] = (4000, 12000)) -> Manifest:
    """Write focus groups into ``root/transcripts`` (with ``participants.csv``) and the
    100-code codebook into ``root/codebooks``, until ``words`` words or
    ``participant_sentences`` participant sentences are written, whichever comes first.

    Each group has a moderator and 4 to 8 participants who talk unevenly, and runs
    ``group_words`` words (60--90 minutes of talk at the default). The manifest is written
    last, so a folder with one is complete.
    """
    if words is None and participant_sentences is None:
        raise ValueError("give words, participant_sentences, or both")
    model = sample_model()
    rng = random.Random(seed)
    writer = _Writer(model, rng)
    folder = root / "transcripts"
    folder.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(seed=seed, generator_version=GENERATOR_VERSION)
    roster: list[tuple[str, str, str, str]] = [(MODERATOR, "", "moderator", "")]

    def done() -> bool:
        return ((words is not None and manifest.words >= words)
                or (participant_sentences is not None
                    and manifest.participant_sentences >= participant_sentences))

    share = model.moderator_turn_share
    moderator_after_participant = share / (1 - share)
    while not done():
        manifest.files += 1
        group = f"FG{manifest.files:05d}"
        role = "mentor" if rng.random() < 0.7 else "mentee"
        people = []
        for _ in range(rng.randint(4, 8)):
            manifest.participants += 1
            name = f"P{manifest.participants:05d}"
            people.append(name)
            roster.append((name, group, role, str(rng.randint(1, 6))))
        weights = [0.3 + rng.random() for _ in people]
        budget = rng.randint(*group_words)
        if words is not None:
            budget = min(budget, max(words - manifest.words, 1))
        lines: list[str] = []
        clock, written, previous = 5.0, 0, ""
        while written < budget:
            # The moderator opens, and never speaks twice in a row; after a participant
            # the chance is raised so that the share of moderator turns is the sample's.
            is_moderator = not lines or (previous != MODERATOR
                                         and rng.random() < moderator_after_participant)
            speaker = MODERATOR if is_moderator else previous
            while speaker in (previous, MODERATOR) and not is_moderator:
                speaker = rng.choices(people, weights)[0]
            chain = model.moderator if is_moderator else model.participant
            talk, n_words, n_sentences = writer.turn(chain)
            if not n_words:
                continue
            lines.append(f"[{_timestamp(clock)}] {speaker}: {talk}\n")
            clock += n_words * 0.4 + rng.uniform(1, 6)
            written += n_words
            manifest.turns += 1
            manifest.words += n_words
            manifest.sentences += n_sentences
            if not is_moderator:
                manifest.participant_words += n_words
                manifest.participant_sentences += n_sentences
            previous = speaker
            if participant_sentences is not None and done():
                break
        (folder / f"{group}.txt").write_text("\n".join(lines), encoding="utf-8")
    with (folder / "participants.csv").open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["participant", "group", "role", "year"])
        out.writerows(roster)
    write_codebook(root / CODEBOOK_FILE, seed=seed)
    manifest.save(root)
    return manifest


# --------------------------------------------------------------------------- the codebook


def write_codebook(path: Path, *, codes: int = 100, seed: int = 0) -> None:
    """A codebook of ``codes`` codes: the sample's own (real keywords, real rates), then
    generated ones whose keywords are sample words about as frequent as the sample
    codebook's keywords, plus a few two-word phrases the sample uses."""
    rng = random.Random(seed)
    sample = yaml.safe_load(SAMPLE_CODEBOOK.read_text(encoding="utf-8"))
    themes = sample["themes"]
    real = [c for t in themes for c in t["codes"]][:codes]
    taken = {str(k).lower() for c in real for k in c.get("keywords", [])}
    counts = sample_model().word_counts
    ranked = [w for w, _ in counts.most_common()]
    function_words = set(ranked[:150])
    real_freq = sorted(counts[k] for k in taken if " " not in k and counts[k] > 0)
    low = real_freq[len(real_freq) // 4] if real_freq else 2
    high = real_freq[len(real_freq) * 9 // 10] if real_freq else 50
    pool = [w for w in ranked if w.isalpha() and len(w) > 3 and w not in function_words
            and w not in taken and low <= counts[w] <= high]
    rng.shuffle(pool)
    phrases = _phrases(function_words)
    rng.shuffle(phrases)
    generated: list[dict[str, object]] = []
    for n in range(len(real), codes):
        keywords = [pool.pop() if pool else rng.choice(ranked[150:]) for _ in
                    range(rng.randint(4, 8))]
        keywords += [phrases.pop() for _ in range(rng.randint(0, 2)) if phrases]
        generated.append({
            "id": f"code_{n + 1:03d}", "name": f"Generated code {n + 1}",
            "definition": f"A generated code about {keywords[0]}, for benchmarks.",
            "keywords": keywords})
    for i in range(0, len(generated), 12):
        number = len(themes) + 1
        themes.append({"id": f"theme_{number:02d}", "name": f"Generated theme {number}",
                       "codes": generated[i:i + 12]})
    book = {"name": f"Benchmark codebook ({codes} codes)", "version": 1, "unit": "sentence",
            "themes": themes}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(book, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")


def _phrases(function_words: set[str]) -> list[str]:
    """Two-word phrases of content words that the sample says at least three times."""
    pairs: Counter[str] = Counter()
    for _, talk in _sample_turns(SAMPLE_TRANSCRIPTS):
        words = [_bare(w) for w in talk.split()]
        for a, b in itertools.pairwise(words):
            if a.isalpha() and b.isalpha() and not {a, b} <= function_words:
                pairs[f"{a} {b}"] += 1
    return sorted(p for p, n in pairs.items() if n >= 3)
