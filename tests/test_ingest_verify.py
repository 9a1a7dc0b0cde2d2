"""Issue 19: real transcripts are read right, or refused loudly.

The fixtures (tests/fixtures/transcripts/) were written to look like the files that broke
import — a transcription service's `00:19 PARTICIPANT 12:` labels with the talk below,
labels alone on a line, time-only lines, a typo in a label, an Otter Word export, a PDF
with headers, footers and margin line numbers. Turns and speakers are counted by hand
from the fixture files (or, for the PDF and the Word file, from
make_office_fixtures.py, which writes them).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qualkit.errors import FileError
from qualkit.ingest.formats import read_source
from qualkit.ingest.source import ReadOptions
from qualkit.model import Participant, natural_key
from qualkit.suggest.engine import is_moderator

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"

TALK = ("we talked about the exam and how the mentees prepared for it and what they "
        "found hard")
WORDS = TALK.split(" ")


def read(name: str, **options):
    return read_source(FIXTURES / name, ReadOptions(**options))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- styles read right ------------------------------------------------------------------

@pytest.mark.parametrize(("name", "expected"), [
    # A time, then the label in capitals with a number, the talk on the next lines; a
    # time-only line above a label without a colon; mm:ss and h:mm:ss; a typo'd label.
    ("service_time.txt", [("RESEARCHER", "00:04"), ("PARTICIPANT 12", "00:19"),
                          ("PARTICIPANT 7", "00:31"), ("RESEARCHER", "01:02"),
                          ("PARTICIPANT 12", "01:10"), ("PARTICIPANT 7", "1:01:15"),
                          ("PARTTICIPANT 18", "1:02:03"), ("RESEARCHER", "1:02:40")]),
    # Labels without a colon alone on a line, no blank lines; "Yes." stays talk.
    ("labels_alone.txt", [("INTERVIEWER", None), ("P04", None), ("INTERVIEWER", None),
                          ("P04", None)]),
    # Lower-case labels that recur (a counselling corpus's `therapist:` / `client:`).
    ("lower_labels.txt", [("therapist", None), ("client", None)] * 3),
    # Otter's Word export: its SUMMARY KEYWORDS and SPEAKERS blocks are no speakers.
    ("otter_export.docx", [("Speaker 1", "0:04"), ("Speaker 2", "0:09"),
                           ("Speaker 1", "0:31")]),
    # A service's PDF: header, `Page N of M`, margin numbers; a turn across the page break.
    ("service_fg.pdf", [("RESEARCHER", "00:02"), ("PARTICIPANT 3", "00:15"),
                        ("RESEARCHER", "00:48"), ("PARTICIPANT 9", "01:05"),
                        ("RESEARCHER", "01:40"), ("PARTICIPANT 3", "1:02:10")]),
])
def test_each_real_style_is_read_turn_by_turn(name: str, expected: list) -> None:
    source = read(name)
    assert [(t.speaker, t.timestamp) for t in source.turns] == expected


def test_talk_below_a_time_and_label_is_the_turn_and_time_lines_are_not_talk() -> None:
    source = read("service_time.txt")
    talk = [source.text[t.start:t.end] for t in source.turns]
    assert talk[1] == "Hello. Two years now.\nI started in my third year."
    assert talk[3] == "What did you learn from it?"  # the `01:10` line below is not talk
    assert talk[4] == "Mostly how to explain things slowly.\nI used to rush."


def test_the_title_above_the_first_label_is_no_turn() -> None:
    source = read("service_time.txt")
    assert all("Mentoring focus group" not in source.text[t.start:t.end]
               for t in source.turns)


def test_pdf_text_drops_headers_footers_page_and_line_numbers_and_joins_pages() -> None:
    source = read("service_fg.pdf")
    assert source.format == "pdf"
    assert "Mentoring study" not in source.text
    assert "Page 1 of 2" not in source.text and "Page 2 of 2" not in source.text
    assert not any(line.strip().isdigit() for line in source.text.splitlines())
    turn = source.turns[3]
    assert source.text[turn.start:turn.end] == (
        "A mentee told me she wanted to know what to fix. Since then I write\n"
        "down two things that went well and one thing to work on, and we go\n"
        "through them at the end. I also ask them to grade me, which was\n"
        "uncomfortable at first.")


def test_a_pdf_place_is_its_page() -> None:
    source = read("service_fg.pdf")
    last = source.turns[-1]
    assert source.locator.place(last.start).describe("fg.pdf") == "fg.pdf (page 2)"
    assert source.locator.place(source.turns[0].start).describe("fg.pdf") == "fg.pdf (page 1)"


def test_a_pdf_without_text_and_a_damaged_pdf_are_refused(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.output(str(tmp_path / "scan.pdf"))
    with pytest.raises(FileError) as err:
        read_source(tmp_path / "scan.pdf")
    assert str(err.value) == (f"{tmp_path / 'scan.pdf'}: has no text to read (a scanned "
                              "PDF?); run text recognition (OCR) on it, or export the "
                              "transcript as .docx or .txt")
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf")
    with pytest.raises(FileError) as err:
        read_source(tmp_path / "bad.pdf")
    assert str(err.value) == (f"{tmp_path / 'bad.pdf'}: is not a readable PDF (damaged, or "
                              "another format renamed); export the transcript again as .pdf, "
                              ".docx or .txt")


@pytest.mark.parametrize("name", ["labels_alone.txt", "lower_labels.txt", "otter_export.docx",
                                  "service_fg.pdf", "colon_names.txt", "otter.txt",
                                  "speaker_alone.txt", "bracket_time.txt", "prefixed.docx"])
def test_the_real_style_fixtures_pass_every_check(name: str) -> None:
    assert read(name).concerns == ()


# -- refused, one rule at a time ----------------------------------------------------------

def test_hundreds_of_words_as_one_turn_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "few.txt", "P01: " + " ".join((WORDS * 20)[:250]) + "\n")
    with pytest.raises(FileError) as err:
        read_source(path)
    assert str(err.value) == (
        f"{path}:1: 250 words were read as 1 turn of 1 speaker: most speaker labels were not "
        "recognised; start each turn with `Speaker: talk` (for example `P07: I think…`), "
        "pass --speaker-pattern, or --no-speakers for one-voice text")


def test_a_speaker_whose_label_reads_like_talk_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "talky.txt", "P01: I was nervous.\nso then we said: it will be "
                                        "fine.\nP02: Me too.\nand I told her: calm down.\n"
                                        "P01: It was.\n")
    with pytest.raises(FileError) as err:
        read_source(path, ReadOptions(speaker_pattern=r"^(?P<speaker>[^:]+): "))
    assert str(err.value) == (
        f"{path}:2: 2 speaker labels of 2 turns read like talk (lower-case words, more than "
        "4 words, or a greeting); the labels probably look like `P07: talk` (the label and a "
        "colon before the talk; 3 lines); pass --speaker-pattern "
        r"'^(?P<speaker>[A-Z][\w.-]*(?: [A-Z0-9][\w.-]*){0,3}):[ \t]+', or --no-speakers "
        "for one-voice text")


def test_a_greeting_as_a_speaker_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "hello.txt", "Hello everyone: welcome.\nP01: Thanks.\n")
    with pytest.raises(FileError, match=r"hello.txt:1: 1 speaker label of 1 turn read like "
                                        "talk"):
        read_source(path, ReadOptions(speaker_pattern=r"^(?P<speaker>[^:]+): "))


def test_labels_left_inside_turns_are_refused(tmp_path: Path) -> None:
    lines = []
    for i in range(6):
        lines += [f"P0{i % 2 + 1}: Answer number {i}.", f"MODERATOR: Question number {i}?"]
    path = write(tmp_path, "folded.txt", "\n".join(lines) + "\n")
    with pytest.raises(FileError) as err:
        read_source(path, ReadOptions(speaker_pattern=r"^(?P<speaker>P\d+): "))
    assert str(err.value).startswith(
        f"{path}:2: 6 lines inside the 6 turns read look like speaker labels: turns were "
        "folded into the ones before them; the labels probably look like `P07: talk` (the "
        "label and a colon before the talk; 12 lines); pass --speaker-pattern")


def test_one_label_left_inside_many_turns_is_a_warning_not_a_refusal(tmp_path: Path) -> None:
    lines = [f"P0{i % 2 + 1}: Answer number {i}." for i in range(12)]
    lines.insert(5, "MODERATOR: A question?")
    path = write(tmp_path, "one.txt", "\n".join(lines) + "\n")
    source = read_source(path, ReadOptions(speaker_pattern=r"^(?P<speaker>P\d+): "))
    assert len(source.turns) == 12
    assert [(c.line, c.what) for c in source.concerns] == [
        (6, "1 line inside turns looks like a speaker label and was read as talk; check, "
            "or pass --speaker-pattern")]


def test_a_typo_in_a_label_is_a_warning() -> None:
    assert [(c.line, c.what) for c in read("service_time.txt").concerns] == [
        (21, "a speaker label of 1 turn is spelt almost like the label of 4 other turns; "
             "correct it in the file if it is a typo")]


def test_numbered_labels_are_not_typos_of_each_other(tmp_path: Path) -> None:
    text = "".join(f"PARTICIPANT {n}: Yes, I agree with that.\n" for n in (1, 1, 1, 2, 13))
    assert read_source(write(tmp_path, "n.txt", text)).concerns == ()


def test_no_labels_names_the_style_the_file_probably_uses(tmp_path: Path) -> None:
    text = "".join(f"{m:02d}:{s:02d} PARTICIPANT NUMBER {n} OF GROUP TWO:\nI agree.\n"
                   for m, s, n in ((0, 5, 1), (0, 9, 2), (1, 2, 3)))
    path = write(tmp_path, "long_labels.txt", text)
    with pytest.raises(FileError) as err:
        read_source(path)
    assert str(err.value).startswith(
        f"{path}:1: no speaker labels found; the labels probably look like "
        "`00:19 PARTICIPANT 12:` (a time, then the label; the talk on the next lines; "
        "3 lines); pass --speaker-pattern")


# -- through the CLI: exit 2, nothing stored; warnings; settings ---------------------------

def test_a_refused_file_stores_nothing_and_exits_2(tmp_path: Path, cli) -> None:
    assert cli("init", str(tmp_path / "p")).exit_code == 0
    good = write(tmp_path, "good.txt", "P01: Fine.\nP02: Also fine.\n")
    bad = write(tmp_path, "bad.txt", "P01: " + " ".join((WORDS * 20)[:250]) + "\n")
    result = cli("import", "-p", str(tmp_path / "p"), "--no-ner", str(good), str(bad))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {bad}:1: 250 words were read as 1 turn")
    listed = cli("transcripts", "list", "--json", "-p", str(tmp_path / "p"))
    assert json.loads(listed.stdout) == []


def test_warnings_are_printed_after_the_import(tmp_path: Path, cli) -> None:
    assert cli("init", str(tmp_path / "p")).exit_code == 0
    result = cli("import", "-p", str(tmp_path / "p"), "--no-ner",
                 str(FIXTURES / "service_time.txt"))
    assert result.exit_code == 0
    assert result.stderr == (
        f"Warning: {FIXTURES / 'service_time.txt'}:21: a speaker label of 1 turn is spelt "
        "almost like the label of 4 other turns; correct it in the file if it is a typo\n")


def test_saved_settings_are_read_by_run(tmp_path: Path, cli) -> None:
    root = tmp_path / "p"
    assert cli("init", str(root)).exit_code == 0
    (root / "codebooks" / "c.yaml").write_text(
        "name: C\nversion: 1\nthemes:\n  - id: t\n    name: T\n    codes:\n"
        "      - id: c\n        name: C\n        keywords: [exam]\n", encoding="utf-8")
    (root / "qualkit.toml").write_text("[project]\ncodebook = \"codebooks/c.yaml\"\n",
                                       encoding="utf-8")
    custom = (FIXTURES / "custom_pattern.txt").read_text(encoding="utf-8")
    (root / "transcripts" / "custom.txt").write_text(custom, encoding="utf-8")
    assert cli("run", "-p", str(root)).exit_code == 2  # the labels need the pattern
    pattern = r"^>> (?P<speaker>\w+) \| "
    saved = cli("import", "-p", str(root), "--no-ner", "--speaker-pattern", pattern,
                "--moderator", "Dan", "--unit", "turn", "--save-settings",
                str(FIXTURES / "custom_pattern.txt"))
    assert saved.exit_code == 0, saved.stderr
    assert saved.stdout.splitlines()[-1] == (
        "Saved to qualkit.toml [import]: speaker_pattern, unit, moderators.")
    assert (root / "qualkit.toml").read_text(encoding="utf-8") == (
        "[project]\ncodebook = \"codebooks/c.yaml\"\n\n[import]\n"
        f"speaker_pattern = '{pattern}'\nunit = 'turn'\nmoderators = ['Dan']\n")
    ran = cli("run", "-p", str(root))
    assert ran.exit_code == 0, ran.stderr
    assert ran.stdout.startswith("Transcripts: 1 imported, 0 re-imported, 0 unchanged")


def test_a_wrong_import_setting_names_the_file(tmp_path: Path, cli) -> None:
    root = tmp_path / "p"
    assert cli("init", str(root)).exit_code == 0
    (root / "qualkit.toml").write_text("[import]\nspeaker_patern = 'x'\n", encoding="utf-8")
    result = cli("import", "-p", str(root))
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {root / 'qualkit.toml'}: [import] has no setting "
                             "`speaker_patern`; did you mean `speaker_pattern`?\n")


def test_moderator_option_marks_the_speaker_a_moderator(tmp_path: Path, cli) -> None:
    from qualkit.project import find

    root = tmp_path / "p"
    assert cli("init", str(root)).exit_code == 0
    path = write(tmp_path, "dan.txt", "DAN: How was it?\nParticipant: Good.\n")
    result = cli("import", "-p", str(root), "--no-ner", "--moderator", "Dan", str(path))
    assert result.exit_code == 0, result.stderr
    with find(root).open_store() as store:
        people = store.participants()
        speakers = [t.speaker for t in store.turns(store.transcript("dan").id)]
    assert speakers == ["Dan", "Participant"]  # spelt as the setting spells it
    assert is_moderator("Dan", people) and not is_moderator("Participant", people)


# -- moderators without a roster; natural order ------------------------------------------

@pytest.mark.parametrize(("speaker", "moderator"), [
    ("Moderator", True), ("INTERVIEWER", True), ("Researcher", True), ("RESEARCHER 2", True),
    ("Facilitator", True), ("I", True), ("I1", True), ("Interviewer 2", True),
    ("P01", False), ("PARTICIPANT 12", False), ("Isabel", False), ("Respondent", False)])
def test_moderators_by_label_without_a_roster(speaker: str, moderator: bool) -> None:
    assert is_moderator(speaker, {}) is moderator


def test_the_roster_role_overrides_the_label() -> None:
    roster = {"Researcher": Participant("Researcher", {"role": "mentor"}),
              "Dan": Participant("Dan", {"role": "interviewer"})}
    assert not is_moderator("Researcher", roster)
    assert is_moderator("Dan", roster)


def test_transcript_names_sort_naturally(tmp_path: Path, cli) -> None:
    assert sorted(["P10", "P2", "P1", "FG 11", "FG 2"], key=natural_key) == [
        "FG 2", "FG 11", "P1", "P2", "P10"]
    root = tmp_path / "p"
    assert cli("init", str(root)).exit_code == 0
    for name in ("P10", "P2", "P1", "P11"):
        (root / "transcripts" / f"{name}.txt").write_text("P01: Yes.\nP02: No.\n",
                                                          encoding="utf-8")
    assert cli("import", "-p", str(root), "--no-ner").exit_code == 0
    rows = json.loads(cli("transcripts", "list", "--json", "-p", str(root)).stdout)
    assert [r["name"] for r in rows] == ["P1", "P2", "P10", "P11"]
    status = json.loads(cli("status", "--json", "-p", str(root)).stdout)
    assert [t["name"] for t in status["transcripts"]] == ["P1", "P2", "P10", "P11"]


# -- quirks found in the real corpora -----------------------------------------------------

def test_a_sentence_before_a_colon_is_talk_not_a_label(tmp_path: Path) -> None:
    # A committee transcript's talk line "Sorry. Capacity: we just…" under a label.
    text = ("00:01 CHAIR:\nWelcome.\n00:05 DR JONES:\nSorry. Capacity: we lack places.\n"
            "00:09 CHAIR:\nThank you.\n")
    source = read_source(write(tmp_path, "committee.txt", text))
    assert [t.speaker for t in source.turns] == ["CHAIR", "DR JONES", "CHAIR"]
    assert source.text[source.turns[1].start:source.turns[1].end] == (
        "Sorry. Capacity: we lack places.")


def test_redacted_lines_are_talk_not_labels(tmp_path: Path) -> None:
    # An anonymised interview: identifying words replaced by runs of X.
    text = ("Dan:\nWhere do you work?\nParticipant:\nAt a bank in\nXXXXXXX XXXX\n"
            "for two years.\nDan:\nI see.\n")
    source = read_source(write(tmp_path, "redacted.txt", text))
    assert [t.speaker for t in source.turns] == ["Dan", "Participant", "Dan"]
    assert source.concerns == ()


def test_spreadsheet_rows_of_one_speaker_in_a_row_are_one_turn(tmp_path: Path) -> None:
    # A debate's sentence rows: person, turn.sentence, which debate ("time 1"), sentence.
    path = write(tmp_path, "debate.csv",
                 "person,tot,time,role,dialogue\n"
                 "LEHRER,1.1,time 1,moderator,Good evening.\n"
                 "LEHRER,1.2,time 1,moderator,Let us begin.\n"
                 "ROMNEY,2.1,time 1,candidate,Thank you.\n"
                 "LEHRER,3.1,time 1,moderator,Two minutes.\n")
    source = read_source(path)
    assert [(t.speaker, t.timestamp) for t in source.turns] == [
        ("LEHRER", None), ("ROMNEY", None), ("LEHRER", None)]
    first = source.turns[0]
    assert source.text[first.start:first.end] == "Good evening. Let us begin."
    assert source.participants["ROMNEY"] == {"tot": "2.1", "time": "time 1",
                                             "role": "candidate"}


def test_a_time_below_a_label_is_its_time_and_a_time_inside_talk_is_no_ones(
        tmp_path: Path) -> None:
    text = ("INTERVIEWER\n00:05\nHow was it?\nP04\n00:09\nFine.\n00:12\nReally.\n"
            "INTERVIEWER\nGood.\n")
    source = read_source(write(tmp_path, "times.txt", text))
    assert [(t.speaker, t.timestamp, source.text[t.start:t.end]) for t in source.turns] == [
        ("INTERVIEWER", "00:05", "How was it?"), ("P04", "00:09", "Fine.\n00:12\nReally."),
        ("INTERVIEWER", None, "Good.")]


def test_moderator_option_fills_an_empty_roster_role(tmp_path: Path, cli) -> None:
    from qualkit.project import find

    root = tmp_path / "p"
    assert cli("init", str(root)).exit_code == 0
    (root / "transcripts" / "participants.csv").write_text(
        "participant,role,year\nDan,,\nP01,mentor,5\n", encoding="utf-8")
    (root / "transcripts" / "i1.txt").write_text("Dan: How was it?\nP01: Good.\n",
                                                 encoding="utf-8")
    result = cli("import", "-p", str(root), "--no-ner", "--moderator", "Dan",
                 "--moderator", "P01")
    assert result.exit_code == 0, result.stderr
    with find(root).open_store() as store:
        people = store.participants()
    assert dict(people["Dan"].attributes) == {"role": "moderator", "year": ""}
    assert dict(people["P01"].attributes) == {"role": "mentor", "year": "5"}  # roster wins
