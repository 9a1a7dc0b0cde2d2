"""``qualkit agreement``, ``agree``, ``disagreements`` and ``adjudicate``."""

import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from qualkit.cli.common import JsonOpt, Session, command

CodersOpt = Annotated[str | None, typer.Option(
    "--coders", help="Comma-separated coders to compare (default: everyone who coded, "
                     "except consensus).")]

SHORT = {"percent_agreement": "Agree", "positive_agreement": "PosAgr",
         "cohen_kappa": "Kappa", "fleiss_kappa": "Fleiss", "krippendorff_alpha": "Alpha",
         "gwet_ac1": "AC1", "brennan_prediger": "BP"}


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()] or None


def _num(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.3f}"


def _null(value: float) -> float | None:
    return None if math.isnan(value) else value


def _table(rows: list[list[str]], right: int = 1) -> list[str]:
    """Columns padded to their widest cell; the first ``right`` columns left-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) if i < right else cell.rjust(w)
                      for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip()
            for row in rows]


def _code_json(row: Any, coders: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {"code": row.code_id, "name": row.name,
                           "present": dict(zip(coders, row.present, strict=True))}
    out.update({key: _null(value) for key, value in row.values.items()})
    out["pairwise_cohen_kappa"] = [{"coders": [p.coder_a, p.coder_b], "kappa": _null(p.kappa)}
                                   for p in row.pairwise]
    out["transcripts"] = {"used": row.transcripts_used, "agreed": row.transcripts_agreed}
    if row.intervals:
        out["ci"] = {key: [_null(low), _null(high)] for key, (low, high) in row.intervals.items()}
    return out


def _left_out(result: Any) -> str:
    left = result.segments_left_out
    if not left:
        return "none left out"
    who = ", ".join(f"{coder} ({n})" for coder, n in result.not_reviewed_by.items() if n)
    return f"{left} left out, not reviewed by {who}"


def register(app: typer.Typer) -> None:
    @command(app, "agreement")
    def agreement(session: Session,
                  file: Annotated[Path, typer.Argument(
                      exists=True, dir_okay=False,
                      help="Ratings CSV: one row per unit, one column per coder, an empty "
                           "cell for a missing rating, optional first column `unit`.")],
                  level: Annotated[str, typer.Option(
                      help="Level of measurement for Krippendorff's alpha: nominal, "
                           "ordinal, interval or ratio.")] = "nominal",
                  weights: Annotated[str | None, typer.Option(
                      help="Weighted Cohen's kappa (two coders): linear or quadratic.")
                  ] = None,
                  categories: Annotated[str | None, typer.Option(
                      help="The full category set in order, comma-separated (unused "
                           "categories still count).")] = None,
                  as_json: JsonOpt = False) -> None:
        """Agreement of a ratings table from any tool (no project needed)."""
        from qualkit.agreement.table_file import LABELS, file_agreement, parse_categories

        result = file_agreement(file, level=level, weights=weights,
                                categories=parse_categories(categories))
        if as_json:
            session.json(result.as_json())
            return
        session.say(f"{file}: {result.n_units} units, {len(result.coders)} coders "
                    f"({', '.join(result.coders)}); {result.pairable_units} units rated by "
                    "two or more coders.")
        which = "declared" if result.declared else "found"
        session.say(f"Categories ({which}): {', '.join(result.categories)}")
        rows = []
        for key, label in LABELS.items():
            if key not in result.values:
                continue
            if key == "cohen_kappa" and weights:
                label = f"{label} ({weights} weights)"
            if key == "krippendorff_alpha":
                label = f"{label} ({level})"
            rows.append([label, _num(result.values[key])])
        for line in _table(rows):
            session.say(line)
        if any(math.isnan(v) for v in result.values.values()):
            session.say("— undefined: chance agreement is certain (every rating in one "
                        "category), so the ratio is 0/0.")

    @command(app, "agree")
    def agree(session: Session, coders: CodersOpt = None,
              bootstrap: Annotated[int, typer.Option(
                  min=0, max=100_000, help="Bootstrap replicates for 95% intervals "
                                           "(resampling segments); 0 for none, at most "
                                           "100000 (1000 to 10000 is usual).")] = 0,
              seed: Annotated[int, typer.Option(
                  min=0, max=2**32 - 1, help="Seed of the bootstrap.")] = 0,
              min_alpha: Annotated[float | None, typer.Option(
                  help="Exit 1 when any code's Krippendorff's alpha is below this (or "
                       "undefined); 0.667 is Krippendorff's lowest for tentative "
                       "conclusions.")] = None,
              as_json: JsonOpt = False) -> None:
        """Inter-coder agreement per code and pooled, over segments all coders reviewed."""
        from qualkit.agreement.project import COEFFICIENTS, project_agreement
        from qualkit.codebook.versions import project_codebook
        from qualkit.errors import ExitCode

        project = session.project()
        with project.open_store() as store:
            book = project_codebook(store, project)
            with session.progress("Bootstrap") as update:
                result = project_agreement(store, book, _split(coders), bootstrap=bootstrap,
                                           seed=seed, progress=update)
        below = result.below(min_alpha) if min_alpha is not None else []
        if as_json:
            session.json({
                "coders": list(result.coders),
                "segments": {"total": result.segments_total,
                             "compared": result.segments_compared,
                             "left_out": result.segments_left_out,
                             "not_reviewed_by": dict(result.not_reviewed_by),
                             "identical": result.segments_identical},
                "codes": [_code_json(row, result.coders) for row in result.codes],
                "pooled": _code_json(result.pooled, result.coders),
                "transcripts": [{"transcript": t.transcript, "codes_used": t.codes_used,
                                 "codes_agreed": t.codes_agreed, "share": _null(t.share),
                                 "disagreed": list(t.disagreed)}
                                for t in result.transcripts],
                "bootstrap": ({"replicates": result.bootstrap, "seed": result.seed,
                               "level": 0.95} if result.bootstrap else None),
                "min_alpha": min_alpha,
                "below_min_alpha": [row.code_id for row in below],
            })
        else:
            names = ", ".join(result.coders)
            session.say(f"Coders: {names}. Segments: {result.segments_compared} of "
                        f"{result.segments_total} compared (reviewed by all); "
                        f"{_left_out(result)}.")
            session.say(f"{result.segments_identical} of {result.segments_compared} segments "
                        "have identical codes from every coder.")
            session.say()
            keys = [k for k in COEFFICIENTS if k in result.pooled.values]
            header = ["Code", "Present", *(SHORT[k] for k in keys)]
            rows = [header]
            for row in (*result.codes, result.pooled):
                rows.append([row.code_id, "/".join(str(n) for n in row.present),
                             *(_num(row.values[k]) for k in keys)])
                if row.intervals:
                    rows.append(["  95% CI", "", *(
                        f"{_num(row.intervals[k][0])}..{_num(row.intervals[k][1])}"
                        for k in keys)])
            for line in _table(rows):
                session.say(line)
            session.say(f"Present: segments each coder ({'/'.join(result.coders)}) applied "
                        "the code to. Agree: percent agreement; PosAgr: positive "
                        "agreement; " + ("Kappa: Cohen's kappa; " if "cohen_kappa" in keys
                                         else "") +
                        "Fleiss: Fleiss' kappa; Alpha: Krippendorff's alpha (nominal); "
                        "AC1: Gwet's AC1; BP: Brennan-Prediger; —: undefined.")
            if result.bootstrap:
                session.say(f"95% percentile intervals from {result.bootstrap} bootstrap "
                            f"resamples of segments (seed {result.seed}).")
            if len(result.coders) > 2:
                session.say()
                session.say("Cohen's kappa per pair of coders:")
                pairs = result.pooled.pairwise
                header = ["Code", *(f"{p.coder_a}-{p.coder_b}" for p in pairs)]
                rows = [header] + [
                    [row.code_id, *(_num(p.kappa) for p in row.pairwise)]
                    for row in (*result.codes, result.pooled)]
                for line in _table(rows):
                    session.say(line)
            session.say()
            session.say("Code present/absent per transcript (codes applied there by at "
                        "least one coder; agreed: by every coder):")
            rows = [["Transcript", "Codes", "Agreed", "Share"]]
            for t in result.transcripts:
                rows.append([t.transcript, str(t.codes_used), str(t.codes_agreed),
                             _num(t.share)])
            used = result.pooled.transcripts_used
            agreed = result.pooled.transcripts_agreed
            rows.append(["all", str(used), str(agreed),
                         _num(agreed / used if used else math.nan)])
            for line in _table(rows):
                session.say(line)
        if below:
            listed = ", ".join(f"{row.code_id} ({_num(row.alpha)})" for row in below)
            typer.echo(f"Krippendorff's alpha is below --min-alpha {min_alpha:g} for "
                       f"{len(below)} code(s): {listed}", err=True)
            # SystemExit, not typer.Exit: the entry point runs click with standalone_mode off,
            # where typer.Exit's code would be returned and lost.
            raise SystemExit(ExitCode.THRESHOLD)

    @command(app, "disagreements")
    def list_disagreements(session: Session, coders: CodersOpt = None,
                           code: Annotated[str | None, typer.Option(
                               "--code", help="Only segments where coders differ on this "
                                              "code.")] = None,
                           output: Annotated[Path | None, typer.Option(
                               "--output", "-o", dir_okay=False,
                               help="Also write the list, with text, context, codes and "
                                    "memos, to FILE.csv, FILE.xlsx or FILE.html.")] = None,
                           as_json: JsonOpt = False) -> None:
        """List the segments on which the coders' codes differ."""
        from qualkit.agreement.adjudication import disagreements
        from qualkit.codebook.versions import project_codebook

        project = session.project()
        with project.open_store() as store:
            book = project_codebook(store, project)
            found = disagreements(store, _split(coders), code, book)
        if output is not None:
            from qualkit.agreement.disagreements import write_disagreements

            write_disagreements(found, book, output)
        if as_json:
            session.json({
                "coders": list(found.coders), "code": found.code,
                "segments_compared": found.segments_compared,
                "segments_left_out": found.segments_left_out,
                "disagreements": [
                    {"segment_id": d.segment_id, "transcript": d.transcript,
                     "position": d.position, "speaker": d.speaker, "text": d.text,
                     "before": d.before, "after": d.after,
                     "codes": {c: sorted(s) for c, s in zip(found.coders, d.codes,
                                                             strict=True)},
                     "memos": {c: m for c, m in zip(found.coders, d.memos, strict=True)
                               if m}}
                    for d in found.rows]})
            return
        about = f" on {found.code}" if found.code else ""
        if output is not None:
            session.say(f"Wrote {output}.")
        session.say(f"{len(found.rows)} of {found.segments_compared} segments reviewed by all "
                    f"of {', '.join(found.coders)} differ{about}; {found.segments_left_out} "
                    "segment(s) not reviewed by all were left out.")
        if not found.rows:
            return
        rows = [["Segment", "Transcript", "Speaker", *found.coders]]
        for d in found.rows:
            rows.append([str(d.segment_id), d.transcript, d.speaker,
                         *(";".join(sorted(s)) or "(none)" for s in d.codes)])
        for line in _table(rows, right=len(rows[0])):
            session.say(line)
        session.say("Settle one with `qualkit adjudicate SEGMENT --codes a,b --coder-name "
                    "NAME`; see the text with --json.")

    @command(app, "adjudicate")
    def adjudicate(session: Session,
                   segment: Annotated[int | None, typer.Argument(
                       help="Segment id to settle (from `qualkit disagreements`).")] = None,
                   codes: Annotated[str | None, typer.Option(
                       help="The settled codes, comma-separated.")] = None,
                   none: Annotated[bool, typer.Option(
                       "--none", help="Settle the segment as reviewed, none apply.")] = False,
                   coder_name: Annotated[str | None, typer.Option(
                       help="Who decided (recorded with the decision).")] = None,
                   memo: Annotated[str | None, typer.Option(
                       help="Why (recorded with the decision).")] = None,
                   accept_agreed: Annotated[bool, typer.Option(
                       "--accept-agreed", help="Copy every segment on which all coders agree "
                                               "into the consensus (also before --walk or "
                                               "--sheet).")] = False,
                   walk: Annotated[bool, typer.Option(
                       "--walk", help="Settle the disagreements one by one in the terminal "
                                      "session of `qualkit tag`.")] = False,
                   sheet: Annotated[Path | None, typer.Option(
                       "--sheet", dir_okay=False,
                       help="Write the disagreements as a coding sheet (.xlsx) for the "
                            "consensus.")] = None,
                   from_sheet: Annotated[Path | None, typer.Option(
                       "--from-sheet", dir_okay=False,
                       help="Record a filled-in --sheet as the consensus (all rows or "
                            "none).")] = None,
                   code: Annotated[str | None, typer.Option(
                       "--code", help="With --walk or --sheet: only disagreements on this "
                                      "code.")] = None,
                   coders: CodersOpt = None) -> None:
        """Record consensus decisions: agreed segments at once, disagreements one by one,
        in a terminal walk-through or in a spreadsheet."""
        from qualkit.errors import QualkitError

        modes = [name for name, on in (("a SEGMENT id", segment is not None),
                                       ("--walk", walk), ("--sheet", sheet is not None),
                                       ("--from-sheet", from_sheet is not None)) if on]
        if accept_agreed and segment is not None:
            raise QualkitError("give either --accept-agreed or a SEGMENT id to settle")
        if len(modes) > 1:
            raise QualkitError(f"give only one of {', '.join(modes)}")
        if not modes and not accept_agreed:
            raise QualkitError("give --accept-agreed, a SEGMENT id to settle, --walk, "
                               "--sheet FILE.xlsx or --from-sheet FILE.xlsx")
        if code is not None and not (walk or sheet is not None):
            raise QualkitError("--code is for --walk and --sheet")
        if segment is not None:
            _settle_one(session, segment, codes, none, coder_name, memo, coders)
            return
        if codes is not None or none or memo:
            raise QualkitError(
                "--accept-agreed takes only --coders; settle single segments with "
                "`qualkit adjudicate SEGMENT --codes a,b --coder-name NAME`" if not modes else
                "--codes, --none and --memo are for one SEGMENT; in the walk-through tick "
                "codes with 1-9 and write a memo with m, in the sheet mark x and use the "
                "memo column")
        if accept_agreed and from_sheet is not None:
            raise QualkitError("--accept-agreed goes with --walk or --sheet, before the "
                               "disagreements are settled")
        if coder_name and (sheet is not None or not modes):
            raise QualkitError("--coder-name is asked when the decisions are recorded: "
                               "`qualkit adjudicate --from-sheet FILE.xlsx --coder-name NAME`"
                               if sheet is not None else
                               "--accept-agreed takes only --coders; settle single "
                               "segments with `qualkit adjudicate SEGMENT --codes a,b "
                               "--coder-name NAME`")
        if (walk or from_sheet is not None) and not (coder_name or "").strip():
            raise QualkitError("say who decided with --coder-name NAME")
        if walk and not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise QualkitError("`qualkit adjudicate --walk` needs an interactive terminal; "
                               "without one, write the disagreements to a sheet with "
                               "`qualkit adjudicate --sheet FILE.xlsx` and record it with "
                               "`qualkit adjudicate --from-sheet FILE.xlsx --coder-name NAME`")
        _adjudicate_many(session, accept_agreed=accept_agreed, walk=walk, sheet=sheet,
                         from_sheet=from_sheet, code=code, coder_name=coder_name or "",
                         coders=_split(coders))


