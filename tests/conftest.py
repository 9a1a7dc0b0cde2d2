"""Shared fixtures: a small hand-written project whose expected counts are known by reading it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qualkit.cli.app import main

CODEBOOK = """\
name: Tiny mentoring codebook
version: 1
unit: sentence
themes:
  - id: professional_growth
    name: Professional growth
    codes:
      - id: teaching_skills
        name: Teaching and explaining
        definition: The mentor teaches or explains.
        keywords: [teach, explain]
      - id: clinical_skills
        name: Clinical skills
        definition: Practising clinical skills.
        keywords: [blood pressure, suture]
  - id: personal_growth
    name: Personal growth
    codes:
      - id: self_confidence
        name: Self-confidence
        definition: Feeling more confident.
        keywords: [confident]
"""

FG1 = """\
[00:00:05] Moderator: Welcome. What did you learn from mentoring?

[00:00:20] P01: I explained the heart exam to my mentee. It made me understand it myself.

[00:00:41] P02: Honestly I felt more confident after a few weeks.
I also practised blood pressure with them.

[00:01:10] P01: The coffee here is terrible.
"""

FG2 = """\
[00:00:05] Moderator: Tell me about your mentor.

[00:00:15] P03: She taught us how to suture on a banana. I was nervous at first.
"""

PARTICIPANTS = """\
participant,group,role,year
Moderator,,moderator,
P01,FG1,mentor,5
P02,FG1,mentor,4
P03,FG2,mentee,1
"""

CODER_A = """\
transcript,speaker,quote,codes,memo
FG1,P01,I explained the heart exam to my mentee.,teaching_skills,
FG1,P02,I felt more confident after a few weeks.,self_confidence,
FG1,P02,I also practised blood pressure with them.,clinical_skills,
FG2,P03,She taught us how to suture on a banana.,teaching_skills;clinical_skills,
"""

CODER_B = """\
transcript,speaker,quote,codes,memo
FG1,P01,I explained the heart exam to my mentee. It made me understand it myself.,teaching_skills,
FG1,P02,I also practised blood pressure with them.,clinical_skills,
FG2,,,,
"""


FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"


@pytest.fixture
def fixture_project(tmp_path: Path):
    """Make a project whose transcripts/ holds the named files of tests/fixtures/."""

    def make(*names: str) -> Path:
        root = tmp_path / "study"
        for folder in ("codebooks", "transcripts", "exports"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copy(FIXTURES / name, root / "transcripts" / name)
        return root

    return make


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with two transcripts, a roster and a codebook (not yet imported)."""
    root = tmp_path / "study"
    for folder in ("codebooks", "transcripts", "exports", "codings"):
        (root / folder).mkdir(parents=True)
    (root / "codebooks" / "tiny.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "transcripts" / "FG1.txt").write_text(FG1, encoding="utf-8")
    (root / "transcripts" / "FG2.txt").write_text(FG2, encoding="utf-8")
    (root / "transcripts" / "participants.csv").write_text(PARTICIPANTS, encoding="utf-8")
    return root


@pytest.fixture
def coded_project(project: Path) -> Path:
    (project / "codings" / "ana.csv").write_text(CODER_A, encoding="utf-8")
    (project / "codings" / "ben.csv").write_text(CODER_B, encoding="utf-8")
    return project


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.exit_code, self.stdout, self.stderr = code, out, err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run ``qualkit ARGS`` in-process through the real entry point (error mapping included)."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as done:
            code = int(done.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture(autouse=True)
def _own_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """A team's QUALKIT_DATABASE_URL in the shell running the tests must not redirect them."""
    monkeypatch.delenv("QUALKIT_DATABASE_URL", raising=False)


@pytest.fixture
def postgres_url():
    """A scratch database on the test server; skips (and says why) where there is none."""
    from tests import postgres

    reason = postgres.missing()
    if reason:
        pytest.skip(reason)
    with postgres.scratch_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test once on each backend: on PostgreSQL every project the test opens (through
    the CLI or :func:`qualkit.project.find`) uses a scratch database on the test server,
    as a team's ``QUALKIT_DATABASE_URL`` would make it."""
    if request.param == "postgresql":
        monkeypatch.setenv("QUALKIT_DATABASE_URL", request.getfixturevalue("postgres_url"))
    return str(request.param)
