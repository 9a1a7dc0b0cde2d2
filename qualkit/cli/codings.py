"""``qualkit codings import``: a coder's decisions from a file."""

from pathlib import Path
from typing import Annotated, Any

import typer

from qualkit.cli.common import JsonOpt, Session, command

codings_app = typer.Typer(help="Coders' decisions kept in files.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(codings_app, name="codings")

    @command(codings_app, "import")
    def import_codings(session: Session,
                       file: Annotated[Path, typer.Argument(
                           exists=True, dir_okay=False,
                           help="CSV with transcript, speaker, quote, codes, memo; or a "
                                "coded-segment table exported by MAXQDA, ATLAS.ti, NVivo, "
                                "Dedoose or Delve (.csv, .tsv, .txt or .xlsx).")],
                       coder: Annotated[str | None, typer.Option(
                           help="Coder name (default: the file name).")] = None,
                       partial: Annotated[bool, typer.Option(
                           "--partial", help="Apply the valid rows and write the refused "
                                             "ones, with the reason per row, to "
                                             "FILE.refused.csv (by default nothing is "
                                             "applied unless every row is valid).")] = False,
                       new_codes: Annotated[bool, typer.Option(
                           "--new-codes", help="Add codes the codebook lacks as inductive "
                                               "codes (a new codebook version).")] = False,
                       min_score: Annotated[float, typer.Option(
                           min=50, max=100, help="Lowest score (0-100) at which an edited "
                                                 "quote is placed approximately.")] = 90.0,
                       reviewed_in_full: Annotated[bool, typer.Option(
                           "--reviewed-in-full", help="Count transcripts with refused rows as "
                                                      "reviewed in full all the same (their "
                                                      "untouched segments become \"none "
                                                      "apply\").")] = False,
                       refused: Annotated[Path | None, typer.Option(
                           dir_okay=False, help="Where --partial writes the refused rows "
                                                "(default: FILE.refused.csv).")] = None,
                       as_json: JsonOpt = False) -> None:
        """Record a coder's decisions from a table of quoted passages."""
        from qualkit.codebook.versions import project_codebook
        from qualkit.coding.codings_file import import_codings_file

        project = session.project()
        with project.open_store() as store:
            result = import_codings_file(store, project, file,
                                         project_codebook(store, project), coder,
                                         partial=partial, new_codes=new_codes,
                                         min_score=min_score,
                                         reviewed_in_full=reviewed_in_full,
                                         refused_file=refused)
        if as_json:
            session.json(_as_json(result))
            return
        if result.skipped_unchanged:
            session.say(f"{file}: unchanged since it was imported for {result.coder}; "
                        "nothing to do.")
            return
        for refusal in result.refused:
            typer.echo(f"{file}:{refusal.line}: {refusal.reason}", err=True)
        for line, score in result.approximate:
            session.detail(f"{file}:{line}: placed, not verbatim (score {score:.0f})")
        if result.new_codes:
            names = ", ".join(f"{name} ({code})" for name, code in result.new_codes.items())
            session.say(f"Added {len(result.new_codes)} inductive code(s) to the codebook "
                        f"(version {result.codebook_version}): {names}.")
        placed = sum(result.placed.values())
        if result.format != "qualkit":
            session.say(f"Read {file} as {result.format}.")
        rules = ", ".join(f"{n} {rule}" for rule, n in sorted(result.placed.items()))
        if placed and (set(result.placed) != {"verbatim"} or result.refused):
            session.say(f"Placed {placed} of {result.rows} row(s): {rules}"
                        + (f"; scores of the anchored and approximate ones {_range(result)}, "
                           "each listed with --verbose" if result.approximate else "") + ".")
        session.say(f"{result.coder}: {result.transcripts} transcript(s) reviewed, "
                    f"{result.segments_coded} segment(s) coded, {result.events} new "
                    "decision(s) recorded.")
        if result.partly_reviewed:
            session.say(f"Partly reviewed (refused rows; only the placed decisions were "
                        f"recorded): {', '.join(result.partly_reviewed)}. Pass "
                        "--reviewed-in-full if the coder reviewed them completely.")
        if result.refused_file is not None:
            session.say(f"{len(result.refused)} problem(s); the refused rows are in "
                        f"{result.refused_file}: fix them there and import that file.")


def _range(result: Any) -> str:
    low, high = (f"{f(score for _, score in result.approximate):.0f}" for f in (min, max))
    return low if low == high else f"{low}-{high}"


def _as_json(result: Any) -> dict[str, Any]:
    return {"coder": result.coder, "format": result.format, "rows": result.rows,
            "unchanged": result.skipped_unchanged, "transcripts": result.transcripts,
            "segments_coded": result.segments_coded, "events": result.events,
            "placed": result.placed,
            "approximate": [{"line": line, "score": score}
                            for line, score in result.approximate],
            "refused": [{"line": r.line, "reason": r.reason} for r in result.refused],
            "refused_file": str(result.refused_file) if result.refused_file else None,
            "partly_reviewed": list(result.partly_reviewed),
            "new_codes": result.new_codes, "codebook_version": result.codebook_version}
