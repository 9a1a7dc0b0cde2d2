"""The benchmark harness at its smoke size, so it cannot rot; and its generators.

No timing is asserted (machines differ): only that every figure is measured, with sane
numbers, and that the generated corpora and coders behave as their docstrings promise.
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml

from benchmarks.coders import decisions, ratings
from benchmarks.corpus import MODERATOR, SAMPLE_CODEBOOK, SAMPLE_TRANSCRIPTS, generate_corpus
from benchmarks.figures import FIGURES
from benchmarks.run import record

REPO = Path(__file__).resolve().parent.parent
LABEL = re.compile(r"^\[(\d{2}:\d{2}:\d{2})\] (\S+): (\S.*)$")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    work = tmp_path_factory.mktemp("bench")
    out = work / "smoke.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--size", "smoke", "--workdir", str(work),
         "--json", str(out)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(out.read_text(encoding="utf-8")), proc.stdout


def test_smoke_run_prints_a_row_for_every_figure(smoke: tuple[dict, str]) -> None:
    data, stdout = smoke
    figures = {f["key"]: f for f in data["figures"]}
    assert list(figures) == list(FIGURES)
    rows = [line for line in stdout.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[0].startswith("| figure | qualkit | baseline (same run) | ratio |")
    assert [row.split(" | ")[0][2:] for row in rows[1:]] == [f["title"] for f in figures.values()]
    assert "Machine: " in stdout


def test_smoke_numbers_are_sane(smoke: tuple[dict, str]) -> None:
    figures = {f["key"]: f for f in smoke[0]["figures"]}
    for key, figure in figures.items():
        assert figure["value"] is not None and math.isfinite(figure["value"]), key
        assert figure["value"] > 0, key
        assert 1 < figure["peak_mib"] < 4096, key
        assert all(run["ok"] for runs in figure["raw"].values() for run in runs), key
    for key in ("startup", "import", "suggest"):
        assert figures[key]["baseline"] > 0
        assert figures[key]["ratio"] == pytest.approx(
            figures[key]["baseline"] / figures[key]["value"] if key != "startup"
            else figures[key]["value"] / figures[key]["baseline"])
    corpus = figures["import"]["context"]
    imported = figures["import"]["raw"]["qualkit"][0]
    assert corpus["words"] >= 6000
    assert imported["transcripts"] == corpus["files"]
    # The sentencizer and the generator need not cut every sentence alike, but nearly.
    assert imported["segments"] == pytest.approx(corpus["sentences"], rel=0.1)
    suggested = figures["suggest"]["raw"]["qualkit"][0]
    assert suggested["segments"] == pytest.approx(corpus["participant_sentences"], rel=0.1)
    assert suggested["suggestions"] > 0 and suggested["codes"] == 100
    assert figures["report"]["context"]["coded"] == 300
    assert figures["report"]["raw"]["qualkit"][0]["files"] >= 1


def test_agreement_baseline_runs_or_is_marked_pending(smoke: tuple[dict, str]) -> None:
    agreement = next(f for f in smoke[0]["figures"] if f["key"] == "agreement")
    if importlib.util.find_spec("krippendorff") is None:
        assert agreement["baseline"] is None
        assert agreement["note"].startswith("baseline pending")
        return
    assert agreement["baseline"] > 0
    # Two independent implementations on the same matrices: the same alpha.
    ours = agreement["raw"]["qualkit"][0]["mean_alpha"]
    theirs = agreement["raw"]["baseline"][0]["mean_alpha"]
    assert ours == pytest.approx(theirs, abs=1e-9)
    assert agreement["note"] == ""


def _sample_talk() -> list[tuple[str, str]]:
    turns = []
    for path in sorted(SAMPLE_TRANSCRIPTS.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = LABEL.match(line)
            if match:
                turns.append((match[2], match[3]))
    return turns


def _keyword_rate(turns: list[tuple[str, str]], keywords: set[str]) -> float:
    words = [w.strip(".,;:!?\"'()[]").lower() for _, talk in turns for w in talk.split()]
    counts = Counter(words)
    return 1000 * sum(counts[k] for k in keywords) / len(words)


def test_generated_corpus_reads_like_the_sample(tmp_path: Path) -> None:
    manifest = generate_corpus(tmp_path, words=60_000, seed=3)
    roster = (tmp_path / "transcripts" / "participants.csv").read_text().splitlines()
    speakers = {line.split(",")[0] for line in roster[1:]}
    turns = []
    for path in sorted((tmp_path / "transcripts").glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line:
                match = LABEL.match(line)
                assert match, f"{path.name}: a line that is not a labelled turn"
                assert match[2] in speakers
                turns.append((match[2], match[3]))
    assert sum(len(talk.split()) for _, talk in turns) == manifest.words >= 60_000
    assert len(turns) == manifest.turns
    sample = _sample_talk()

    def moderator_share(ts: list[tuple[str, str]]) -> float:
        return sum(s == MODERATOR for s, _ in ts) / len(ts)

    assert moderator_share(turns) == pytest.approx(moderator_share(sample), abs=0.04)
    book = yaml.safe_load(SAMPLE_CODEBOOK.read_text(encoding="utf-8"))
    keywords = {k.lower() for t in book["themes"] for c in t["codes"]
                for k in c["keywords"] if " " not in k}
    assert 0.6 < _keyword_rate(turns, keywords) / _keyword_rate(sample, keywords) < 1.6


def test_generated_codebook_has_100_valid_codes(tmp_path: Path) -> None:
    from qualkit.codebook.load import load_codebook

    generate_corpus(tmp_path, words=2_000, seed=1, group_words=(1_000, 1_000))
    codebook, _ = load_codebook(tmp_path / "codebooks" / "bench.yaml")
    assert len(codebook.codes) == 100
    assert all(code.keywords for code in codebook.codes)


def _scotts_pi(a: np.ndarray, b: np.ndarray) -> float:
    """Scott (1955): (P_o - P_e) / (1 - P_e), P_e from the two coders' pooled shares."""
    observed = float(np.mean(a == b))
    p = float(np.mean(np.concatenate([a, b])))
    expected = p * p + (1 - p) * (1 - p)
    return (observed - expected) / (1 - expected)


@pytest.mark.parametrize("agreement", [1.0, 0.8, 0.5, 0.0])
def test_coders_agree_as_the_model_says(agreement: float) -> None:
    # Each coder is right with probability a, else guesses with the code's prevalence, so
    # a pair agrees beyond chance only when neither guessed: expected pi = a².
    applied, reviewed = decisions(40_000, 2, 2, agreement, seed=7)
    assert reviewed.all()
    matrix = ratings(applied, reviewed, 0)
    assert _scotts_pi(matrix[:, 0], matrix[:, 1]) == pytest.approx(agreement**2, abs=0.03)


def test_missing_reviews_are_nan_not_no() -> None:
    applied, reviewed = decisions(10_000, 3, 3, 0.8, seed=2, missing=0.1)
    matrix = ratings(applied, reviewed, 1)
    assert np.isnan(matrix).mean() == pytest.approx(0.1, abs=0.01)
    assert set(np.unique(matrix[~np.isnan(matrix)])) <= {0.0, 1.0}


def test_record_replaces_only_its_own_section(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text("# Results\n\nIntro.\n", encoding="utf-8")
    record("1m", "first 1m", results)
    record("10m", "first 10m", results)
    record("1m", "second 1m", results)
    text = results.read_text(encoding="utf-8")
    assert text.startswith("# Results\n\nIntro.\n")
    assert "second 1m" in text and "first 10m" in text and "first 1m" not in text
    assert text.index("results:1m") < text.index("results:10m")
