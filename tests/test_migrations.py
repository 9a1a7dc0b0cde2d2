"""Schema migrations: old databases are brought forward, backed up, and never guessed at."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from qualkit.errors import ProjectError
from qualkit.store import migrations, open_store, schema
from qualkit.store.db import _sqlite_engine


def test_new_database_is_at_the_latest_version_and_matches_the_schema(tmp_path: Path) -> None:
    store = open_store(tmp_path / "q.db")
    with store.engine.connect() as conn:
        assert migrations.current_version(conn) == migrations.LATEST
        found = inspect(conn)
        for table in schema.metadata.sorted_tables:
            columns = {c["name"] for c in found.get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name
    store.close()


def test_version_1_database_is_migrated_with_its_data_and_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    engine = _sqlite_engine(path)
    migrations.apply(engine, upto=1)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO transcripts (id, name, source, sha256, text, attributes, imported_at)"
            " VALUES (1, 'FG1', 'transcripts/FG1.txt', 'abc', 'P01: Hello.', '{}', 't')")
        conn.exec_driver_sql("INSERT INTO segments (id, transcript_id, turn_idx, idx, start,"
                             " \"end\", speaker) VALUES (1, 1, 0, 0, 5, 11, 'P01')")
        conn.exec_driver_sql("INSERT INTO coders (name, created_at) VALUES ('ana', 't')")
        conn.exec_driver_sql("INSERT INTO codebooks (version, name, label, content, source,"
                             " loaded_at) VALUES ('v1', 'cb', '1', '{}', 'x', 't')")
        conn.exec_driver_sql(
            "INSERT INTO coding_events (segment_id, coder, action, code_id, codebook_version,"
            " origin, at) VALUES (1, 'ana', 'apply', 'teaching', 'v1', 'test',"
            " '2026-01-01T00:00:00+00:00')")
    engine.dispose()

    store = open_store(path)
    with store.engine.connect() as conn:
        assert migrations.current_version(conn) == migrations.LATEST
    (event,) = store.events()
    assert (event.coder, event.code_id, event.memo) == ("ana", "teaching", None)
    assert store.codings("ana")[1].codes == frozenset({"teaching"})
    backups = list(tmp_path.glob("q.db.v1-*.bak"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as old:
        assert old.execute("SELECT max(version) FROM schema_migrations").fetchone() == (1,)
    store.close()


def test_version_3_suggestions_move_to_one_row_per_transcript(tmp_path: Path) -> None:
    """Through migrations 4 (a row per segment) and 5 (a row per transcript): a wholly
    read transcript keeps its suggestions; a partly read one is left to be read again."""
    path = tmp_path / "q.db"
    engine = _sqlite_engine(path)
    migrations.apply(engine, upto=3)
    evidence = ('[{"term":"teach","matched":"taught","kind":"lemma","start":5,"end":11,'
                '"negated":false,"context":false}]')
    with engine.begin() as conn:
        for tid, name in ((1, "FG1"), (2, "FG2")):
            conn.exec_driver_sql(
                "INSERT INTO transcripts (id, name, source, sha256, text, attributes, "
                f"imported_at) VALUES ({tid}, '{name}', 'transcripts/{name}.txt', 'abc', "
                "'P01: taught. Hi.', '{}', 't')")
        for seg, (start, end) in enumerate([(5, 12), (13, 16), (5, 12), (13, 16)], start=1):
            conn.exec_driver_sql(
                "INSERT INTO segments (id, transcript_id, turn_idx, idx, start, \"end\", "
                f"speaker) VALUES ({seg}, {(seg + 1) // 2}, 0, {(seg - 1) % 2}, {start}, "
                f"{end}, 'P01')")
        conn.exec_driver_sql("INSERT INTO codebooks (version, name, label, content, source,"
                             " loaded_at) VALUES ('v1', 'cb', '1', '{}', 'x', 't')")
        conn.exec_driver_sql("INSERT INTO suggested_segments VALUES (1, 'v1'), (2, 'v1'), "
                             "(3, 'v1')")
        for seg in (1, 3):
            conn.exec_driver_sql(f"INSERT INTO suggestions VALUES ({seg}, 'v1', 'teaching', "
                                 "0.5, ?)", (evidence,))
        conn.exec_driver_sql("INSERT INTO suggestions VALUES (1, 'v1', 'growth', 0.75, ?)",
                             (evidence,))
    engine.dispose()

    store = open_store(path)
    assert store.suggested_transcript_ids("v1") == {1}
    assert store.suggested_transcript_ids("v1", moderators=True) == set()
    assert store.unsuggested_segment_count("v1") == 2
    found = store.suggestions("v1")
    assert [(s.segment_id, s.code_id, s.score) for s in found] == [(1, "growth", 0.75),
                                                                  (1, "teaching", 0.5)]
    assert [(e.term, e.matched, e.kind.value, e.start, e.end, e.negated, e.context)
            for e in found[1].evidence] == [("teach", "taught", "lemma", 5, 11, False, False)]
    assert store.suggestions("v1", 1) == found
    assert store.suggestions("v1", 2) == [] and store.suggestions("v1", 3) == []
    assert store.suggestion_counts("v1") == {"growth": 1, "teaching": 1}
    assert store.suggestion_index("v1") == {1: frozenset({"growth", "teaching"})}
    with store.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
    assert not tables & {"suggestions", "suggested_segments", "segment_suggestions"}
    store.close()


def test_reopening_an_up_to_date_database_applies_nothing(tmp_path: Path) -> None:
    open_store(tmp_path / "q.db").close()
    open_store(tmp_path / "q.db").close()
    assert not list(tmp_path.glob("*.bak"))
    engine = create_engine(f"sqlite:///{tmp_path / 'q.db'}")
    with engine.connect() as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM schema_migrations").scalar()
    assert count == len(migrations.MIGRATIONS)


def test_database_from_a_newer_qualkit_is_refused(tmp_path: Path) -> None:
    open_store(tmp_path / "q.db").close()
    with sqlite3.connect(tmp_path / "q.db") as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (99, 'future', 't')")
    with pytest.raises(ProjectError) as err:
        open_store(tmp_path / "q.db")
    assert str(err.value) == (f"{tmp_path / 'q.db'}: written by a newer qualkit (schema 99, "
                              f"this qualkit knows up to {migrations.LATEST}); upgrade qualkit "
                              "to open it")


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ProjectError, match="not a qualkit database"):
        open_store(path)


def test_database_is_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    store = open_store(tmp_path / "q.db")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.close()


def test_migrate_command_on_a_sqlite_project(cli, tmp_path: Path) -> None:
    root = tmp_path / "study"
    for folder in ("codebooks", "transcripts"):
        (root / folder).mkdir(parents=True)
    missing = cli("migrate", "-p", str(root))
    assert (missing.exit_code, missing.stderr) == (
        2, f"Error: {root / 'qualkit.db'}: no database to migrate; run `qualkit init` or "
           "`qualkit run` first\n")
    engine = _sqlite_engine(root / "qualkit.db")
    migrations.apply(engine, upto=1)
    engine.dispose()
    done = cli("migrate", "-p", str(root))
    assert done.exit_code == 0, done.stderr
    (backup,) = root.glob("qualkit.db.v1-*.bak")
    assert done.stdout == (
        f"Migrated {root / 'qualkit.db'} from schema 1 to {migrations.LATEST} "
        f"({migrations.LATEST - 1} step(s)).\n"
        f"The database before migrating is kept as {backup}.\n")
    again = cli("migrate", "-p", str(root))
    assert again.stdout == (f"{root / 'qualkit.db'} is up to date (schema "
                            f"{migrations.LATEST}); nothing to do.\n")
