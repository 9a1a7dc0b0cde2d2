"""``qualkit privacy pseudonymise`` never damages a transcript: speaker labels are
structure, and only the gate's findings change.

The fixtures in ``fixtures/privacy/`` are built like the published transcripts the issue
was found on: ``PARTICIPANT 12:`` and ``ALL:`` labels, ``Dan:`` / ``Participant:`` labels on
a line of their own with PDF page marks, committee members named in full, timestamped
counselling turns and classroom maths talk.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qualkit.ingest.formats import read_source
from qualkit.ingest.source import ReadOptions

FIXTURES = Path(__file__).parent / "fixtures" / "privacy"
ROSTER = FIXTURES / "roster.csv"

# What each fixture must become, written out by hand: every other character stays.
EXPECTED = {
    "participant_caps.txt": [("Mostly Siobhan,", "Mostly Person01,"),
                             ("s.oneill@example.org", "[e-mail]")],
    "dan_participant.txt": [("07700 900123", "[phone]"), ("github.com/someone-pdp", "[URL]"),
                            ("Would Mark from", "Would Person01 from")],
    "committee.txt": [("www.example.gov.uk/guidance", "[URL]")],
    "counselling.txt": [("0161 496 0321", "[phone]"), ("on 9 July,", "on [date of birth],")],
    "classroom.txt": [("born on July 9th too", "born on [date of birth] too"),
                      ("next one, Mark?", "next one, Person01?")],
}


def labels(path: Path) -> list[str]:
    """Each turn's speaker label as written in the file."""
    source = read_source(path, ReadOptions())
    return [t.speaker for t in source.turns]


def run(cli, tmp_path: Path, *args: str):
    return cli("privacy", "pseudonymise", *args, "--roster", str(ROSTER), "--no-ner",
               "--key", str(tmp_path / "private" / "key.csv"), "--out", str(tmp_path / "out"),
               "-p", str(tmp_path))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_apply_changes_no_label_and_nothing_outside_the_findings(cli, tmp_path: Path,
                                                                 name: str) -> None:
    source = FIXTURES / name
    result = run(cli, tmp_path, str(source), "--apply")
    assert result.exit_code == 0, result.stderr
    original = source.read_text(encoding="utf-8")
    expected = original
    for before, after in EXPECTED[name]:
        assert expected.count(before) == 1
        expected = expected.replace(before, after)
    written = tmp_path / "out" / name
    assert written.read_text(encoding="utf-8") == expected
    assert labels(written) == labels(source)


def test_labels_that_are_no_names_are_never_rewritten(cli, tmp_path: Path) -> None:
    """The issue's corpus: ``PARTICIPANT 12`` became ``[name] 12`` and "All right" became
    "Person01 right"; with the speaker check running, these labels are findings (named
    on the terminal) but not people."""
    shutil.copy(FIXTURES / "participant_caps.txt", tmp_path / "participant_caps.txt")
    (tmp_path / "participants.csv").write_text("participant\nInterviewer\n", encoding="utf-8")
    root = tmp_path / "project"
    assert cli("init", str(root)).exit_code == 0
    shutil.copy(tmp_path / "participants.csv", root / "transcripts" / "participants.csv")
    scan = cli("privacy", "scan", str(tmp_path / "participant_caps.txt"), "--no-ner",
               "-p", str(root))
    assert scan.exit_code == 1
    path = tmp_path / "participant_caps.txt"
    assert scan.stdout.splitlines()[:3] == [
        f'{path}:3:1: a speaker missing from participants.csv "PARTICIPANT 12"',
        f"{path}:11:92: an e-mail address",
        f'{path}:17:1: a speaker missing from participants.csv "ALL"']
    found = json.loads(cli("privacy", "scan", str(path), "--no-ner", "--json",
                           "-p", str(root)).stdout)
    assert [f.get("label") for f in found["findings"]] == ["PARTICIPANT 12", None, "ALL"]
    out = tmp_path / "out"
    result = cli("privacy", "pseudonymise", str(path), "--no-ner", "--key",
                 str(tmp_path / "private" / "key.csv"), "--out", str(out), "-p", str(root),
                 "--apply")
    assert result.exit_code == 0, result.stderr
    assert "0 speaker label(s) by pseudonyms" in result.stdout
    assert (out / "participant_caps.txt").read_text(encoding="utf-8") == path.read_text(
        encoding="utf-8").replace("s.oneill@example.org", "[e-mail]")


