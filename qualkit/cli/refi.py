"""``qualkit export FILE.qdpx`` (and the .qdpx half of ``qualkit import``): REFI-QDA
projects for NVivo, ATLAS.ti, MAXQDA, QualCoder and the ``qualitative-coding`` tool."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from qualkit.cli.common import Session, command


class Positions(StrEnum):
    CHARACTERS = "characters"
    UTF16 = "utf16"


SHOWN = 5
"""Source names listed per position convention in the import summary."""


def register(app: typer.Typer) -> None:
    @command(app, "export")
    def export(session: Session,
               file: Annotated[Path, typer.Argument(
                   dir_okay=False, help="The REFI-QDA project to write (FILE.qdpx).")],
               positions: Annotated[Positions, typer.Option(
                   "--positions", case_sensitive=False,
                   help="How selection positions are counted: `characters` (code points, "
                        "as REFI-QDA 1.5 says) or `utf16` (UTF-16 code units, as NVivo "
                        "counts: an emoji is two).")] = Positions.CHARACTERS) -> None:
        """Write the project as a REFI-QDA project (.qdpx) other QDA tools open."""
        from qualkit.refi.export import export_qdpx
        from qualkit.refi.positions import Convention

        project = session.project()
        with project.open_store() as store:
            result = export_qdpx(store, project, file,
                                 Convention(utf16=positions is Positions.UTF16))
        session.say(f"Wrote {file}: {result.transcripts} transcript(s), {result.codes} "
                    f"code(s), {result.coders} coder(s), {result.selections} coded "
                    f"selection(s) with {result.codings} coding(s), {result.memos} memo(s), "
                    f"{result.participants} participant(s).")
        for note in result.notes:
            session.warn(f"not in the file: {note}")


def import_qdpx_command(session: Session, file: Path, *, unit: Any, allow_pii: bool,
                        roster: Path | None, ner: str | None) -> None:
    """``qualkit import FILE.qdpx``: into the --project folder, created when missing or
    empty."""
    from qualkit.refi.import_ import import_into, import_qdpx

    result, created = import_into(
        session.project_dir, file,
        lambda store, project: import_qdpx(store, project, file, unit=unit,
                                           allow_pii=allow_pii, roster=roster, ner=ner))
    if created:
        session.say(f"Created the project {session.project_dir}.")
    book = "no codebook"
    if result.codebook:
        book = f"codebook {result.codebook}" + (
            f" (new: {result.codebook_file})" if result.codebook_file else
            " (new)" if result.codebook_new else " (already in the project)")
    session.say(f"Imported {file}: {len(result.added)} new transcript(s) with "
                f"{result.segments} segments, {len(result.matched)} already in the project; "
                f"{len(result.coders)} coder(s), {result.codings} coding(s) giving "
                f"{result.events} new decision(s); {result.memos} memo(s); "
                f"{result.participants} participant(s); {book}.")
    for label, names in result.positions.items():
        shown = ", ".join(names[:SHOWN]) + (f" and {len(names) - SHOWN} more"
                                            if len(names) > SHOWN else "")
        session.say(f"Positions counted as {label}: {shown}.")
    if result.spans:
        session.say(f"Kept {result.spans} exact selection span(s) that are not one whole "
                    "segment; an export writes them back as they came.")
    for note in result.notes:
        session.warn(note)
