"""Import: exact offsets, normalisation once, speakers, segments, and the privacy gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualkit.errors import FileError, PrivacyError, ProjectError
from qualkit.ingest.importer import import_transcripts
from qualkit.ingest.speakers import parse_turns
from qualkit.model import Unit
from qualkit.normalise import decode, normalise
from qualkit.project import find


def _import(root: Path, **options):
    project = find(root)
    store = project.open_store()
    return project, store, import_transcripts(store, project, **options)


def test_segments_are_exact_slices_of_the_transcript(project: Path) -> None:
    _, store, result = _import(project)
    assert sorted(result.added) == ["FG1", "FG2"]
    texts = {t.id: t.text for t in store.transcripts()}
    segments = store.segments()
    assert all(s.text == texts[s.transcript_id][s.start:s.end] for s in segments)
    fg1 = [s.text for s in segments if s.transcript_id == store.transcript("FG1").id]
    assert fg1 == ["Welcome.", "What did you learn from mentoring?",
                   "I explained the heart exam to my mentee.", "It made me understand it myself.",
                   "Honestly I felt more confident after a few weeks.",
                   "I also practised blood pressure with them.", "The coffee here is terrible."]
    assert [s.speaker for s in segments][:7] == ["Moderator", "Moderator", "P01", "P01", "P02",
                                                 "P02", "P01"]


def test_turns_keep_timestamps_and_span_continuation_lines(project: Path) -> None:
    _, store, _ = _import(project)
    fg1 = store.transcript("FG1")
    turns = store.turns(fg1.id)
    assert [(t.speaker, t.timestamp) for t in turns] == [
        ("Moderator", "00:00:05"), ("P01", "00:00:20"), ("P02", "00:00:41"),
        ("P01", "00:01:10")]
    assert fg1.text[turns[2].start:turns[2].end] == (
        "Honestly I felt more confident after a few weeks.\n"
        "I also practised blood pressure with them.")


def test_turn_unit_makes_one_segment_per_turn(project: Path) -> None:
    _, store, _ = _import(project, unit=Unit.TURN)
    assert len(store.segments()) == 4 + 2


def test_transcript_group_comes_from_the_roster(project: Path) -> None:
    _, store, result = _import(project)
    assert store.transcript("FG2").attributes == {"group": "FG2"}
    assert result.participants == 4


def test_reimporting_unchanged_files_does_nothing(project: Path) -> None:
    prj, store, _ = _import(project)
    ids = [s.id for s in store.segments()]
    again = import_transcripts(store, prj)
    assert (again.added, again.replaced, again.unchanged) == ([], [], ["FG1", "FG2"])
    assert [s.id for s in store.segments()] == ids


def test_a_changed_coded_transcript_is_not_resegmented(coded_project: Path, cli) -> None:
    assert cli("run", "-p", str(coded_project), "-q").exit_code == 0
    path = coded_project / "transcripts" / "FG1.txt"
    path.write_text(path.read_text() + "\n[00:02:00] P02: One more thing.\n")
    prj = find(coded_project)
    with pytest.raises(ProjectError, match="2 coder\\(s\\) have recorded 14 decision"):
        import_transcripts(prj.open_store(), prj)


def test_crlf_and_bom_give_the_same_text_and_offsets_as_lf(tmp_path: Path) -> None:
    lf = "P01: First line.\nSecond line.\n\nP02: Café."
    crlf = "\ufeff" + lf.replace("\n", "\r\n")
    a = normalise(decode(lf.encode("utf-8"), tmp_path))
    b = normalise(decode(crlf.encode("utf-8"), tmp_path))
    assert a == b
    assert parse_turns(a, tmp_path) == parse_turns(b, tmp_path)


def test_decomposed_unicode_is_composed(tmp_path: Path) -> None:
    assert normalise("Cafe\u0301") == "Caf\u00e9"
    assert decode("Café".encode("cp1252"), tmp_path) == "Café"
    assert decode("Café".encode("utf-16"), tmp_path) == "Café"


def test_text_without_speaker_labels_is_refused_with_the_file_named(tmp_path: Path) -> None:
    with pytest.raises(FileError) as err:
        parse_turns("just some words\nwith no labels", tmp_path / "x.txt")
    assert str(err.value).startswith(f"{tmp_path / 'x.txt'}:1: no speaker labels found")


def test_privacy_gate_stops_an_email_without_quoting_it(project: Path, cli) -> None:
    path = project / "transcripts" / "FG2.txt"
    path.write_text(path.read_text() + "\n[00:01:00] P03: Write to me at jo.doe@example.org!\n")
    result = cli("import", "-p", str(project), "--no-ner")
    assert result.exit_code == 1
    assert result.stderr == (
        "transcripts/FG2.txt:5:32: an e-mail address\n"
        "Privacy gate: checks run: e-mail, phone, URL, postal code, date of birth, ID number, "
        "speakers on participants.csv; not run: real names (no --roster), named entities "
        "(off).\n"
        "Error: the privacy gate found 1 possible identifier(s) in 1 transcript(s) (first: "
        "transcripts/FG2.txt:5:32: an e-mail address); nothing was imported. Pseudonymise "
        "them (`qualkit privacy pseudonymise`), add missing speakers to participants.csv, or "
        "pass --allow-pii\n")
    assert "example.org" not in result.stderr
    store = find(project).open_store()
    assert store.transcript("FG2") is None  # nothing of it reached the store
    assert store.transcript("FG1") is None  # nor of the clean file beside it


def test_privacy_gate_flags_speakers_missing_from_the_roster(project: Path) -> None:
    path = project / "transcripts" / "FG2.txt"
    path.write_text(path.read_text() + "\n[00:01:00] Maria: I agree.\n")
    with pytest.raises(PrivacyError, match=r"a speaker missing from participants\.csv"):
        _import(project)
    _, _, result = _import(project, allow_pii=True)
    assert "FG2" in result.added
