"""``qualkit codebook check|show|convert|diff|load``: the codebook as a file people edit.

``check`` lists every problem as ``file:line:column: message`` on stderr, one per line, so
an editor or CI log can jump to each; the other commands print the same list when the
codebook they read is invalid. Nothing heavy is imported until a command runs.
"""

from pathlib import Path
from typing import Annotated, Any

import typer

from qualkit.cli.common import JsonOpt, Session, command
from qualkit.errors import ExitCode

codebook_app = typer.Typer(help="Codebooks: check, show, convert and compare them.",
                           no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(
    exists=True, dir_okay=False, help="Codebook file: .yaml, .qdc, .csv or .xlsx.")]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _read(session: Session, path: Path) -> Any:
    """Read and check a codebook, or list every problem and exit 2."""
    from qualkit.codebook.formats import read_codebook
    from qualkit.codebook.load import CodebookError

    try:
        read = read_codebook(path)
    except CodebookError as err:
        for line in err.lines():
            typer.echo(line, err=True)
        raise typer.Exit(ExitCode.USAGE) from None
    for note in read.notes:
        session.warn(note)
    return read


def _summary(content: dict[str, Any]) -> dict[str, int]:
    from qualkit.codebook.load import iter_codes

    codes = [c for c, _ in iter_codes(content)]
    return {"themes": len(content["themes"]), "codes": len(codes),
            "keywords": sum(len(c["keywords"]) for c in codes),
            "patterns": sum(len(c.get("patterns", [])) for c in codes),
            "examples": sum(len(c["examples"]) for c in codes)}


def _code_line(code: dict[str, Any]) -> str:
    parts = [_plural(len(code["keywords"]), "keyword")]
    if code.get("patterns"):
        parts.append(_plural(len(code["patterns"]), "pattern"))
    parts.append(_plural(len(code["examples"]), "example"))
    if code.get("codes"):
        parts.append(_plural(len(code["codes"]), "sub-code"))
    return f"{code['name']} [{code['id']}]: {', '.join(parts)}"


def tree_lines(content: dict[str, Any], version: str) -> list[str]:
    """The codebook as an indented tree with counts."""
    counts = _summary(content)
    label = f" (label {content['label']})" if content.get("label") else ""
    lines = [content["name"],
             f"version {version}{label}, unit: {content['unit']}, "
             f"{_plural(counts['themes'], 'theme')}, {_plural(counts['codes'], 'code')}, "
             f"{_plural(counts['keywords'], 'keyword')}"]

    def walk(codes: list[dict[str, Any]], prefix: str) -> None:
        for i, code in enumerate(codes):
            last = i == len(codes) - 1
            lines.append(f"{prefix}{'└── ' if last else '├── '}{_code_line(code)}")
            walk(code.get("codes", []), prefix + ("    " if last else "│   "))

    for t, theme in enumerate(content["themes"]):
        last = t == len(content["themes"]) - 1
        lines.append(f"{'└── ' if last else '├── '}{theme['name']} [{theme['id']}]: "
                     f"{_plural(len(theme['codes']), 'code')}")
        walk(theme["codes"], "    " if last else "│   ")
    return lines


def change_lines(changes: Any) -> list[str]:
    lines = []
    if changes.added:
        lines.append(f"Added: {', '.join(changes.added)}")
    if changes.removed:
        lines.append(f"Removed: {', '.join(changes.removed)}")
    if changes.renamed:
        lines.append("Renamed: " + ", ".join(f"{a} → {b}" for a, b in changes.renamed))
    if changes.redefined:
        lines.append("Redefined: " + ", ".join(f"{c} ({', '.join(f)})"
                                               for c, f in changes.redefined))
    return lines


