"""The CLI's options, fuzzed (issue 10): every command gets random combinations of its own
options with hostile values (negative and huge numbers, empty and unknown names, broken
regular expressions, paths that don't exist or are folders). Whatever the mix, qualkit
answers with success, exit 1 where that is a documented verdict (privacy gate, agreement
gate), or one `Error:` line and exit 2 — never a traceback, never an internal error.

The options are read from the commands themselves, so a new option is fuzzed the day it
is added.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualkit.cli.app import app
from tests.reliability.conftest import record

pytestmark = pytest.mark.reliability

SKIP = {"tag", "init"}  # `tag` needs a terminal (its own tests drive it); `init` makes dirs
SHARED = {"project", "quiet", "verbose", "debug", "help"}
TEXT = st.one_of(
    st.sampled_from(["", " ", "ana", "ana,ben", ",,", "consensus", "teaching_skills",
                     "clinical", "(", "[a-", "(?P<speaker>", "nominal", "ratio", "turn",
                     "paragraph", "html,md,csv", "pdf", "utf-99", "latin-1", "0", "-1",
                     "1e309", "nan", "../../etc/passwd", "=cmd|'/C calc'!A0", "😀"]),
    st.text(max_size=12))
NUMBER = st.one_of(st.integers(-10, 10), st.integers(-(2**63), 2**63),
                   st.sampled_from([0, 1, 10_000_000]))


def commands() -> list[tuple[str, Any]]:
    """Every leaf command with its full name (typer vendors click, so duck typing)."""
    root = typer.main.get_command(app)
    found: list[tuple[str, Any]] = []

    def walk(prefix: str, command: Any) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(f"{prefix} {name}".strip(), sub)
        elif prefix.split(" ")[0] not in SKIP:
            found.append((prefix, command))

    walk("", root)
    return found


COMMANDS = commands()
TRIED: dict[int, int] = {}  # exit code -> invocations


def value_for(param: Any, paths: list[str]) -> st.SearchStrategy[str]:
    """Values of the option's declared type, mixed with hostile text."""
    annotation = param.type_descriptor.annotation
    text = str(annotation)
    if annotation in (int, float) or "int" in text or "float" in text:
        return st.one_of(NUMBER.map(str), TEXT)
    if "Path" in text:
        return st.sampled_from(paths)
    return TEXT


@st.composite
def invocation(draw: st.DrawFn, command: Any, paths: list[str]) -> list[str]:
    args: list[str] = []
    for param in command.params:
        if param.name in SHARED:
            continue
        if param.param_type_name == "argument":
            if param.required or draw(st.booleans()):
                count = 1 if param.nargs == 1 else draw(st.integers(1, 2))
                args += [draw(value_for(param, paths)) for _ in range(count)]
            continue
        if not draw(st.booleans()):
            continue
        flag = param.opts[0]
        if getattr(param, "is_flag", False):
            args.append(flag)
        else:
            args += [flag, draw(value_for(param, paths))]
    return args


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_random_options(cli, coded_project: Path, tmp_path: Path, name: str,
                        command: Any) -> None:
    assert cli("run", "-p", str(coded_project), "-q").exit_code == 0
    paths = [str(coded_project / "codebooks" / "tiny.yaml"),
             str(coded_project / "transcripts" / "FG1.txt"),
             str(coded_project / "codings" / "ana.csv"),
             str(tmp_path / "missing.csv"), str(tmp_path), str(tmp_path / "out.xlsx"),
             str(tmp_path / "out.qdpx"), str(tmp_path / "out.html")]

    @settings(max_examples=25, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(args=invocation(command, paths))
    def check(args: list[str]) -> None:
        result = cli(*name.split(" "), *args, "-p", str(coded_project))
        TRIED[result.exit_code] = TRIED.get(result.exit_code, 0) + 1
        assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.stderr)
        assert "Traceback" not in result.stderr, args
        assert "unexpectedly" not in result.stderr, (args, result.stderr)

    check()


def teardown_module() -> None:
    record(f"fuzz CLI: {sum(TRIED.values())} invocations of {len(COMMANDS)} commands; exit "
           f"codes {dict(sorted(TRIED.items()))}; no traceback, no internal error")