def _settle_one(session: Session, segment: int, codes: str | None, none: bool,
                coder_name: str | None, memo: str | None, coders: str | None) -> None:
    """``qualkit adjudicate SEGMENT --codes a,b|--none --coder-name NAME``."""
    from qualkit.agreement.adjudication import settle
    from qualkit.codebook.versions import project_codebook
    from qualkit.errors import QualkitError

    if (codes is not None) == none:
        raise QualkitError("give the settled codes with --codes a,b, or --none")
    if not coder_name:
        raise QualkitError("say who decided with --coder-name NAME")
    if coders is not None:
        raise QualkitError("--coders is for --accept-agreed, --walk and --sheet")
    picked = [] if none else _split(codes)
    if picked is None:
        raise QualkitError("--codes is empty; use --none for a segment where no code "
                           "applies")
    project = session.project()
    with project.open_store() as store:
        book = project_codebook(store, project)
        result = settle(store, book, segment, picked, coder_name, memo)
    settled = ", ".join(sorted(result.codes)) or "none apply"
    if result.events:
        session.say(f"consensus: segment {result.segment_id} ({result.transcript}) settled "
                    f"as {settled} by {coder_name.strip()} ({result.events} event(s)).")
    else:
        session.say(f"consensus: segment {result.segment_id} ({result.transcript}) is "
                    f"already {settled}; nothing recorded.")


