"""Inter-coder agreement over a project's segments: what ``qualkit agree`` reports.

The statistics themselves are the pure functions of :mod:`qualkit.agreement`; this
module decides what the units and categories are, so that every caller (the command, the report)
counts the same way:

* **Units** are the segments that *every* chosen coder reviewed. A segment someone did not
  review is missing data, not a "no", and is left out rather than guessed; the result says
  how many were left out and who had not reviewed them. Because every compared segment is
  rated by every coder, no coefficient has to deal with missing ratings here.
* **Per code**, each coder's rating of a segment is binary: 1 if the coder applied the code,
  0 if they reviewed the segment and did not (including "reviewed, none apply"). Both
  categories are declared, so a code nobody used still has *q* = 2.
* **Pooled**, every (segment, code) pair is one unit with the same two categories: the
  codes' ratings matrices stacked. Its percent agreement is the mean of the per-code ones;
  its chance terms come from the pooled shares of "present".
* **Per transcript**, as MAXQDA's "code existence in the document": a code counts for a
  transcript when at least one coder applied it to a compared segment of it, and agrees
  when every coder did. Codes nobody applied in a transcript are not counted.
* **Bootstrap** intervals resample *segments* with replacement (the same resamples for every
  code and for the pooled row, which takes all codes of each drawn segment), then take
  percentile intervals exactly as :func:`qualkit.agreement.combine.bootstrap_ci` does.

Nothing here prints or exits; the CLI and the report render the dataclasses.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qualkit.errors import NotFoundError, QualkitError, did_you_mean
from qualkit.model import CONSENSUS, Codebook, natural_key

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from qualkit.agreement.encoding import CodedRatings
    from qualkit.store import Store

__all__ = [
    "COEFFICIENTS",
    "CodeAgreement",
    "PairKappa",
    "ProjectAgreement",
    "TranscriptPresence",
    "agreement_from_presence",
    "agreement_summary",
    "choose_coders",
    "compared_segments",
    "project_agreement",
]

COEFFICIENTS: tuple[str, ...] = (
    "percent_agreement",
    "positive_agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "gwet_ac1",
    "brennan_prediger",
)
"""The coefficients reported per code and pooled, in display order (keys of ``values``).
``cohen_kappa`` is present only for exactly two coders; for more, see ``pairwise``."""

CONFIDENCE = 0.95
POOLED = "(pooled)"


@dataclass(frozen=True)
class PairKappa:
    """Cohen's kappa of one pair of coders."""

    coder_a: str
    coder_b: str
    kappa: float


@dataclass(frozen=True)
class CodeAgreement:
    """Agreement on one code (or, with ``code_id`` ``"(pooled)"``, on all codes at once).

    ``values`` maps each name of :data:`COEFFICIENTS` that applies to its value (NaN where
    undefined); ``intervals`` the same names to 95% bootstrap intervals when asked for.
    ``present[i]`` is how many compared segments coder ``i`` applied the code to.
    ``transcripts_used`` / ``transcripts_agreed``: the per-transcript presence counts.
    """

    code_id: str
    name: str
    present: tuple[int, ...]
    values: Mapping[str, float]
    pairwise: tuple[PairKappa, ...]
    transcripts_used: int
    transcripts_agreed: int
    intervals: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def alpha(self) -> float:
        return self.values["krippendorff_alpha"]


@dataclass(frozen=True)
class TranscriptPresence:
    """MAXQDA-style "code present / absent in the document" for one transcript."""

    transcript: str
    codes_used: int
    codes_agreed: int
    disagreed: tuple[str, ...]

    @property
    def share(self) -> float:
        return self.codes_agreed / self.codes_used if self.codes_used else math.nan


@dataclass(frozen=True)
class ProjectAgreement:
    """Everything ``qualkit agree`` reports, as data."""

    coders: tuple[str, ...]
    segments_total: int
    segments_compared: int
    not_reviewed_by: Mapping[str, int]
    segments_identical: int
    codes: tuple[CodeAgreement, ...]
    pooled: CodeAgreement
    transcripts: tuple[TranscriptPresence, ...]
    bootstrap: int = 0
    seed: int = 0

    @property
    def segments_left_out(self) -> int:
        return self.segments_total - self.segments_compared

    def below(self, min_alpha: float) -> list[CodeAgreement]:
        """Codes whose alpha is under ``min_alpha``, or undefined (it cannot be shown to
        reach it: a code nobody applied has shown no reliability)."""
        return [c for c in self.codes if math.isnan(c.alpha) or c.alpha < min_alpha]


# --------------------------------------------------------------------------- from the store


