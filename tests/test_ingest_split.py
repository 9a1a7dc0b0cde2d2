"""A table of many conversations: noticed on import, and cut into one file each.

The fixture has the shape of a published dataset of counselling conversations (one row
per utterance, a ``transcript_id`` column, rows of a conversation not always together):
read as one file, its conversations ran together with exit 0.
"""

from __future__ import annotations

from pathlib import Path

from qualkit.project import find

TABLE = """\
transcript_id,utterance_id,interlocutor,utterance_text
7,0,therapist,How have the last few weeks been for you?
7,1,client,Busy. I have been walking to work most days.
12,0,therapist,What brings you in today?
12,1,client,My doctor said I should cut down on drinking.
7,2,therapist,So walking has become part of your routine.
12,2,therapist,You came because your doctor asked you to.
"""


def _study(tmp_path: Path, cli) -> Path:
    root = tmp_path / "study"
    assert cli("init", str(root), "-q").exit_code == 0
    (root / "counselling.csv").write_text(TABLE, encoding="utf-8")
    return root


def test_importing_the_table_whole_says_it_may_hold_several_conversations(
        tmp_path: Path, cli) -> None:
    root = _study(tmp_path, cli)
    (root / "counselling.csv").rename(root / "transcripts" / "counselling.csv")
    result = cli("import", "-p", str(root), "--speaker-column", "interlocutor",
                 "--text-column", "utterance_text")
    assert result.exit_code == 0, result.stderr
    assert ("Warning: transcripts/counselling.csv:1: column transcript_id holds 2 different "
            "values, so the file may hold 2 conversations, read here as one transcript; to "
            "import one transcript each, move it out of transcripts/, run `qualkit "
            "transcripts split counselling.csv --by transcript_id` and import the files it "
            "writes") in result.stderr


def test_split_writes_one_file_per_conversation_and_import_reads_each(tmp_path: Path,
                                                                       cli) -> None:
    root = _study(tmp_path, cli)
    result = cli("transcripts", "split", str(root / "counselling.csv"), "--by",
                 "transcript_id", "-p", str(root))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "Wrote 2 transcript file(s) to transcripts/, one per transcript_id: "
        "counselling-7.csv, counselling-12.csv.\n"
        "Next: `qualkit import` reads them, one transcript each.\n")
    seven = (root / "transcripts" / "counselling-7.csv").read_text(encoding="utf-8")
    assert seven == ("transcript_id,utterance_id,interlocutor,utterance_text\n"
                     "7,0,therapist,How have the last few weeks been for you?\n"
                     "7,1,client,Busy. I have been walking to work most days.\n"
                     "7,2,therapist,So walking has become part of your routine.\n")
    imported = cli("import", "-p", str(root), "--speaker-column", "interlocutor",
                   "--text-column", "utterance_text")
    assert imported.exit_code == 0, imported.stderr
    assert "holds 2 different values" not in imported.stderr
    with find(root).open_store() as store:
        names = {t.name: t.id for t in store.transcripts()}
        assert set(names) == {"counselling-7", "counselling-12"}
        turns = [(t.speaker, t.index) for t in store.turns(names["counselling-12"])]
    assert turns == [("therapist", 0), ("client", 1), ("therapist", 2)]


def test_split_as_json(tmp_path: Path, cli) -> None:
    import json

    root = _study(tmp_path, cli)
    result = cli("transcripts", "split", str(root / "counselling.csv"), "--by",
                 "Transcript ID", "-p", str(root), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"file": "transcripts/counselling-7.csv", "value": "7", "rows": 3},
        {"file": "transcripts/counselling-12.csv", "value": "12", "rows": 3}]
    elsewhere = tmp_path / "elsewhere"
    again = cli("transcripts", "split", str(root / "counselling.csv"), "--by",
                "Transcript ID", "-p", str(root), "--out", str(elsewhere))
    assert again.stdout.splitlines()[0] == (  # the column as the table spells it
        f"Wrote 2 transcript file(s) to {elsewhere.resolve()}/, one per transcript_id: "
        "counselling-7.csv, counselling-12.csv.")


def test_split_refuses_what_it_cannot_do_and_writes_nothing(tmp_path: Path, cli) -> None:
    root = _study(tmp_path, cli)
    table = root / "counselling.csv"

    def split(*args: str) -> tuple[int, str]:
        result = cli("transcripts", "split", *args, "-p", str(root))
        return result.exit_code, result.stderr

    assert split(str(table), "--by", "session") == (
        2, f"Error: {table}:1: has no column named 'session' (its columns: transcript_id, "
           "utterance_id, interlocutor, utterance_text); check --by\n")
    blank = root / "blank.csv"
    blank.write_text(TABLE.replace("12,1,client", ",1,client"), encoding="utf-8")
    assert split(str(blank), "--by", "transcript_id") == (
        2, f"Error: {blank}:5: this row has no transcript_id; fill it in (every row must say "
           "which transcript it belongs to)\n")
    (root / "transcripts" / "counselling-12.csv").write_text("kept\n", encoding="utf-8")
    assert split(str(table), "--by", "transcript_id") == (
        2, f"Error: {root / 'transcripts' / 'counselling-12.csv'}: exists already; remove "
           "it, or split into another folder with --out\n")
    assert not (root / "transcripts" / "counselling-7.csv").exists()
    inside = root / "transcripts" / "counselling.csv"
    table.rename(inside)
    assert split(str(inside), "--by", "transcript_id") == (
        2, "Error: transcripts/counselling.csv is in transcripts/, where `qualkit import` "
           "would also read it whole, beside its parts: move it out of transcripts/ first "
           "(into the project folder, say), then split it\n")
    assert sorted(p.name for p in (root / "transcripts").iterdir()) == [
        "counselling-12.csv", "counselling.csv"]
    assert (root / "transcripts" / "counselling-12.csv").read_text(encoding="utf-8") == "kept\n"