def _adjudicate_many(session: Session, *, accept_agreed: bool, walk: bool,
                     sheet: Path | None, from_sheet: Path | None, code: str | None,
                     coder_name: str, coders: list[str] | None) -> None:
    """--accept-agreed, then at most one of --walk, --sheet, --from-sheet; the agreement
    before and after is shown once decisions were recorded."""
    from qualkit.agreement.adjudication import (
        accept_agreed as accept,
    )
    from qualkit.agreement.adjudication import (
        before_after,
        export_consensus_sheet,
        import_consensus_sheet,
        walk_session,
    )
    from qualkit.codebook.versions import project_codebook
    from qualkit.model import CONSENSUS

    project = session.project()
    with project.open_store() as store:
        book = project_codebook(store, project)
        if accept_agreed:
            done = accept(store, book, coders)
            session.say(f"consensus: {done.segments_recorded} agreed segment(s) of "
                        f"{', '.join(done.coders)} recorded ({done.events} event(s)); "
                        f"{done.already_decided} already decided; "
                        f"{done.disagreements_left} disagreement(s) left to settle.")
            if not (walk or sheet):
                if done.disagreements_left:
                    session.say("List them with `qualkit disagreements`.")
                return
            if not done.disagreements_left:
                return
        if sheet is not None:
            found, exported = export_consensus_sheet(store, book, sheet, coders, code)
            about = f" on {code}" if code else ""
            session.say(f"Wrote {sheet}: {exported.rows} disagreement(s){about} of "
                        f"{', '.join(found.coders)} for the consensus, {exported.decided} "
                        "already settled; their codes are in the grey `codes: NAME` columns.")
            session.say(f"Mark the settled codes with x (none_apply for none), then: qualkit "
                        f"adjudicate --from-sheet {sheet} --coder-name NAME")
            return
        if walk:
            work = walk_session(store, book, coder_name, coders, code)
            from qualkit.coding.tui import TaggingApp

            names = ", ".join(work.others)
            TaggingApp(work, title=f"qualkit adjudicate · {names} · by "
                                   f"{coder_name.strip()}").run()
            settled, total = work.reviewed_in_queue(), len(work.queue)
            session.say(f"consensus: {settled} of {total} disagreement(s) of {names} settled; "
                        "every decision is saved. Continue with the same command.")
            chosen: list[str] | None = list(work.others)
        else:
            assert from_sheet is not None
            imported, named = import_consensus_sheet(store, book, from_sheet, coder_name)
            for warning in imported.warnings:
                session.warn(warning)
            session.say(f"consensus: {imported.rows_applied} row(s) of {from_sheet.name} "
                        f"with decisions; {imported.events} new decision(s) by "
                        f"{coder_name.strip()}, {imported.notes} memo/quote change(s).")
            chosen = coders or (list(named) if named else None)
            if chosen and CONSENSUS in chosen:
                chosen = None
        _say_before_after(session, before_after(store, book, chosen))


def _say_before_after(session: Session, found: Any) -> None:
    """Two short lines: the coders' pooled agreement, each coder's with the consensus."""
    from qualkit.agreement.adjudication import number

    together = found.coders
    session.say(f"Agreement of {', '.join(together.coders)} (pooled over all codes, "
                f"{together.segments} segment(s) reviewed by all): alpha "
                f"{number(together.alpha)}, percent agreement {number(together.percent)}.")
    parts = [f"{name} {number(p.alpha)} ({number(p.percent)}, {p.segments} segment(s))"
             if p is not None else f"{name} — (no segment in common)"
             for name, p in found.against_consensus]
    session.say(f"Each coder against the consensus now, alpha (percent agreement): "
                f"{'; '.join(parts)}.")
    left = []
    if found.unsettled:
        left.append(f"{found.unsettled} disagreement(s) to settle")
    if found.agreed_missing:
        left.append(f"{found.agreed_missing} agreed segment(s) to add with `qualkit "
                    "adjudicate --accept-agreed`")
    if left:
        session.say(f"Not in the consensus yet: {'; '.join(left)}.")
