"""The bundled sample study: its promises (issue 2) checked, and the main job run on it."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import pytest

from qualkit.codebook.load import load_codebook
from qualkit.ingest.participants import read_participants
from qualkit.ingest.speakers import parse_turns
from qualkit.normalise import read_text

ROOT = Path(__file__).resolve().parent.parent
TRANSCRIPTS = sorted((ROOT / "transcripts").glob("*.txt"))


def test_roster_has_26_mentors_in_five_groups_and_mentees_in_two() -> None:
    people = read_participants(ROOT / "transcripts" / "participants.csv")
    roles = Counter(p.attributes["role"] for p in people)
    assert roles["mentor"] == 26
    assert roles["mentee"] >= 6
    groups = {p.attributes["role"]: set() for p in people}
    for p in people:
        groups[p.attributes["role"]].add(p.attributes["group"])
    assert len(groups["mentor"]) == 5
    assert len(groups["mentee"]) == 2


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_each_transcript_has_40_to_90_turns_with_a_moderator_and_rostered_speakers(
        path: Path) -> None:
    roster = {p.name: p for p in read_participants(ROOT / "transcripts" / "participants.csv")}
    text, _ = read_text(path)
    turns = parse_turns(text, path)
    assert 40 <= len(turns) <= 90
    speakers = Counter(t.speaker for t in turns)
    assert speakers["Moderator"] >= 5
    assert set(speakers) <= set(roster)
    groups = {roster[s].attributes["group"] for s in speakers if s != "Moderator"}
    assert groups == {path.stem}


def test_codebook_has_three_themes_of_four_to_eight_codes_with_everything_a_coder_needs(
        ) -> None:
    codebook, _ = load_codebook(ROOT / "codebooks" / "mentoring.yaml")
    assert [t.id for t in codebook.themes] == ["professional_growth", "personal_growth",
                                               "mentoring_experience"]
    for theme in codebook.themes:
        assert 4 <= len(theme.codes) <= 8
        for code in theme.codes:
            assert code.definition and code.include and code.exclude
            assert code.keywords and code.examples


def test_two_coders_coded_every_transcript() -> None:
    for coder in ("ana", "ben"):
        with (ROOT / "codings" / f"{coder}.csv").open(encoding="utf-8", newline="") as handle:
            named = {row["transcript"] for row in csv.DictReader(handle)}
        assert named == {p.stem for p in TRANSCRIPTS}


@pytest.mark.slow
def test_main_job_on_the_sample_study(tmp_path: Path, cli) -> None:
    for folder in ("codebooks", "transcripts", "codings"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copy(ROOT / "qualkit.toml", tmp_path / "qualkit.toml")  # names the codebook
    result = cli("run", "-p", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert "Transcripts: 7 imported" in result.stdout
    with (tmp_path / "exports" / "theme_table.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["coder"] for r in rows} == {"ana", "ben"}
    assert len(rows) == 2 * 15
    # Every code was applied by both coders somewhere in the study.
    assert all(int(r["segments"]) > 0 for r in rows)
    # Attribution is by pseudonym and group only.
    assert all(r["quote_source"].split(", ")[1].startswith("FG") for r in rows)
