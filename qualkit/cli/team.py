"""``qualkit team``: coders and adjudicators of a project on a PostgreSQL server."""

from typing import Annotated

import typer

from qualkit.cli.common import JsonOpt, Session, command

team_app = typer.Typer(help="A team's coders and adjudicators on a PostgreSQL server "
                            "(see docs/teams.md).", no_args_is_help=True)

HostOpt = Annotated[str | None, typer.Option(
    "--host", help="The server's name as coders reach it, for the connection line "
                   "(default: the host of --db).")]


def _add(session: Session, name: str, kind: str, host: str | None) -> None:
    from qualkit.store.backend import server_url
    from qualkit.store.team import add_member

    project = session.project()
    with project.open_store() as store:
        member = add_member(store, name, kind)  # type: ignore[arg-type]
    line = member.connection_line(server_url(str(project.location)), host)
    session.say(f"{kind.capitalize()} {name} can now connect. Give them this line privately "
                "(it holds their password, shown only now; run this again for a new one):")
    session.say(f"  export QUALKIT_DATABASE_URL='{line}'")
    if kind == "coder":
        session.say(f"They code blind with: qualkit tag --coder {name}  "
                    f"(or sheet import / codings import … --coder {name})")
    else:
        session.say("They see everyone's decisions and settle them with: qualkit "
                    "disagreements, qualkit adjudicate; `qualkit team open` shows coders "
                    "each other's work")


def register(app: typer.Typer) -> None:
    app.add_typer(team_app, name="team")

    @command(team_app, "add-coder")
    def add_coder(session: Session,
                  name: Annotated[str, typer.Argument(help="The coder's name (also their "
                                                           "database role).")],
                  host: HostOpt = None) -> None:
        """Create a coder's database role (who writes and reads only their own decisions)
        and print their connection line."""
        _add(session, name, "coder", host)

    @command(team_app, "add-adjudicator")
    def add_adjudicator(session: Session,
                        name: Annotated[str, typer.Argument(help="The adjudicator's name "
                                                                 "(their database role).")],
                        host: HostOpt = None) -> None:
        """Create an adjudicator's role (who reads every coder's decisions and records the
        consensus) and print their connection line."""
        _add(session, name, "adjudicator", host)

    @command(team_app, "list")
    def list_members(session: Session, as_json: JsonOpt = False) -> None:
        """List the project's coders and adjudicators and whether the log is open."""
        from qualkit.store.team import log_is_open, members

        with session.project().open_store() as store:
            found = members(store)
            is_open = log_is_open(store)
        if as_json:
            session.json({"log": "open" if is_open else "blind",
                          "members": [{"name": m.name, "role": m.kind} for m in found]})
            return
        for m in found:
            session.say(f"  {m.name:<20} {m.kind}")
        session.say(f"{len(found)} member(s); the coding log is "
                    f"{'open: coders see each other' if is_open else 'blind'}.")

    @command(team_app, "open")
    def open_log(session: Session) -> None:
        """Let coders read each other's decisions (an adjudicator or the owner)."""
        from qualkit.store.team import set_log_open

        with session.project().open_store() as store:
            set_log_open(store, True)
        session.say("The coding log is open: every coder now sees everyone's decisions. "
                    "Blind it again with `qualkit team close`.")

    @command(team_app, "close")
    def close_log(session: Session) -> None:
        """Blind coders to each other's decisions again (an adjudicator or the owner)."""
        from qualkit.store.team import set_log_open

        with session.project().open_store() as store:
            set_log_open(store, False)
        session.say("The coding log is blind: each coder sees only their own decisions.")