def choose_coders(store: Store, names: Sequence[str] | None = None) -> tuple[str, ...]:
    """The coders to compare: those named, or everyone who coded except ``consensus``
    (an adjudicated version is not an independent coder)."""
    known = store.coders()
    if names:
        chosen: list[str] = []
        for name in names:
            if name not in known:
                listing = ", ".join(known) or "none yet"
                hint = did_you_mean(name, known)
                raise NotFoundError(f"no coder named {name!r}{hint or f'; coders: {listing}'}")
            if name in chosen:
                raise QualkitError(f"coder {name!r} is named twice in --coders")
            chosen.append(name)
    else:
        chosen = [name for name in known if name != CONSENSUS]
    if len(chosen) < 2 and names:
        raise QualkitError(f"agreement needs at least two coders; --coders names only "
                           f"{chosen[0]}")
    if len(chosen) < 2:
        have = f"only {chosen[0]} has" if chosen else "nobody has"
        raise QualkitError(f"agreement needs at least two coders; {have} coded (import "
                           "another coder's decisions with `qualkit codings import FILE "
                           "--coder NAME`)")
    return tuple(chosen)


def compared_segments(store: Store, coders: Sequence[str]
                      ) -> tuple[list[Any], dict[str, dict[int, frozenset[str]]],
                                 dict[str, int], int]:
    """(segments every coder reviewed in reading order, each coder's codes by segment id,
    segments each coder had not reviewed, all segments)."""
    codings = {c: {s: cod.codes for s, cod in store.codings(c).items()} for c in coders}
    segments = store.segments()
    compared = [s for s in segments if all(s.id in codings[c] for c in coders)]
    missing = {c: sum(1 for s in segments if s.id not in codings[c]) for c in coders}
    return compared, codings, missing, len(segments)


def project_agreement(store: Store, codebook: Codebook, coders: Sequence[str] | None = None,
                      bootstrap: int = 0, seed: int = 0,
                      progress: Callable[[int, int], None] | None = None) -> ProjectAgreement:
    """Agreement of the chosen coders over the segments they all reviewed; ``progress``
    is called with (replicates done, replicates) during a bootstrap."""
    import numpy as np

    chosen = choose_coders(store, coders)
    compared, codings, missing, total = compared_segments(store, chosen)
    if not compared:
        raise QualkitError(f"no segment was reviewed by all of {', '.join(chosen)}; "
                           "agreement needs segments every chosen coder reviewed")
    code_ids = [c.id for c in codebook.codes]
    names = {c.id: c.name for c in codebook.codes}
    used = {code for c in chosen for s in compared for code in codings[c][s.id]}
    code_ids += sorted(used - set(code_ids))  # codes of an older codebook version
    index = {code: k for k, code in enumerate(code_ids)}
    presence = np.zeros((len(code_ids), len(compared), len(chosen)), dtype=np.int64)
    for j, coder in enumerate(chosen):
        mine = codings[coder]
        for i, seg in enumerate(compared):
            for code in mine[seg.id]:
                presence[index[code], i, j] = 1
    names_by_tid = {t.id: t.name for t in store.transcripts()}
    transcript_names = sorted({names_by_tid[s.transcript_id] for s in compared},
                              key=natural_key)
    tindex = {name: k for k, name in enumerate(transcript_names)}
    transcript_of = np.array([tindex[names_by_tid[s.transcript_id]] for s in compared],
                             dtype=np.int64)
    return agreement_from_presence(
        presence, chosen, [(code, names.get(code, code)) for code in code_ids],
        transcript_of, transcript_names, segments_total=total, not_reviewed_by=missing,
        bootstrap=bootstrap, seed=seed, progress=progress)


def agreement_summary(store: Store, codebook: Codebook) -> ProjectAgreement | None:
    """The report's agreement section: every coder except ``consensus``, no bootstrap; None
    when fewer than two coders coded or they share no reviewed segment."""
    coders = [c for c in store.coders() if c != CONSENSUS]
    if len(coders) < 2:
        return None
    try:
        return project_agreement(store, codebook, coders)
    except QualkitError:
        return None


# --------------------------------------------------------------------------- the computation


def _values(coded: CodedRatings) -> dict[str, float]:
    from qualkit.agreement import coefficients as ag

    values = {"percent_agreement": ag.percent_agreement(coded),
              "positive_agreement": ag.positive_agreement(coded, positive=1)}
    if coded.n_coders == 2:
        values["cohen_kappa"] = ag.cohen_kappa(coded)
    values["fleiss_kappa"] = ag.fleiss_kappa(coded)
    values["krippendorff_alpha"] = ag.krippendorff_alpha(coded)
    values["gwet_ac1"] = ag.gwet_ac1(coded)
    values["brennan_prediger"] = ag.brennan_prediger(coded)
    return values


def _pairs(coded: CodedRatings, coders: Sequence[str]) -> tuple[PairKappa, ...]:
    from qualkit.agreement.coefficients import cohen_kappa

    return tuple(PairKappa(coders[a], coders[b], cohen_kappa(coded.columns([a, b])))
                 for a in range(len(coders)) for b in range(a + 1, len(coders)))


