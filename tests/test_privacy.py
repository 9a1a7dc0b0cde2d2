"""The privacy gate: what it finds, what it lets through, and that it never shows the text."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from qualkit.gate import Kind, Scanner, build_scanner
from qualkit.gate.names import Person, RealNames
from qualkit.gate.ner import Entities

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"


def kinds(text: str) -> list[tuple[str, Kind]]:
    return [(text[h.start:h.end], h.kind) for h in Scanner().hits(text, [])]


@pytest.mark.parametrize(("text", "expected"), [
    ("mail me: jo.doe@example.org", [("jo.doe@example.org", Kind.EMAIL)]),
    ("call +36 30 123 4567 now", [("+36 30 123 4567", Kind.PHONE)]),
    ("see https://example.net/a?b=1 today", [("https://example.net/a?b=1", Kind.URL)]),
    ("my page is example.co.uk/me", [("example.co.uk/me", Kind.URL)]),
    ("we live at SW1A 1AA", [("SW1A 1AA", Kind.POSTCODE)]),
    ("Springfield, IL 62704", [("IL 62704", Kind.POSTCODE)]),
    ("my postcode is 1085", [("postcode is 1085", Kind.POSTCODE)]),
    ("I was born on 3/4/2001", [("3/4/2001", Kind.BIRTH_DATE)]),
    ("my birthday is 12 March", [("12 March", Kind.BIRTH_DATE)]),
    ("SSN 078-05-1120", [("078-05-1120", Kind.ID_NUMBER)]),
    ("NI number AB 12 34 56 C", [("AB 12 34 56 C", Kind.ID_NUMBER)]),
    ("card 4111 1111 1111 1111 ok", [("4111 1111 1111 1111", Kind.ID_NUMBER)]),
    ("my student number is AB12345", [("AB12345", Kind.ID_NUMBER)]),
    ("it's jo dot bloggs at gmail dot com", [("jo dot bloggs at gmail dot com", Kind.EMAIL)]),
    ("my employee number? E7731902", [("E7731902", Kind.ID_NUMBER)]),
    ("call me on 1412345678", [("1412345678", Kind.PHONE)]),
    ("my birthday is July 9th", [("July 9th", Kind.BIRTH_DATE)]),
    ("see www.example.org.", [("www.example.org", Kind.URL)]),
])
def test_rules_find_each_kind(text: str, expected: list[tuple[str, Kind]]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize("text", [
    "[00:02:37] P03: In 2019-2020 we had 12 mentees, 4 groups.",
    "It was 20 minutes, from 10:30 to 10:50, on 2023-10-12.",
    "The exam is on 12 March, I think.",  # a date, but not near "born"
    "About 25000 students, 1500 in the English programme.",
    "We read the 2nd edition, page 1234.",
    # The classroom and product-name reports.
    "Teacher: What is 1412345678 divided by two? Today is July 9th.",
    "We use Microsoft.NET, ASP.NET and Node.js.",
    "Student: 40-60-80-100-120-140.",
    "Children born just before 1 September are the youngest; I was born in 1990.",
    "Look at 1000 2000 3000 4000 and 4111111111111111 on the board.",
    "1500 BC is before 500 AD.",
])
def test_rules_leave_ordinary_talk_alone(text: str) -> None:
    assert kinds(text) == []


def test_roster_names_match_misspellings_and_first_names_only() -> None:
    names = RealNames([Person("Katalin Szabó"), Person("Bence Tóth"), Person("Anna Kiss"),
                       Person("Anna Nagy")])
    text = "Katalyn said that Bence and KATALIN SZABO met Anna. Will you go? Anna Kiss did."
    hits = [(text[h.start:h.end], h.person) for h in names.find(text)]
    assert hits == [("Katalyn", 0), ("Bence", 1), ("KATALIN SZABO", 0), ("Anna", None),
                    ("Anna Kiss", 2)]


def test_roster_file_as_text_or_csv(tmp_path: Path) -> None:
    assert [p.name for p in RealNames.load(FIXTURES / "real_names.txt").people] == [
        "Katalin Szabó", "Bence Tóth"]
    path = tmp_path / "real.csv"
    path.write_text("name,pseudonym\nKatalin Szabó,P90\n", encoding="utf-8")
    assert RealNames.load(path).people == [Person("Katalin Szabó", "P90")]


def test_named_entities_from_a_pipeline(tmp_path: Path) -> None:
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": "Dora"},
                        {"label": "GPE", "pattern": "Pécs"},
                        {"label": "ORG", "pattern": "Semmelweis"}])
    scanner = Scanner(entities=Entities(nlp, "test_pipeline"))
    text = "P01: Dora took me to Pécs, not [Semmelweis]."
    from qualkit.model import Turn

    hits = scanner.hits(text, [Turn(0, 0, "P01", 5, len(text))])
    assert [(text[h.start:h.end], h.kind) for h in hits] == [("Dora", Kind.PERSON),
                                                            ("Pécs", Kind.PLACE)]
    assert "named entities (test_pipeline)" in scanner.summary()


def test_an_unknown_speaker_label_stays_out_of_repr_and_the_error_line() -> None:
    from qualkit.gate.scan import Finding, PiiFound

    finding = Finding("x.txt", Kind.UNKNOWN_SPEAKER, 3, 1, label="Dora Kiss")
    assert finding.describe() == 'x.txt:3:1: a speaker missing from participants.csv "Dora Kiss"'
    assert "Dora" not in repr(finding)
    assert "Dora" not in str(PiiFound([finding], 1, "checks"))


def test_summary_says_which_checks_did_not_run() -> None:
    assert build_scanner((), None, None).summary() == (
        "checks run: e-mail, phone, URL, postal code, date of birth, ID number; not run: "
        "speakers (no participants.csv), real names (no --roster), named entities (off)")


# -- the CLI ---------------------------------------------------------------------------


def test_privacy_scan_lists_places_and_kinds_never_the_text(cli, tmp_path: Path) -> None:
    result = cli("privacy", "scan", str(FIXTURES / "with_pii.txt"), "--no-ner",
                 "-p", str(tmp_path))
    path = FIXTURES / "with_pii.txt"
    assert result.exit_code == 1
    assert result.stdout == (
        f"{path}:3:29: an e-mail address\n"
        f"{path}:5:18: a phone number\n"
        f"{path}:5:45: a URL\n"
        f"{path}:7:20: a date of birth\n"
        f"{path}:7:59: an ID number\n"
        f"{path}:9:18: a postal code\n"
        "6 possible identifier(s) in 1 of 1 file(s).\n"
        "Privacy gate: checks run: e-mail, phone, URL, postal code, date of birth, ID number; "
        "not run: speakers (no participants.csv), real names (no --roster), named entities "
        "(off).\n")
    for secret in ("dora.kiss", "123 4567", "example.net", "2001", "AB12345", "SW1A"):
        assert secret not in result.stdout + result.stderr


def test_privacy_scan_of_a_clean_folder_exits_0(cli, tmp_path: Path) -> None:
    for name in ("bracket_time.txt", "teams.vtt"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    result = cli("privacy", "scan", str(tmp_path), "--no-ner", "--json", "-p", str(tmp_path))
    assert result.exit_code == 0
    assert '"findings": []' in result.stdout and '"files": 2' in result.stdout




def test_pseudonymise_is_consistent_across_files_and_runs(
        fixture_project, cli, tmp_path: Path) -> None:
    root = fixture_project("with_names.txt", "colon_names.txt")
    (root / "transcripts" / "participants.csv").write_text(
        "participant\nModerator\nP27\nP28\n", encoding="utf-8")
    key, out = tmp_path / "secret" / "key.csv", tmp_path / "clean"
    args = ("privacy", "pseudonymise", str(root / "transcripts"), "--key", str(key),
            "--out", str(out), "--roster", str(FIXTURES / "real_names.txt"), "--no-ner",
            "-p", str(root))
    dry = cli(*args)
    assert dry.exit_code == 0, dry.stderr
    assert not out.exists() and not key.exists()
    assert dry.stdout.splitlines()[:3] == [
        "kind           term   count  becomes   context",
        "speaker label  D\u2026         1  Person01  \u2026as mentoring like this year? [D\u2026]: "
        "It was busy. I explained the\u2026",
        "speaker label  B\u2026         1  Person02  \u2026week. Sometimes three times. [B\u2026]: "
        "For me it was mostly message\u2026"]
    assert ("Next: read the table, then run again with --apply --force (the change would "
            "rewrite 2 speaker label(s)).") in dry.stdout
    refused = cli(*args, "--apply")
    assert refused.exit_code == 2
    assert refused.stderr == ("Error: the change would rewrite 2 speaker label(s); nothing "
                              "was written. Read the table above, then pass --force with "
                              "--apply to write it\n")
    assert not out.exists() and not key.exists()
    result = cli(*args, "--apply", "--force")
    assert result.exit_code == 0, result.stderr
    assert (f"Pseudonymised 2 file(s) into {out}: 3 name(s) replaced by pseudonyms, 0 other "
            "identifier(s) by placeholders, 0 ambiguous first name(s) by [name], 2 speaker "
            f"label(s) by pseudonyms.\nKey: {key} (3 people, 3 new);") in result.stdout
    with key.open(encoding="utf-8") as handle:
        pseudonyms = {row["name"]: row["pseudonym"] for row in csv.DictReader(handle)}
    # Files are read in name order: colon_names.txt's labels Dora, then Bence (who is
    # Bence Tóth of the roster, the only Bence on it), come first.
    assert pseudonyms == {"Dora": "Person01", "Bence Tóth": "Person02",
                          "Katalin Szabó": "Person03"}
    assert (out / "with_names.txt").read_text(encoding="utf-8") == (
        "Moderator: How did the first weeks go?\n\n"
        "P27: Person03 helped me a lot, she's great. Person02 was away.\n\n"
        "P28: I met Person03 at the library. Will you ask her too?\n")
    assert (out / "colon_names.txt").read_text(encoding="utf-8").splitlines()[2] == (
        "Person01: It was busy. I explained the cardiac exam twice a week.")
    assert key.stat().st_mode & 0o077 == 0
    again = cli(*args, "--apply", "--force")
    assert f"Key: {key} (3 people, 0 new)" in again.stdout


def test_the_key_is_never_written_into_the_output_or_the_exports(
        fixture_project, cli, tmp_path: Path) -> None:
    root = fixture_project("colon_names.txt")
    out = tmp_path / "clean"
    result = cli("privacy", "pseudonymise", str(root / "transcripts"), "--key",
                 str(out / "key.csv"), "--out", str(out), "--no-ner", "-p", str(root))
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {out / 'key.csv'}: the key holds real names and must "
                             "not be inside the output folder; keep it somewhere only you "
                             "can read\n")
    result = cli("privacy", "pseudonymise", str(root / "transcripts"), "--key",
                 str(root / "exports" / "key.csv"), "--out", str(out), "--no-ner",
                 "-p", str(root))
    assert result.exit_code == 2
    assert "must not be inside the project's exports/" in result.stderr
    assert not out.exists()


def test_a_postcode_word_does_not_reach_into_the_next_line() -> None:
    # Found by the benchmark corpus: "zip." at the end of a turn read the next turn's
    # timestamp as a postal code.
    from qualkit.gate.rules import POSTCODES

    text = "P01: I had a zip.\n[00:00:41] Moderator: Thanks.\nP02: My zip code is 1085 here."
    found = [m.group() for p in POSTCODES for m in p.finditer(text)]
    assert len(found) == 1
    assert found[0].startswith("zip code is 1085")
