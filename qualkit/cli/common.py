"""What every command shares: ``--project``, ``--db``, ``--quiet``, ``--verbose``, ``--debug``,
output.

Commands are registered with :func:`command`, which adds the shared options to the
command's own, so they mean the same everywhere and appear in every command's ``--help``.
A command receives a :class:`Session`: where the project is and how loud to be.
"""

# No `from __future__ import annotations`: typer reads these annotations at runtime.

import functools
import inspect
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, get_type_hints

import typer

from qualkit.errors import QualkitError

ProjectOpt = Annotated[Path, typer.Option(
    "--project", "-p", file_okay=False, help="Project folder (default: the current folder).")]
DbOpt = Annotated[str | None, typer.Option(
    "--db", envvar="QUALKIT_DATABASE_URL", show_envvar=True, metavar="URL",
    help="The project's database: a team's postgresql://USER@HOST/DB, or a SQLite file "
         "(default: `database` in qualkit.toml, else qualkit.db in the project).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v",
                                          help="Say what happens, step by step.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

DEBUG = {"on": False}


@dataclass(frozen=True)
class Session:
    project_dir: Path
    quiet: bool = False
    verbose: bool = False

    def project(self) -> Any:
        from qualkit.project import find

        return find(self.project_dir)

    def say(self, message: str = "") -> None:
        """A normal message: results and next steps. Silent with --quiet."""
        if not self.quiet:
            typer.echo(message)

    def detail(self, message: str) -> None:
        """Only with --verbose."""
        if self.verbose and not self.quiet:
            typer.echo(message, err=True)

    def warn(self, message: str) -> None:
        typer.echo(f"Warning: {message}", err=True)

    def json(self, value: Any) -> None:
        typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))

    @contextmanager
    def progress(self, label: str) -> Iterator[Callable[[int, int], None] | None]:
        """A progress bar on a terminal; nothing in a pipe or with --quiet."""
        if self.quiet or not sys.stderr.isatty():
            yield None
            return
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task(label, total=None)

            def update(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            yield update


def _configure_logging(quiet: bool, verbose: bool) -> None:
    level = logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING
    logger = logging.getLogger("qualkit")
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)


_COMMON = {
    "project": (ProjectOpt, Path(".")),
    "db": (DbOpt, None),
    "quiet": (QuietOpt, False),
    "verbose": (VerboseOpt, False),
    "debug": (DebugOpt, False),
}


def command(group: typer.Typer, name: str, **kwargs: Any) -> Callable[[Callable[..., Any]],
                                                                         Callable[..., Any]]:
    """Register ``func(session, ...)`` as a command with the shared options added."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        hints = get_type_hints(func, include_extras=True)
        own = [p.replace(annotation=hints.get(p.name, p.annotation))
               for p in inspect.signature(func).parameters.values() if p.name != "session"]
        shared = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a)
                  for n, (a, d) in _COMMON.items()]

        @functools.wraps(func)
        def run(**values: Any) -> Any:
            DEBUG["on"] = values.pop("debug")
            session = Session(project_dir=values.pop("project"), quiet=values.pop("quiet"),
                              verbose=values.pop("verbose"))
            _configure_logging(session.quiet, session.verbose)
            database = values.pop("db")
            if database is None:
                return func(session, **values)
            from qualkit.project import use_database

            with use_database(database):
                return func(session, **values)

        run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + shared)
        group.command(name, **kwargs)(run)
        return func

    return decorate


def fail(message: str) -> QualkitError:
    """For argument problems typer cannot check itself."""
    return QualkitError(message)
