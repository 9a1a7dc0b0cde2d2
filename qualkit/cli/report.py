"""``qualkit report``: the theme report into exports/, in every format a paper needs."""

from typing import Annotated

import typer

from qualkit.cli.common import JsonOpt, Session, command

ALL = "html,md,csv,xlsx,docx,tex"


def register(app: typer.Typer) -> None:
    @command(app, "report")
    def report(session: Session,
               coder: Annotated[list[str] | None, typer.Option(
                   help="Whose decisions (repeatable; default: consensus if it exists, "
                        "else every coder).")] = None,
               by: Annotated[list[str] | None, typer.Option(
                   "--by", help="Break codes down by this participant or transcript "
                                "attribute (repeatable; default: every attribute with at "
                                "most 12 values).")] = None,
               compare: Annotated[list[str] | None, typer.Option(
                   "--compare", help="Compare the groups of this participant or transcript "
                                     "attribute (ATTR, or ATTR:A,B for chosen values in "
                                     "this order) code by code: shares, difference with 95% "
                                     "interval, Fisher's exact or chi-square test, "
                                     "Benjamini-Hochberg adjusted p (exploratory; "
                                     "repeatable).")] = None,
               matrix: Annotated[str, typer.Option(
                   "--matrix", help="Participant-by-code matrix: 'counts' (coded passages) "
                                    "or 'presence' (1/0).")] = "counts",
               format: Annotated[str, typer.Option(
                   "--format", help=f"Comma-separated formats: {ALL}.")] = ALL,
               as_json: JsonOpt = False) -> None:
        """Write the theme report: theme table with quotes, breakdowns, matrices,
        saturation, agreement and a methods paragraph."""
        from qualkit.codebook.versions import project_codebook
        from qualkit.errors import NotFoundError, QualkitError, did_you_mean
        from qualkit.report import FORMATS, build_report, write_report
        from qualkit.report.analysis import report_coders
        from qualkit.report.content import Options
        from qualkit.report.mixed import MEASURES

        formats = list(dict.fromkeys(f.strip().lower() for f in format.split(",")
                                     if f.strip()))
        unknown = [f for f in formats if f not in FORMATS]
        if unknown or not formats:
            raise QualkitError(f"--format takes {','.join(FORMATS)}; not "
                               f"{','.join(unknown) or 'nothing'}")
        if matrix not in MEASURES:
            raise QualkitError(f"--matrix takes {' or '.join(MEASURES)}; not {matrix!r}")
        project = session.project()
        with project.open_store() as store:
            book = project_codebook(store, project)
            known = store.coders()
            chosen = list(dict.fromkeys(coder or report_coders(store)))
            for name in chosen:
                if name not in known:
                    hint = did_you_mean(name, known) or (
                        "; coders: " + (", ".join(known) or "none yet"))
                    raise NotFoundError(f"no coder named {name!r}{hint}")
            if not chosen:
                raise NotFoundError("nobody has coded yet; import a coder's decisions with "
                                    "`qualkit codings import FILE --coder NAME`")
            with session.progress("Analysing") as _:
                built = build_report(store, book, chosen, options=Options(
                    by=by, compare=tuple(compare or ()), measure=matrix))
        with session.progress("Writing the report") as bar:
            files = write_report(built, project.exports, formats, progress=bar)
        if as_json:
            session.json({"coders": chosen, "files": [str(project.relative(p))
                                                      for p in files.paths]})
            return
        for path in files.paths:
            session.say(f"Wrote {project.relative(path)}")
