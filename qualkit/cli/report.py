"""``qualkit report``: theme tables into exports/."""

from typing import Annotated

import typer

from qualkit.cli.common import Session, command


def register(app: typer.Typer) -> None:
    @command(app, "report")
    def report(session: Session,
               coder: Annotated[list[str] | None, typer.Option(
                   help="Whose decisions (repeatable; default: consensus if it exists, "
                        "else every coder).")] = None,
               format: Annotated[str, typer.Option(
                   "--format", help="Comma-separated: md,csv.")] = "md,csv") -> None:
        """Write the theme table (segments, participants, groups, a quote per code)."""
        from qualkit.analysis import report_coders, theme_table
        from qualkit.codebook_store import project_codebook
        from qualkit.errors import NotFoundError, QualkitError
        from qualkit.report import write_report
        from qualkit.report.render import FORMATS

        formats = [f.strip() for f in format.split(",") if f.strip()]
        unknown = [f for f in formats if f not in FORMATS]
        if unknown or not formats:
            raise QualkitError(f"--format takes {','.join(FORMATS)}; not {','.join(unknown)}")
        project = session.project()
        with project.open_store() as store:
            book = project_codebook(store, project)
            known = store.coders()
            chosen = coder or report_coders(store)
            for name in chosen:
                if name not in known:
                    raise NotFoundError(f"no coder named {name!r}; coders: "
                                        f"{', '.join(known) or 'none yet'}")
            if not chosen:
                raise NotFoundError("nobody has coded yet; import a coder's decisions with "
                                    "`qualkit codings import FILE --coder NAME`")
            tables = [theme_table(store, book, name) for name in chosen]
            files = write_report(store, tables, project.exports, formats)
        for path in files.paths:
            session.say(f"Wrote {project.relative(path)}")
