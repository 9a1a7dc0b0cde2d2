"""The ``qualkit`` command: parse, call one library function, print, and map errors.

Errors are turned into exit codes here and only here: a :class:`QualkitError` prints
``Error: <message>`` on stderr and exits 2; anything else is a bug in qualkit and prints a
one-line notice. Tracebacks appear only with ``--debug``, and never with local variables,
which would hold participants' words.
"""

import sys
import traceback

import typer

from qualkit import __version__
from qualkit.cli import (  # one command group per module; add yours on its own line
    agreement,
    codebook,
    codings,
    pipeline,
    privacy,
    project,
    refi,
    report,
    suggest,
    tagging,
    team,
    transcripts,
)
from qualkit.cli.common import DEBUG
from qualkit.errors import ExitCode, QualkitError

app = typer.Typer(
    name="qualkit",
    help="Qualitative coding and thematic analysis of transcripts.\n\n"
         "Start with `qualkit run` in a project folder (import, suggest, report), or "
         "`qualkit init DIR` to make one.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"qualkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    pass


COMMAND_GROUPS = (  # the order of `qualkit --help`; add yours on its own line
    project,
    codebook,
    transcripts,
    privacy,
    suggest,
    codings,
    tagging,
    report,
    refi,
    agreement,
    team,
    pipeline,
)
for group in COMMAND_GROUPS:
    group.register(app)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        code = app(args=argv, standalone_mode=False)
    except QualkitError as err:
        if DEBUG["on"]:
            traceback.print_exc()
        typer.echo(f"Error: {err}", err=True)
        sys.exit(err.exit_code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        typer.echo("Interrupted; every decision recorded so far is saved.", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except typer.TyperException as err:  # usage errors found while parsing arguments
        show = getattr(err, "show", None)
        if show is not None:
            show()
        else:
            typer.echo(f"Error: {err}", err=True)
        sys.exit(ExitCode.USAGE)
    except OSError as err:  # the machine, not qualkit: a full disk, a read-only folder
        if DEBUG["on"]:
            traceback.print_exc()
        where = f"{err.filename}: " if err.filename else ""
        typer.echo(f"Error: {where}{err.strerror or err}; check free space and that the "
                   "folder is writable, then run the command again", err=True)
        sys.exit(ExitCode.USAGE)
    except Exception as err:  # a bug: say so briefly, never dump locals
        if DEBUG["on"]:
            traceback.print_exc()
        typer.echo(f"Error: qualkit failed unexpectedly ({type(err).__name__}). Run the "
                   "command again with --debug and report the traceback.", err=True)
        sys.exit(ExitCode.INTERNAL)
    if isinstance(code, int) and code:  # click returns typer.Exit's code in this mode
        sys.exit(code)