def register(app: typer.Typer) -> None:
    app.add_typer(codebook_app, name="codebook")

    @command(codebook_app, "check")
    def check(session: Session, file: FileArg) -> None:
        """Check a codebook; list every problem as file:line:column: message (exit 2)."""
        read = _read(session, file)
        for line in read.checked.warning_lines():
            typer.echo(line, err=True)
        counts = _summary(read.checked.content)
        session.say(f"{file}: valid; {_plural(counts['themes'], 'theme')}, "
                    f"{_plural(counts['codes'], 'code')}, version "
                    f"{read.checked.codebook.version}.")

    @command(codebook_app, "show")
    def show(session: Session, file: FileArg, as_json: JsonOpt = False) -> None:
        """Show a codebook as a tree of themes and codes, with counts."""
        read = _read(session, file)
        content, book = read.checked.content, read.checked.codebook
        if as_json:
            session.json({"version": book.version, "counts": _summary(content), **content})
            return
        for line in tree_lines(content, book.version):
            session.say(line)

    @command(codebook_app, "convert")
    def convert(session: Session, source: FileArg,
                target: Annotated[Path, typer.Argument(
                    dir_okay=False,
                    help="Output file: .yaml, .qdc, .csv, .xlsx or .md (by extension).")],
                force: Annotated[bool, typer.Option(
                    "--force", help="Replace the output file if it exists.")] = False) -> None:
        """Convert a codebook between formats; warns about what the output cannot carry."""
        from qualkit.codebook.formats import write_codebook
        from qualkit.errors import QualkitError

        if target.exists() and target.resolve() == source.resolve():
            raise QualkitError(f"{target}: the output is the input; name another file")
        if target.exists() and not force:
            raise QualkitError(f"{target} exists; pass --force to replace it")
        read = _read(session, source)
        for note in write_codebook(read.checked.content, target):
            session.warn(note)
        counts = _summary(read.checked.content)
        session.say(f"Wrote {target}: {_plural(counts['themes'], 'theme')}, "
                    f"{_plural(counts['codes'], 'code')}.")

    @command(codebook_app, "diff")
    def diff(session: Session, old: FileArg, new: FileArg, as_json: JsonOpt = False) -> None:
        """What changed between two codebooks: codes added, removed, renamed, redefined."""
        from qualkit.codebook.versions import diff_codebooks

        before = _read(session, old).checked.codebook
        after = _read(session, new).checked.codebook
        changes = diff_codebooks(before, after)
        if as_json:
            session.json({"old": before.version, "new": after.version, **changes.as_json()})
            return
        session.say(f"{old} (version {before.version}) → {new} (version {after.version})")
        for line in change_lines(changes) or ["No code changed."]:
            session.say(line)

    @command(codebook_app, "load")
    def load(session: Session,
             file: Annotated[Path | None, typer.Argument(
                 exists=True, dir_okay=False,
                 help="Codebook file (default: the project's codebook).")] = None,
             as_json: JsonOpt = False) -> None:
        """Make a codebook the project's active one and show what changed for its codings."""
        from qualkit.codebook.load import CodebookError
        from qualkit.codebook.versions import default_codebook_file, load_into_project

        project = session.project()
        path = file or default_codebook_file(project)
        try:
            with project.open_store() as store:
                result = load_into_project(store, project, path)
        except CodebookError as err:
            for line in err.lines():
                typer.echo(line, err=True)
            raise typer.Exit(ExitCode.USAGE) from None
        book = result.codebook
        if as_json:
            session.json({"version": book.version, "new": result.new,
                          "previous": result.previous.version if result.previous else None,
                          "changes": result.changes.as_json(),
                          "carried": dict(result.carried), "kept": dict(result.kept)})
            return
        state = "new" if result.new else "already stored"
        session.say(f"Codebook: {book.name} ({_plural(len(book.codes), 'code')}, version "
                    f"{book.version}, {state}; active).")
        if result.previous is None or result.previous.version == book.version:
            return
        session.say(f"Changes since version {result.previous.version}:")
        for line in change_lines(result.changes) or ["No code changed."]:
            session.say(f"  {line}")
        for old, count in result.carried.items():
            session.say(f"  Codings carried over: {old} → "
                        f"{dict(result.changes.renamed).get(old, '?')} "
                        f"({_plural(count, 'coded segment')})")
        for code, count in result.kept.items():
            session.warn(f"code `{code}` is no longer in the codebook; its "
                         f"{_plural(count, 'coded segment')} stay in the log under `{code}`")