def test_a_name_as_a_label_changes_only_with_force(cli, tmp_path: Path) -> None:
    root = tmp_path / "project"
    assert cli("init", str(root)).exit_code == 0
    (root / "transcripts" / "participants.csv").write_text("participant\nParticipant\n",
                                                           encoding="utf-8")
    source = FIXTURES / "dan_participant.txt"
    out, key = tmp_path / "out", tmp_path / "private" / "key.csv"
    args = ("privacy", "pseudonymise", str(source), "--no-ner", "--key", str(key),
            "--out", str(out), "-p", str(root))
    dry = cli(*args)
    assert dry.exit_code == 0
    assert dry.stdout.splitlines()[1] == (
        "speaker label  D\u2026         4  Person01  1/3 Interview [D\u2026]: Okay. So now you "
        "can stop\u2026")
    assert not out.exists() and not key.exists()
    refused = cli(*args, "--apply")
    assert refused.exit_code == 2
    assert refused.stderr == ("Error: the change would rewrite 4 speaker label(s); nothing "
                              "was written. Read the table above, then pass --force with "
                              "--apply to write it\n")
    assert not out.exists() and not key.exists()
    forced = cli(*args, "--apply", "--force")
    assert forced.exit_code == 0, forced.stderr
    written = out / "dan_participant.txt"
    assert labels(written) == ["Person01" if s == "Dan" else s for s in labels(source)]
    assert "Dan" not in written.read_text(encoding="utf-8")


def test_changing_many_words_needs_force(cli, tmp_path: Path) -> None:
    source = tmp_path / "lists.txt"
    source.write_text("".join(f"P01: write to person{i}@example.org today\n\n"
                              for i in range(30)), encoding="utf-8")
    result = run(cli, tmp_path, str(source), "--apply")
    assert result.exit_code == 2
    assert result.stderr == ("Error: the change would change 30 of 150 words (20.0%, more "
                             "than 2%); nothing was written. Read the table above, then "
                             "pass --force with --apply to write it\n")
    assert result.stdout.splitlines()[1] == (
        "email  p\u2026        1  [e-mail]  P01: write to [p\u2026] today P01: write to "
        "[p\u2026]\u2026")
    assert run(cli, tmp_path, str(source), "--apply", "--force").exit_code == 0


def test_the_dry_run_writes_nothing_and_lists_as_json(cli, tmp_path: Path) -> None:
    result = run(cli, tmp_path, str(FIXTURES / "counselling.txt"), "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["apply"] is False and data["labels"] == 0 and data["needs_force"] is None
    assert data["changes"] == [
        {"kind": "phone", "term": "0\u2026 4\u2026 0\u2026", "count": 1,
         "replacement": "[phone]",
         "context": "\u2026ointment, you can call her on [0\u2026 4\u2026 0\u2026] if you "
                    "need to. [00:00:58] T\u2026"},
        {"kind": "birth_date", "term": "9\u2026 J\u2026", "count": 1,
         "replacement": "[date of birth]",
         "context": "\u2026better. And my birthday is on [9\u2026 J\u2026], I want to be "
                    "sober for that.\u2026"}]
    assert not (tmp_path / "out").exists() and not (tmp_path / "private").exists()


def test_every_import_says_which_checks_ran(fixture_project, cli) -> None:
    root = fixture_project("bracket_time.txt")
    first = cli("import", "-p", str(root), "--no-ner")
    assert first.exit_code == 0, first.stderr
    assert first.stdout.splitlines()[-1] == (
        "Privacy gate: checks run: e-mail, phone, URL, postal code, date of birth, ID number; "
        "not run: speakers (no participants.csv), real names (no --roster), named entities "
        "(off).")
    again = cli("import", "-p", str(root), "--no-ner")
    assert again.stdout.splitlines()[-1] == (
        "Privacy gate: no new or changed transcript to check.")
