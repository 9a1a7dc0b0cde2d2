"""The command line's contract: exact messages, exit codes, no tracebacks, fast --help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_missing_project_folder_is_a_one_line_error_with_exit_2(cli, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = cli("status", "--project", str(missing))
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {missing}: no such folder; create a project with "
                             f"`qualkit init {missing}`\n")
    assert result.stdout == ""


def test_folder_that_is_not_a_project(cli, tmp_path: Path) -> None:
    result = cli("status", "-p", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {tmp_path} is not a qualkit project (no qualkit.db, "
                             "codebooks/ or transcripts/); create one with "
                             f"`qualkit init {tmp_path}` or pass --project DIR\n")


def test_malformed_codebook_names_file_line_and_column(cli, project: Path) -> None:
    book = project / "codebooks" / "tiny.yaml"
    book.write_text(book.read_text().replace("keywords: [confident]", "keywrods: [confident]"))
    result = cli("run", "-p", str(project))
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {book}:22:9: unknown key `keywrods` in code "
                             "`self_confidence`; did you mean `keywords`?\n")
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback_but_no_local_variables(cli, tmp_path: Path) -> None:
    result = cli("status", "-p", str(tmp_path / "nowhere"), "--debug")
    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.rstrip().endswith("`qualkit init " + str(tmp_path / "nowhere") + "`")
    assert "locals" not in result.stderr.lower()


def test_unknown_option_is_a_usage_error_with_exit_2(cli) -> None:
    result = cli("status", "--colour")
    assert result.exit_code == 2
    assert "No such option: --colour" in result.stderr


def test_init_creates_a_project(cli, tmp_path: Path) -> None:
    result = cli("init", str(tmp_path / "new"))
    assert result.exit_code == 0
    for folder in ("codebooks", "transcripts", "exports"):
        assert (tmp_path / "new" / folder).is_dir()
    assert (tmp_path / "new" / "qualkit.db").is_file()
    assert result.stdout.startswith(f"Created {tmp_path / 'new'} ")
    again = cli("init", str(tmp_path / "new"), "--quiet")
    assert (again.exit_code, again.stdout) == (0, "")


def test_help_imports_neither_spacy_nor_pandas() -> None:
    code = ("import sys\n"
            "from qualkit.cli.app import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = sorted(m for m in ('spacy', 'pandas', 'sqlalchemy', 'numpy')"
            " if m in sys.modules)\n"
            "print('HEAVY=' + ','.join(heavy))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "Commands:" in out
    assert out.strip().endswith("HEAVY=")


def test_every_command_has_the_shared_options(cli) -> None:
    for command in (["init"], ["status"], ["import"], ["suggest"], ["report"], ["run"],
                    ["codings", "import"]):
        result = cli(*command, "--help")
        assert result.exit_code == 0, command
        for option in ("--project", "--quiet", "--verbose", "--debug"):
            assert option in result.stdout, (command, option)