def _interval(replicates: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Percentile interval as :func:`qualkit.agreement.combine.bootstrap_ci` takes it."""
    from qualkit.agreement.combine import percentile_interval

    return percentile_interval(replicates, CONFIDENCE)


def agreement_from_presence(
    presence: npt.NDArray[Any],
    coders: Sequence[str],
    codes: Sequence[tuple[str, str]],
    transcript_of: npt.NDArray[Any],
    transcript_names: Sequence[str],
    *,
    segments_total: int | None = None,
    not_reviewed_by: Mapping[str, int] | None = None,
    bootstrap: int = 0,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> ProjectAgreement:
    """The computation behind :func:`project_agreement`, on plain arrays.

    ``presence[k, i, j]`` is 1 when coder ``j`` applied code ``k`` to compared segment
    ``i``, else 0; ``codes`` gives (id, name) per ``k``; ``transcript_of[i]`` indexes
    ``transcript_names``. Separate from the store so it can be tested and timed on its own.
    """
    import numpy as np

    from qualkit.agreement.encoding import CodedRatings

    if bootstrap < 0 or isinstance(bootstrap, bool):
        raise QualkitError(f"--bootstrap takes a positive number of replicates, not {bootstrap}")
    presence = np.asarray(presence, dtype=np.int64)
    n_codes, n_segments, n_coders = presence.shape
    categories = (0, 1)
    per_code = [CodedRatings(np.ascontiguousarray(presence[k]), categories, "declared")
                for k in range(n_codes)]
    pooled_coded = CodedRatings(presence.reshape(n_codes * n_segments, n_coders), categories,
                                "declared")
    # Per transcript: is code k present anywhere in transcript t for coder j?
    n_transcripts = len(transcript_names)
    in_transcript = np.zeros((n_codes, n_transcripts, n_coders), dtype=np.int64)
    for j in range(n_coders):
        for k in range(n_codes):
            in_transcript[k, :, j] = np.bincount(transcript_of, weights=presence[k, :, j],
                                                 minlength=n_transcripts) > 0
    anyone = in_transcript.any(axis=2)
    everyone = in_transcript.all(axis=2)

    intervals: list[dict[str, tuple[float, float]]] = [{} for _ in range(n_codes + 1)]
    if bootstrap:
        rng = np.random.default_rng(seed)
        names = list(_values(per_code[0]))
        reps = np.empty((n_codes + 1, len(names), bootstrap), dtype=np.float64)
        offsets = np.arange(n_codes, dtype=np.int64)[:, None] * n_segments
        for b in range(bootstrap):
            sample = rng.integers(0, n_segments, size=n_segments)
            for k in range(n_codes):
                reps[k, :, b] = list(_values(per_code[k].take(sample)).values())
            stacked = (offsets + sample[None, :]).ravel()
            reps[n_codes, :, b] = list(_values(pooled_coded.take(stacked)).values())
            if progress is not None:
                progress(b + 1, bootstrap)
        for k in range(n_codes + 1):
            intervals[k] = {name: _interval(reps[k, v]) for v, name in enumerate(names)}

    rows = []
    for k, (code_id, name) in enumerate(codes):
        rows.append(CodeAgreement(
            code_id=code_id, name=name,
            present=tuple(int(x) for x in presence[k].sum(axis=0)),
            values=_values(per_code[k]), pairwise=_pairs(per_code[k], coders),
            transcripts_used=int(anyone[k].sum()), transcripts_agreed=int(everyone[k].sum()),
            intervals=intervals[k]))
    pooled = CodeAgreement(
        code_id=POOLED, name="All codes", present=tuple(int(x) for x in presence.sum(axis=(0, 1))),
        values=_values(pooled_coded), pairwise=_pairs(pooled_coded, coders),
        transcripts_used=int(anyone.sum()), transcripts_agreed=int(everyone.sum()),
        intervals=intervals[n_codes])
    transcripts = tuple(
        TranscriptPresence(
            transcript=transcript_names[t], codes_used=int(anyone[:, t].sum()),
            codes_agreed=int(everyone[:, t].sum()),
            disagreed=tuple(codes[k][0] for k in range(n_codes)
                            if anyone[k, t] and not everyone[k, t]))
        for t in range(n_transcripts))
    identical = int((presence.min(axis=2) == presence.max(axis=2)).all(axis=0).sum())
    return ProjectAgreement(
        coders=tuple(coders),
        segments_total=n_segments if segments_total is None else segments_total,
        segments_compared=n_segments,
        not_reviewed_by=dict(not_reviewed_by or {c: 0 for c in coders}),
        segments_identical=identical, codes=tuple(rows), pooled=pooled,
        transcripts=transcripts, bootstrap=bootstrap, seed=seed)
