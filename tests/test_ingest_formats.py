"""Every format and label style of issue 3, read from fixtures written for the project.

Expected turns are read off the fixture files by eye (tests/fixtures/transcripts/).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qualkit.errors import FileError, QualkitError
from qualkit.ingest.formats import read_source
from qualkit.ingest.source import ReadOptions
from qualkit.normalise import MAX_LINE_CHARS

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"


def turns(name: str, **options) -> list[tuple[str, str | None, str]]:
    source = read_source(FIXTURES / name, ReadOptions(**options))
    return [(t.speaker, t.timestamp, source.text[t.start:t.end]) for t in source.turns]


@pytest.mark.parametrize(("name", "speakers", "stamps"), [
    ("colon_names.txt", ["Moderator", "Dora", "Bence"], [None] * 3),
    ("colon_caps.txt", ["MODERATOR", "P01", "MODERATOR", "P02"], [None] * 4),
    ("bracket_time.txt", ["Moderator", "P03", "P04"], ["00:00:05", "00:00:21", "00:01:02"]),
    ("time_after.txt", ["Moderator", "P05", "P06"], ["00:00:05", "00:00:19", "00:00:40"]),
    ("paren_time.txt", ["MODERATOR", "P07", "P08"], ["00:10", "00:25", "01:02"]),
    ("otter.txt", ["Speaker 1", "Speaker 2", "Speaker 1"], ["0:04", "0:09", "0:31"]),
    ("speaker_alone.txt", ["INTERVIEWER", "P09", "INTERVIEWER", "P09"], [None] * 4),
    ("roles.txt", ["Interviewer", "Respondent", "Facilitator", "Respondent"], [None] * 4),
    ("crlf.txt", ["Moderator", "P12", "P13"], [None] * 3),
    ("utf16.txt", ["Moderator", "P14"], [None] * 2),
    ("cp1252.txt", ["Moderator", "P15"], [None] * 2),
])
def test_each_plain_text_label_style_is_detected(name: str, speakers: list[str],
                                                 stamps: list[str | None]) -> None:
    found = turns(name)
    assert [s for s, _, _ in found] == speakers
    assert [t for _, t, _ in found] == stamps


def test_talk_spans_continuation_lines_and_never_the_label() -> None:
    assert turns("colon_names.txt")[1][2] == ("It was busy. I explained the cardiac exam twice "
                                              "a week.\nSometimes three times.")
    assert turns("otter.txt")[1][2] == "Every two weeks at first.\nThen less, once exams started."
    assert turns("speaker_alone.txt")[1][2] == ("When my mentee passed her first practical.\n"
                                                "I had drilled the blood pressure cuff with her.")


def test_encodings_are_decoded_to_the_same_characters() -> None:
    assert turns("utf16.txt")[1][2] == "À Pécs, deux ans. Ça m'a aidé."
    assert turns("cp1252.txt")[1][2] == "Yes \u2013 at the café near the clinic, naïvely every day."
    assert "\r" not in read_source(FIXTURES / "crlf.txt").text


def test_speaker_pattern_and_no_speakers() -> None:
    found = turns("custom_pattern.txt", speaker_pattern=r"^>> (?P<speaker>\w+) \| ")
    assert found == [("P10", None, "I liked the weekly check-ins."),
                     ("P11", None, "I preferred meeting when something came up.\n"
                                   "It felt less like an obligation."),
                     ("P10", None, "Fair enough.")]
    voice = turns("one_voice.txt", no_speakers=True)
    assert [s for s, _, _ in voice] == ["one_voice", "one_voice"]
    assert voice[1][2] == ("Now I stop and ask what they already know. It takes longer, but "
                           "they remember it.")


def test_a_speaker_pattern_without_a_speaker_group_is_refused() -> None:
    with pytest.raises(QualkitError, match="needs a named group for the speaker"):
        turns("custom_pattern.txt", speaker_pattern=r"^>> \w+ \| ")


def test_webvtt_voice_tags_merge_consecutive_cues_of_one_speaker() -> None:
    assert turns("teams.vtt") == [
        ("Moderator", "00:00:01", "Welcome, everyone. Let's begin."),
        ("P16", "00:00:05", "I mentored two first-years this term. We met in the skills lab "
                            "& the library."),
        ("P17", "00:00:12", "Same for me, mostly the lab.")]


def test_webvtt_speaker_prefixes_and_unlabelled_cues_continue_the_speaker() -> None:
    assert turns("zoom.vtt") == [
        ("Moderator", "00:00:02", "Could you each say what you gained?"),
        ("P18", "00:00:06", "Confidence, I think. Standing in front of people. And explaining "
                            "without notes."),
        ("P19", "00:00:13", "Time management, for sure.")]


def test_srt_cues_merge_like_webvtt() -> None:
    assert turns("captions.srt") == [
        ("Moderator", "00:00:01", "What surprised you?"),
        ("P21", "00:00:03", "How much the mentees already knew. They just needed someone to "
                            "ask."),
        ("P22", "00:00:08", "Same here.")]


def test_docx_labels_as_prefixes_and_as_bold_runs() -> None:
    assert turns("prefixed.docx") == [
        ("Moderator", "00:00:04", "What did the mentees ask most about?"),
        ("P29", "00:00:15", "Exams, always exams.\nAnd where to find the anatomy models."),
        ("P30", "00:00:40", "Housing, for the international ones.")]
    assert turns("bold.docx") == [
        ("Interviewer", None, "Did mentoring change how you study?"),
        ("P31", None, "Yes. I study by explaining now."),
        ("Interviewer", None, "Out loud?"),
        ("P31", None, "Out loud, to my flatmate.")]


def test_spreadsheets_give_one_turn_per_row_and_other_columns_as_attributes() -> None:
    csv_source = read_source(FIXTURES / "survey.csv")
    assert [t.speaker for t in csv_source.turns] == ["R01", "R02", "R03"]
    assert csv_source.participants["R02"] == {"year": "5", "site": "Szeged"}
    xlsx = read_source(FIXTURES / "survey.xlsx")
    assert [(t.speaker, xlsx.text[t.start:t.end]) for t in xlsx.turns] == [
        ("R10", "The check-ins kept me on track."),
        ("R12", "I learned to say no to extra sessions.")]
    assert xlsx.participants["R10"] == {"Cohort": "2024"}


def test_spreadsheet_columns_can_be_named(tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text("who said,what\nR20,Fine.\n", encoding="utf-8")
    with pytest.raises(FileError, match="no text column"):
        read_source(path)
    source = read_source(path, ReadOptions(speaker_column="Who said", text_column="what"))
    assert [(t.speaker, source.text[t.start:t.end]) for t in source.turns] == [("R20", "Fine.")]
    with pytest.raises(FileError, match=r"has no column named 'speaker' \(its columns: who "
                                        r"said, what\); check --speaker-column"):
        read_source(path, ReadOptions(speaker_column="speaker", text_column="what"))


@pytest.mark.parametrize("name", ["colon_names.txt", "teams.vtt", "zoom.vtt", "captions.srt",
                                  "prefixed.docx", "bold.docx", "survey.csv", "survey.xlsx",
                                  "otter.txt", "utf16.txt"])
def test_turn_offsets_point_into_the_text(name: str) -> None:
    source = read_source(FIXTURES / name)
    for turn in source.turns:
        talk = source.text[turn.start:turn.end]
        assert talk == talk.strip() and talk


# -- bad input: one clear line naming the file, exit 2 -----------------------------------

BAD = [
    (b"", "is empty; nothing to import", None),
    (b"  \n\n", "is empty; nothing to import", None),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "is a binary file, not text", None),
    (b"%PDF-1.7\n...", "is a PDF file; give it the suffix .pdf, or save the transcript as "
                       ".txt", None),
    (b"P01: caf\xe9 \x81 ok\n", "is not UTF-8, UTF-16 or Windows-1252 text (byte 0x81); "
                                "pass --encoding, for example --encoding latin-1", 1),
    (b"just words\nno labels\n", "no speaker labels found", 1),
]


@pytest.mark.parametrize(("data", "message", "line"), BAD)
def test_bad_text_files_are_refused_with_one_line(tmp_path: Path, data: bytes, message: str,
                                                  line: int | None) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(FileError) as err:
        read_source(path)
    where = f"{path}:{line}" if line else f"{path}"
    assert str(err.value).startswith(f"{where}: {message}")
    assert "\n" not in str(err.value)


def test_unknown_format_and_broken_vtt(tmp_path: Path) -> None:
    with pytest.raises(FileError, match=r"is an unknown format \(\.pages\); qualkit reads "
                                        r"\.csv, \.docx, \.pdf, \.srt, \.txt, \.vtt, \.xlsx"):
        read_source(tmp_path / "x.pages")
    with pytest.raises(FileError) as err:
        read_source(FIXTURES / "broken.vtt")
    assert str(err.value) == (f"{FIXTURES / 'broken.vtt'}:8: broken cue timing; expected "
                              "`00:00:01.000 --> 00:00:04.000`")
    path = tmp_path / "x.vtt"
    path.write_text("Moderator: not a caption file\n", encoding="utf-8")
    with pytest.raises(FileError, match=r"x\.vtt:1: does not start with WEBVTT"):
        read_source(path)


def test_a_damaged_docx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.docx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(FileError, match=r"x\.docx: is not a readable Word \.docx file"):
        read_source(path)


def test_a_single_enormous_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"P01: " + b"a" * (MAX_LINE_CHARS + 10))
    with pytest.raises(FileError, match=r"huge\.txt:1: has a line of 1,000,015 characters"):
        read_source(path)


def test_undecodable_bytes_with_an_explicit_encoding_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(b"P01: fine\nP02: \xff\xfe broken\n")
    with pytest.raises(FileError, match=r"x\.txt:2: cannot be read as utf-8 \(byte 0xff\)"):
        read_source(path, ReadOptions(encoding="utf-8"))
    assert read_source(path, ReadOptions(encoding="latin-1")).turns[1].speaker == "P02"
