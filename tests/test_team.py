"""Team projects on a PostgreSQL server: roles, blind coding enforced by the server,
migrations and backups. Every test here uses a scratch database (tests/postgres.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, inspect

from qualkit.project import find, use_database
from qualkit.store import migrations, schema
from qualkit.store.backend import server_url
from tests.conftest import CODER_A, CODER_B

LINE = re.compile(r"export QUALKIT_DATABASE_URL='(postgresql://[^']+)'")


def _line(out: str) -> str:
    found = LINE.search(out)
    assert found, out
    return found.group(1)


@pytest.fixture
def team(cli, project: Path, postgres_url: str) -> dict[str, str]:
    """The tiny project imported into a server by its owner, with coders ana and ben and
    adjudicator judy; their connection URLs by name (and the owner's)."""
    (project / "codings" / "ana.csv").write_text(CODER_A, encoding="utf-8")
    (project / "codings" / "ben.csv").write_text(CODER_B, encoding="utf-8")
    done = cli("run", "-p", str(project), "--db", postgres_url, "-q")
    assert done.exit_code == 0, done.stderr
    urls = {"owner": postgres_url}
    for command, name in (("add-coder", "ana"), ("add-coder", "ben"),
                          ("add-adjudicator", "judy")):
        done = cli("team", command, name, "-p", str(project), "--db", postgres_url)
        assert done.exit_code == 0, done.stderr
        urls[name] = _line(done.stdout)
    return urls


def _events(project: Path, url: str) -> list[tuple[str, int]]:
    with use_database(url), find(project).open_store() as store:
        return [(e.coder, e.segment_id) for e in store.events()]


def _hidden(url: str) -> str:
    """The URL as messages must show it: the password, if any, as ***."""
    return re.sub(r"^(postgresql://[^:@/]+):[^@/]+@", r"\1:***@", url)


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def test_add_coder_prints_the_line_a_coder_connects_with(cli, project: Path,
                                                          postgres_url: str) -> None:
    assert cli("init", str(project), "--db", postgres_url, "-q").exit_code == 0
    done = cli("team", "add-coder", "cara", "-p", str(project), "--db", postgres_url,
               "--host", "qda.example.org")
    assert done.exit_code == 0, done.stderr
    url = server_url(postgres_url)
    lines = done.stdout.splitlines()
    assert lines[0] == ("Coder cara can now connect. Give them this line privately (it holds "
                        "their password, shown only now; run this again for a new one):")
    assert re.fullmatch(
        rf"  export QUALKIT_DATABASE_URL='postgresql://cara:[A-Za-z0-9_-]{{24}}@"
        rf"qda.example.org:{url.port}/{url.database}'", lines[1]), lines[1]
    assert lines[2] == ("They code blind with: qualkit tag --coder cara  (or sheet import / "
                        "codings import … --coder cara)")
    listed = cli("team", "list", "--json", "-p", str(project), "--db", postgres_url)
    assert listed.stdout.count('"name": "cara"') == 1
    assert '"log": "blind"' in listed.stdout


def test_a_coder_writes_and_reads_only_their_own_decisions(cli, project: Path,
                                                           team: dict[str, str]) -> None:
    fresh = project / "ana-again.csv"
    fresh.write_text(CODER_A.replace(",teaching_skills,\n", ",teaching_skills,again\n", 1),
                     encoding="utf-8")
    as_ben = cli("codings", "import", str(fresh), "--coder", "ben", "-p", str(project),
                 "--db", team["ana"])
    assert as_ben.exit_code == 2
    assert as_ben.stderr == (
        "Error: the server refused this write for the database role `ana` (a coder writes "
        "only their own decisions, under their own name: pass --coder with the name your "
        "connection line gives, or ask the project owner)\n")
    assert cli("codings", "import", str(fresh), "--coder", "ana", "-p", str(project),
               "--db", team["ana"]).exit_code == 0

    everyone = _events(project, team["owner"])
    assert {c for c, _ in everyone} == {"ana", "ben"}
    assert {c for c, _ in _events(project, team["ana"])} == {"ana"}
    assert {c for c, _ in _events(project, team["ben"])} == {"ben"}
    assert len(_events(project, team["judy"])) == len(everyone)

    with psycopg.connect(_plain(team["ana"])) as conn:
        assert conn.execute("SELECT count(*) FROM coding_events WHERE coder = 'ben'"
                            ).fetchone() == (0,)
        conn.execute("SET row_security = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege,
                           match="row-level security"):
            conn.execute("SELECT count(*) FROM coding_events")
    for statement in ("UPDATE coding_events SET code_id = 'x'", "DELETE FROM coding_events",
                      "DELETE FROM segment_notes", "DELETE FROM transcripts"):
        with psycopg.connect(_plain(team["ana"])) as conn, pytest.raises(
                psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute(statement)


def test_spans_and_learned_suggestions_are_as_blind_as_the_log(
        cli, project: Path, team: dict[str, str]) -> None:
    # Imported spans and a model's suggestions are derived from one coder's decisions: a
    # coder who could read another's would see that coder's coding.
    with psycopg.connect(_plain(team["owner"])) as conn:
        conn.execute("INSERT INTO coded_spans (transcript_id, start, \"end\", coder, code_id, "
                     "codebook_version, origin, at) SELECT t.id, 0, 5, 'ben', 'x', c.version, "
                     "'test', 't' FROM transcripts t, codebooks c LIMIT 1")
        conn.execute("INSERT INTO learned_runs (codebook_version, coder, trained_at, summary) "
                     "SELECT version, 'ben', 't', '{}' FROM codebooks LIMIT 1")
        conn.execute("INSERT INTO learned_models (codebook_version, coder, trained_at, meta, "
                     "arrays) SELECT version, 'ben', 't', '{}', '\\x00'::bytea FROM codebooks "
                     "LIMIT 1")
    for table in ("coded_spans", "learned_runs", "learned_models"):
        with psycopg.connect(_plain(team["ana"])) as conn:
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
        with psycopg.connect(_plain(team["ben"])) as conn:
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (1,)
        with psycopg.connect(_plain(team["judy"])) as conn:
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (1,)


def test_the_adjudicator_opens_the_log(cli, project: Path, team: dict[str, str]) -> None:
    where = ("-p", str(project))
    refused = cli("team", "open", *where, "--db", team["ana"])
    assert (refused.exit_code, refused.stderr) == (
        2, "Error: only an adjudicator or the project owner may open or close the log, not "
           "`ana`\n")
    blind = cli("agree", *where, "--db", team["judy"])
    assert blind.exit_code == 0, blind.stderr
    assert blind.stdout.startswith("Coders: ana, ben.")

    opened = cli("team", "open", *where, "--db", team["judy"])
    assert (opened.exit_code, opened.stdout) == (
        0, "The coding log is open: every coder now sees everyone's decisions. Blind it "
           "again with `qualkit team close`.\n")
    assert {c for c, _ in _events(project, team["ana"])} == {"ana", "ben"}
    assert cli("team", "close", *where, "--db", team["owner"]).exit_code == 0
    assert {c for c, _ in _events(project, team["ana"])} == {"ana"}


def test_a_consensus_recorded_by_the_adjudicator(cli, project: Path,
                                                 team: dict[str, str]) -> None:
    done = cli("adjudicate", "--accept-agreed", "-p", str(project), "--db", team["judy"])
    assert done.exit_code == 0, done.stderr
    assert "consensus" in {c for c, _ in _events(project, team["owner"])}


def test_roles_belong_to_the_project(cli, project: Path, postgres_url: str) -> None:
    assert cli("init", str(project), "--db", postgres_url, "-q").exit_code == 0
    for name, problem in (("postgres", "cannot be a database role"),
                          ("consensus", "cannot be a database role"),
                          ("Robert'); DROP", "cannot be a database role")):
        done = cli("team", "add-coder", name, "-p", str(project), "--db", postgres_url)
        assert done.exit_code == 2 and problem in done.stderr, done.stderr
    plain = cli("team", "add-coder", "ana", "-p", str(project))
    assert (plain.exit_code, plain.stderr) == (
        2, "Error: team roles need a PostgreSQL server: pass --db postgresql://… or set "
           "QUALKIT_DATABASE_URL (see docs/teams.md)\n")


def test_the_server_schema_matches_the_schema_module(postgres_url: str) -> None:
    with (use_database(postgres_url), find(Path(".")).open_store() as store,
          store.engine.connect() as conn):
        assert migrations.current_version(conn) == migrations.LATEST
        found = inspect(conn)
        for table in schema.metadata.sorted_tables:
            columns = {c["name"] for c in found.get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name


def test_migrate_is_the_owners_and_older_clients_are_told(cli, tmp_path: Path,
                                                         postgres_url: str) -> None:
    engine = create_engine(server_url(postgres_url))
    migrations.apply(engine, upto=migrations.LATEST - 1)
    where = ("-p", str(tmp_path), "--db", postgres_url)
    shown = _hidden(postgres_url)
    old = cli("status", *where)
    assert (old.exit_code, old.stderr) == (2, (
        f"Error: {shown}: the server's schema is version {migrations.LATEST - 1}, older "
        f"than this qualkit needs ({migrations.LATEST}); the project owner runs `qualkit "
        "migrate` once, then everyone carries on (clients still older than the server will "
        "be asked to upgrade)\n"))
    done = cli("migrate", *where)
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        f"Migrated {shown} from schema {migrations.LATEST - 1} to {migrations.LATEST} "
        "(1 step(s)).")
    assert cli("migrate", *where).stdout == (
        f"{shown} is up to date (schema {migrations.LATEST}); nothing to do.\n")
    with engine.begin() as conn:
        conn.execute(migrations.schema_migrations.insert().values(
            version=migrations.LATEST + 1, name="from the future", applied_at="t"))
    engine.dispose()
    newer = cli("status", *where)
    assert (newer.exit_code, newer.stderr) == (2, (
        f"Error: {shown}: the server's schema is version {migrations.LATEST + 1}, newer "
        f"than this qualkit knows ({migrations.LATEST}); upgrade qualkit on this machine "
        "(`pip install -U qualkit`) and run the command again\n"))


def test_an_unreachable_server_is_one_line_without_the_password(cli, tmp_path: Path) -> None:
    done = cli("status", "-p", str(tmp_path), "--db",
               "postgresql://ana:s3cret-pw@127.0.0.1:1/study")
    assert done.exit_code == 2
    assert done.stderr.startswith("Error: postgresql://ana:***@127.0.0.1:1/study: cannot "
                                  "connect to the PostgreSQL server (")
    assert done.stderr.endswith("; check the URL, that the server is running and that its "
                                "pg_hba.conf lets this machine in (see docs/teams.md)\n")
    assert "s3cret" not in done.stderr and done.stderr.count("\n") == 1


def test_the_database_named_in_qualkit_toml(cli, project: Path, postgres_url: str) -> None:
    (project / "qualkit.toml").write_text(f'[project]\ndatabase = "{postgres_url}"\n',
                                          encoding="utf-8")
    assert cli("run", "-p", str(project), "-q").exit_code == 0
    assert not (project / "qualkit.db").exists()
    with use_database(postgres_url), find(project).open_store() as store:
        assert [t.name for t in store.transcripts()] == ["FG1", "FG2"]


@pytest.mark.skipif(shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
                    reason="pg_dump/pg_restore not installed (apt-get install "
                           "postgresql-client)")
def test_backup_is_a_dump_proved_by_restoring_it(cli, project: Path,
                                                 team: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "team.dump"
    done = cli("backup", "-o", str(target), "-p", str(project), "--db", team["owner"])
    assert done.exit_code == 0, done.stderr
    events = len(_events(project, team["owner"]))
    size = target.stat().st_size / 1_000_000
    name = server_url(team["owner"]).database
    assert done.stdout == (
        f"Backed up the server's database {name} to {target} ({size:.1f} MB; restored into "
        f"a scratch database to check it: schema {migrations.LATEST}, {events} decisions).\n"
        f"To restore: createdb NEW && pg_restore --no-owner -d NEW {target}\n")
    listing = subprocess.run(["pg_restore", "--list", str(target)], capture_output=True,
                             text=True, check=True).stdout
    assert "TABLE DATA public coding_events" in listing
    again = cli("backup", "-o", str(target), "-p", str(project), "--db", team["owner"])
    assert (again.exit_code, again.stderr) == (
        2, f"Error: {target} exists; name another file with -o\n")


def test_the_tagging_session_as_a_coder_role(project: Path, team: dict[str, str]) -> None:
    from qualkit.codebook.versions import active_codebook
    from qualkit.coding.session import TaggingSession

    with use_database(team["ana"]), find(project).open_store() as store:
        book = active_codebook(store)
        assert book is not None
        session = TaggingSession(store, book, "ana")
        segment = session.current.id
        session.toggle("clinical_skills")  # saved before it returns, with ana's place
        assert "clinical_skills" in store.codings("ana")[segment].codes
        assert {e.coder for e in store.segment_events(segment)} <= {"ana"}
    with use_database(team["ben"]), find(project).open_store() as store:
        assert {e.coder for e in store.segment_events(segment)} <= {"ben"}
        assert store.setting("tag.position:ana") is not None  # places are not secret
