"""Illustrative quotes: which coded passage stands for each code in a theme table.

A coder's marks come first (the segments marked as quotes while coding). For a code with
none, the candidates are its coded passages spoken by a participant (see
:func:`qualkit.report.analysis.passage_ids`), each cut into windows of whole sentences
(segments; a long single segment is cut at its own sentence ends) of at most
:data:`MAX_WORDS` words. The window with the most evidence for the code wins, among
those of :data:`MIN_WORDS` to :data:`MAX_WORDS` words first; a window that leaves part of
its passage out is marked with an ellipsis. Evidence is a score per (segment, code):
today the keyword matcher's stored score, passed in by the caller, so a learned score can
replace it without touching the rule. No segment illustrates two codes in one table:
codes with the fewest candidates choose first, so a rare code is not left without one.
Every quote says which rule chose it. Windows are cut only for each code's
:data:`FINALISTS` likeliest passages (the most evidence in the whole passage), then for
all of its passages if other codes took those: a large study has 100,000 passages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

MIN_WORDS, MAX_WORDS = 12, 60
MARKED_QUOTES = 3
FINALISTS = 5  # passages per code cut into windows first (see _finalists)
ELLIPSIS = "…"

MARKED = "marked while coding"
BY_EVIDENCE = (f"by rule: the coded passage (or its part of whole sentences, {MIN_WORDS} to "
               f"{MAX_WORDS} words) with the most keyword evidence for the code")
SHORT = (f"by rule: no participant passage of {MIN_WORDS} to {MAX_WORDS} words; the "
         "longest with the most keyword evidence")
QUOTE_RULE = (f"the participant's coded passage, or its part of whole sentences of {MIN_WORDS} "
              f"to {MAX_WORDS} words, with the most keyword evidence for the code (else the "
              "longest shorter one), never the same passage for two codes")

SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+")  # noqa: RUF001
SPEAKER_NUMBER = re.compile(r"^(?:participant|respondent|interviewee|informant|speaker|"
                            r"person|p)[\s_-]*(\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Quote:
    """An illustrative quote, attributed by pseudonym and group only."""

    text: str
    speaker: str
    group: str
    segment_id: int  # the first segment it quotes
    marked: bool  # marked by the coder while coding; False: chosen by rule
    rule: str = MARKED

    @property
    def source(self) -> str:
        return source_label(self.speaker, self.group)


def short_speaker(speaker: str) -> str:
    """``Participant 10`` → ``P10``: the label journals use for a pseudonym."""
    found = SPEAKER_NUMBER.match(speaker.strip())
    return f"P{found.group(1)}" if found else speaker


def source_label(speaker: str, group: str) -> str:
    """``P10, Interview A``: the speaker, then the group without the speaker's own label
    (a transcript named after its interviewee repeats it) and with underscores as spaces."""
    short = short_speaker(speaker)
    where = " ".join(group.replace("_", " ").split())
    for label in sorted({" ".join(speaker.replace("_", " ").split()), short}, key=len,
                        reverse=True):
        head, rest = where[:len(label)], where[len(label):]
        if label and head.lower() == label.lower() and not rest[:1].isalnum():
            where = rest.lstrip(" -–—,:;/")  # noqa: RUF001
            break
    return f"{short}, {where}" if where else short


@dataclass(frozen=True)
class _Window:
    text: str
    segments: tuple[int, ...]
    words: int
    evidence: float
    order: int  # reading order of the passage, for ties


def _sentences(text: str) -> list[str]:
    """A segment as its sentences: itself, unless it is too long to quote whole (a turn,
    or a sentence the segmenter could not split), then cut at its sentence ends."""
    text = " ".join(text.split())
    if len(text.split()) <= MAX_WORDS:
        return [text] if text else []
    return [p for p in SENTENCE_END.split(text) if p]


def _windows(parts: list[tuple[int, str]], code_evidence: Mapping[int, float],
             order: int) -> list[_Window]:
    """The passage whole when it has at most MAX_WORDS words; else, from each sentence,
    the longest run of whole sentences within MAX_WORDS (a sentence longer than that on
    its own, cut after MAX_WORDS words), with ellipses where the passage goes on."""
    sentences = [(seg, s) for seg, text in parts for s in _sentences(text)]
    words = [len(s.split()) for _, s in sentences]
    found = []
    for i in range(len(sentences)):
        j, total = i, words[i]
        while j + 1 < len(sentences) and total + words[j + 1] <= MAX_WORDS:
            j += 1
            total += words[j]
        chosen = sentences[i:j + 1]
        text = " ".join(s for _, s in chosen)
        if total > MAX_WORDS:  # one sentence alone is too long: cut at a word
            text = " ".join(text.split()[:MAX_WORDS]) + " " + ELLIPSIS
        segs = tuple(dict.fromkeys(seg for seg, _ in chosen))
        before = ELLIPSIS + " " if i > 0 else ""
        after = " " + ELLIPSIS if j < len(sentences) - 1 and total <= MAX_WORDS else ""
        found.append(_Window(before + text + after, segs, min(total, MAX_WORDS),
                             sum(code_evidence.get(s, 0.0) for s in segs), order))
        if j == len(sentences) - 1:
            break  # later starts only give shorter runs of the same end
    return found


def _best(windows: Sequence[_Window], used: set[int]) -> tuple[_Window, str] | None:
    free = [w for w in windows if not used.intersection(w.segments)]
    fitting = [w for w in free if w.words >= MIN_WORDS]
    if fitting:
        return max(fitting, key=lambda w: (w.evidence, -w.order, w.words)), BY_EVIDENCE
    if free:
        return max(free, key=lambda w: (w.words, w.evidence, -w.order)), SHORT
    return None


def _finalists(spoken: pd.DataFrame, texts: list[str],
               evidence: Mapping[tuple[int, str], float],
               keep: int | None) -> list[tuple[Any, ...]]:
    """The rows (code, passage, order, segment, text, speaker, group) of each code's
    ``keep`` passages most likely to hold its quote: those of 12 words or more with the most
    evidence, and the longest shorter ones. Cutting windows is the costly part, and only a
    handful per code is needed unless other codes took them (``keep=None``: every one)."""
    import pandas as pd

    frame = pd.DataFrame({"code": spoken["code_id"].astype(str).to_numpy(),
                          "passage": spoken["passage"].to_numpy(),
                          "order": spoken.index.to_numpy(),
                          "segment": spoken["segment_id"].to_numpy(),
                          "text": texts, "speaker": spoken["speaker"].astype(str).to_numpy(),
                          "group": spoken["group"].astype(str).to_numpy()})
    frame["words"] = [len(t.split()) for t in texts]
    frame["evidence"] = [evidence.get((int(seg), code), 0.0)
                         for seg, code in zip(frame["segment"], frame["code"], strict=True)]
    per = frame.groupby("passage", sort=False).agg(
        code=("code", "first"), order=("order", "min"), words=("words", "sum"),
        evidence=("evidence", "sum"))
    fits = per.loc[per["words"] >= MIN_WORDS].sort_values(
        ["evidence", "order"], ascending=[False, True], kind="stable")
    short = per.loc[per["words"] < MIN_WORDS].sort_values(
        ["words", "evidence", "order"], ascending=[False, False, True], kind="stable")
    if keep is not None:
        chosen = set(fits.groupby("code", sort=False).head(keep).index) | set(
            short.groupby("code", sort=False).head(keep).index)
        frame = frame.loc[frame["passage"].isin(chosen)]
    frame = frame.sort_values(["passage", "order"], kind="stable")
    return list(frame[["code", "passage", "order", "segment", "text", "speaker",
                       "group"]].itertuples(index=False, name=None))


def _pick(rows: list[tuple[Any, ...]], codes: Sequence[str],
          evidence: Mapping[tuple[int, str], float],
          used: set[int]) -> tuple[dict[str, tuple[Quote, ...]], list[str]]:
    """One quote per code from its candidate rows, codes with the fewest candidates first;
    ``used`` (segments already quoted) grows. Also returns the codes that had candidates."""
    candidates: dict[str, list[_Window]] = {}
    about: dict[int, tuple[str, str]] = {}
    start = 0
    while start < len(rows):  # plain lists, not a pandas groupby: 100,000 passages or more
        end = start
        while end < len(rows) and rows[end][1] == rows[start][1]:
            end += 1
        run = rows[start:end]
        code, order = run[0][0], int(run[0][2])
        about[order] = (run[0][5], run[0][6])
        scores = {int(r[3]): evidence.get((int(r[3]), code), 0.0) for r in run}
        candidates.setdefault(code, []).extend(
            _windows([(int(r[3]), r[4]) for r in run], scores, order))
        start = end
    picked: dict[str, tuple[Quote, ...]] = {}
    for code in sorted(candidates, key=lambda c: (len(candidates[c]), codes.index(c))):
        best = _best(candidates[code], used)
        if best is None:
            continue
        window, rule = best
        used.update(window.segments)
        speaker, group = about[window.order]
        picked[code] = (Quote(window.text, speaker, group, window.segments[0], False, rule),)
    return picked, list(candidates)


def choose_quotes(applied: pd.DataFrame, marked_ids: frozenset[int],
                  text_of: Callable[[pd.DataFrame], list[str]], codes: Sequence[str],
                  evidence: Mapping[tuple[int, str], float]) -> dict[str, tuple[Quote, ...]]:
    """Each code's illustrative quotes (see the module's rule) from one coder's applied
    codes (:class:`qualkit.report.analysis.CodingData`'s ``applied``), the segments they
    marked as quotes, and ``text_of`` (the text of each row's segment); ``evidence`` scores
    a (segment id, code id) pair, missing pairs score 0."""
    chosen: dict[str, tuple[Quote, ...]] = {}
    used: set[int] = set()
    if marked_ids:
        marked = applied.loc[applied["segment_id"].isin(marked_ids)
                             & applied["code_id"].isin(codes)]
        texts = text_of(marked)
        for row, text in zip(marked.itertuples(index=False), texts, strict=True):
            mine = chosen.get(row.code_id, ())
            if row.segment_id in used or len(mine) >= MARKED_QUOTES:
                continue
            used.add(row.segment_id)
            chosen[row.code_id] = (*mine, Quote(text, str(row.speaker), str(row.group),
                                                int(row.segment_id), True))
    spoken = applied.loc[~applied["moderator"] & applied["code_id"].isin(codes)
                         & ~applied["code_id"].isin(list(chosen))]
    if spoken.empty:
        return chosen
    texts = text_of(spoken)
    picked, tried = _pick(_finalists(spoken, texts, evidence, FINALISTS), codes, evidence,
                          used)
    # A code whose finalists were all taken by other codes tries every passage it has.
    short = [c for c in tried if c not in picked]
    if short:
        again = spoken["code_id"].astype(str).isin(short).to_numpy()
        more, _ = _pick(_finalists(spoken.loc[again], [t for t, a in zip(texts, again,
                                                                          strict=True) if a],
                                   evidence, None), codes, evidence, used)
        picked.update(more)
    chosen.update(picked)
    return chosen
