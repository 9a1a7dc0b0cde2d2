"""Errors a user can act on.

Every failure the user can fix (a malformed file, a missing project, a name that does not
exist) is a :class:`QualkitError` whose message is one line fit to print after ``Error:``.
The CLI maps them to exit code 2 in one place (:mod:`qualkit.cli.app`); nothing below the
CLI prints or exits. Messages name files and line numbers, never transcript text, because
tracebacks and logs end up in bug reports and participants' words must not.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Process exit codes, named so scripts and tests agree on them."""

    OK = 0
    THRESHOLD = 1  # a quality gate (e.g. --min-alpha) was not met
    USAGE = 2  # bad input: a file, an option, a project
    INTERNAL = 70  # a bug in qualkit (EX_SOFTWARE)
    INTERRUPTED = 130


class QualkitError(Exception):
    """A problem the user can fix; ``str(err)`` is the whole message."""

    exit_code: ExitCode = ExitCode.USAGE


class FileError(QualkitError):
    """A file that cannot be read or does not have the expected shape.

    The location is part of the message (``path:line: problem``) so editors can jump to it.
    """

    def __init__(self, path: Path | str, problem: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        self.problem = problem
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {problem}")


class ProblemsError(QualkitError):
    """A file with several problems, all of them listed so one run finds every one."""

    def __init__(self, path: Path, problems: list[str],
                 hint: str = "fix them and import again, or pass --partial to apply the "
                             "valid rows") -> None:
        self.path = path
        self.problems = problems
        head = f"{path}: {len(problems)} problem(s), nothing was applied; {hint}"
        super().__init__("\n  ".join([head, *problems]))


class ProjectError(QualkitError):
    """The folder is not a qualkit project, or its database cannot be used."""


class NotFoundError(QualkitError):
    """A named thing (coder, code, segment, transcript) does not exist in the project."""


class PrivacyError(QualkitError):
    """Identifiable data was found where only pseudonymised data may go."""


def did_you_mean(word: str, choices: Sequence[str], list_all: bool = False,
                 min_similarity: float | None = None) -> str:
    """A hint for a misspelt name: "; did you mean `x`?" (or the choices, or nothing).

    ``min_similarity`` (0-100, plain edit-distance similarity) is for names a user may have
    invented rather than misspelt, such as codes added while coding: a loose match there
    points at an unrelated name, which is worse than no hint.
    """
    from rapidfuzz import fuzz, process

    if min_similarity is not None:
        best = process.extractOne(word, list(choices), scorer=fuzz.ratio,
                                  processor=str.casefold,
                                  score_cutoff=min_similarity) if choices else None
    else:
        best = process.extractOne(word, list(choices), score_cutoff=60) if choices else None
    if best:
        return f"; did you mean `{best[0]}`?"
    return f"; expected one of {', '.join(choices)}" if list_all and choices else ""
