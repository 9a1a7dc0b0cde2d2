"""``qualkit codings import`` with files as researchers write them: edited quotes, repeated
sentences, new codes, other tools' exports. Expected placements are read off FG3 below."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from qualkit.project import find

# Lines (1-based): 1 Moderator, 3 P01, 5 Moderator "Okay?", 7 P02, 9 Moderator "Okay?", 11 P01.
FG3 = """\
[00:00:05] Moderator: How did the mentoring go?

[00:00:12] P01: At first I was lost. Then my mentor \u2013 a fifth-year student \u2013 \
showed me the \u201cward routine\u201d and everything changed. I learned to present a \
patient in two minutes.

[00:00:40] Moderator: Okay?

[00:00:42] P02: Right. It was the same for me, honestly.

[00:01:00] Moderator: Okay?

[00:01:02] P01: I could finally explain the discharge letter to my mentee without notes.
"""

HEADER = "transcript,speaker,quote,codes,memo\n"


@pytest.fixture
def study(project: Path, cli) -> Path:
    (project / "transcripts" / "FG3.txt").write_text(FG3, encoding="utf-8")
    assert cli("import", "-p", str(project), "-q").exit_code == 0
    return project


def _coded(project: Path, coder: str) -> dict[str, frozenset[str]]:
    """Segment text → codes, for the coder's segments with codes."""
    store = find(project).open_store()
    segments = {s.id: s for s in store.segments()}
    return {segments[i].text: c.codes for i, c in store.codings(coder).items() if c.codes}


def _reviewed(project: Path, coder: str, transcript: str) -> int:
    store = find(project).open_store()
    (t,) = [t for t in store.transcripts() if t.name == transcript]
    ids = {s.id for s in store.segments([t.id])}
    return sum(1 for i in store.codings(coder) if i in ids)


def _import(cli, project: Path, body: str, *args: str, name: str = "ana.csv",
            header: str = HEADER):
    path = project / name
    path.write_text(header + body, encoding="utf-8")
    return path, cli("codings", "import", str(path), "-p", str(project), *args)


@pytest.mark.parametrize("quote", [
    # curly quotes, dashes, case and line breaks ignored
    'THEN my mentor - a fifth-year student -\nshowed me the "ward routine"',
    # punctuation runs count as a space
    "then my mentor, a fifth-year student, showed me the ward routine",
])
def test_quotes_match_whatever_their_whitespace_case_quotes_and_dashes(study: Path, cli,
                                                                       quote: str) -> None:
    _, result = _import(cli, study, f'FG3,P01,"{quote.replace(chr(34), chr(34) * 2)}",'
                                    "teaching_skills,\n")
    assert result.exit_code == 0, result.stderr
    assert _coded(study, "ana") == {
        "Then my mentor \u2013 a fifth-year student \u2013 showed me the \u201cward routine\u201d "
        "and everything changed.": frozenset({"teaching_skills"})}


@pytest.mark.parametrize("quote", [
    "At first I was lost \u2026 showed me the ward routine",
    "At first I was lost. [...] showed me the ward routine",
    "At first I was lost... showed me the ward routine",
    "[The student] showed me the ward routine and everything changed",
])
def test_cuts_and_insertions_are_gaps_between_pieces_in_order(study: Path, cli,
                                                              quote: str) -> None:
    _, result = _import(cli, study, f'FG3,P01,"{quote}",teaching_skills,\n')
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Placed 1 of 1 row(s): 1 with gaps.\n")
    coded = _coded(study, "ana")
    assert ("Then my mentor \u2013 a fifth-year student \u2013 showed me the \u201cward "
            "routine\u201d and everything changed.") in coded


def test_pieces_out_of_order_are_not_placed(study: Path, cli) -> None:
    _, result = _import(cli, study, 'FG3,P01,"showed me the ward routine \u2026 At first I was '
                                    'lost",teaching_skills,\n')
    assert result.exit_code == 2
    assert "line 2: quote not found in FG3 (P01's turns);" in result.stderr


def test_a_quote_across_speaker_labels_is_split_over_the_turns(study: Path, cli) -> None:
    _, result = _import(cli, study, 'FG3,,"It was the same for me, honestly. Moderator: Okay? '
                                    'P01: I could finally explain",self_confidence,\n')
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Placed 1 of 1 row(s): 1 verbatim across turns.\n")
    assert _coded(study, "ana") == {
        "It was the same for me, honestly.": frozenset({"self_confidence"}),
        "Okay?": frozenset({"self_confidence"}),
        "I could finally explain the discharge letter to my mentee without notes.":
            frozenset({"self_confidence"})}


def test_near_verbatim_quotes_are_placed_with_their_score(study: Path, cli) -> None:
    path, result = _import(cli, study, 'FG3,P01,"I could finally explain the discharge '
                                       'letters to my mentees without any notes.",'
                                       "teaching_skills,\n")
    assert result.exit_code == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("Placed 1 of 1 row(s): 1 approximate; scores of the anchored and "
                            "approximate ones ")
    score = int(first.split("ones ")[1].split(",")[0])
    assert 90 <= score < 100
    verbose = cli("codings", "import", str(path), "-p", str(study), "-v", "--coder", "bo")
    assert f"{path}:2: placed, not verbatim (score {score})" in verbose.stderr


def test_a_heavier_edit_is_refused_with_its_score_and_what_to_do(study: Path, cli) -> None:
    _, result = _import(cli, study, 'FG3,P01,"Later I could explain discharge papers to '
                                       'the students with no notes at all",teaching_skills,\n')
    assert result.exit_code == 2
    message = result.stderr.splitlines()[1]
    assert message.startswith("  line 2: quote not found in FG3 (P01's turns); the closest "
                              "passage scores ")
    assert message.endswith("(< 90); copy the quote from the transcript, or lower --min-score")


def test_a_repeated_quote_lists_its_lines_until_a_column_chooses(study: Path, cli) -> None:
    path, result = _import(cli, study, "FG3,Moderator,Okay?,teaching_skills,\n")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {path}: 1 problem(s), nothing was applied; fix them and import again, or "
        "pass --partial to apply the valid rows\n"
        "  line 2: quote occurs 2 times in FG3 (Moderator's turns) (lines 5, 9); add a "
        "line, time, occurrence or segment column to choose, or quote a longer passage\n")


@pytest.mark.parametrize(("column", "value"), [
    ("line", "9"), ("time", "00:01:00"), ("time", "1:00"), ("occurrence", "2")])
def test_line_time_or_occurrence_choose_among_repeats(study: Path, cli, column: str,
                                                       value: str) -> None:
    _, result = _import(cli, study, f"FG3,Moderator,Okay?,teaching_skills,{value}\n",
                        header=f"transcript,speaker,quote,codes,{column}\n")
    assert result.exit_code == 0, result.stderr
    store = find(study).open_store()
    (seg,) = [store.segments()[i] for i, s in enumerate(store.segments())
              if s.id in {k for k, c in store.codings("ana").items() if c.codes}]
    assert (seg.text, seg.start) == ("Okay?", FG3.index("Okay?", FG3.index("00:01:00")))


def test_a_segment_column_chooses_too(study: Path, cli) -> None:
    store = find(study).open_store()
    second = FG3.index("Okay?", FG3.index("00:01:00"))
    (seg,) = [s for s in store.segments() if s.start == second]
    _, result = _import(cli, study, f"FG3,,Okay?,teaching_skills,{seg.id}\n",
                        header="transcript,speaker,quote,codes,segment\n")
    assert result.exit_code == 0, result.stderr
    assert set(find(study).open_store().codings("ana")) >= {seg.id}


def test_every_problem_is_reported_at_once_and_nothing_applied(study: Path, cli) -> None:
    path, result = _import(cli, study,
                           "FG1,P01,I explained the heart exam,teching_skills,\n"
                           "FG9,P01,I explained the heart exam,teaching_skills,\n"
                           "FG1,P01,the lung exam,teaching_skills,\n"
                           "FG1,,the,teaching_skills,\n"
                           "FG1,P01,,teaching_skills,\n"
                           "FG2,P03,She taught us,Peer learning;teaching_skills,\n"
                           "FG1,P02,I also practised blood pressure,Peer learning,\n")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {path}: 6 problem(s), nothing was applied; fix them and import again, or "
        "pass --partial to apply the valid rows\n"
        "  line 2: unknown code `teching_skills` (line(s) 2); did you mean "
        "`teaching_skills`?\n"
        "  line 3: transcript `FG9` is not in the project; did you mean `FG1`? (import it "
        "first with `qualkit import`)\n"
        "  line 4: quote not found in FG1 (P01's turns); copy it from the transcript (a quote "
        "under 4 words must match exactly, whitespace, case and punctuation aside)\n"
        "  line 5: quote occurs 2 times in FG1 (lines 3, 8); add a line, time, occurrence or "
        "segment column to choose, or quote a longer passage\n"
        "  line 6: a row needs both a quote and at least one code (or neither, to mark the "
        "transcript reviewed)\n"
        # no "did you mean": nothing in the codebook is like it
        "  line 7: unknown code `Peer learning` (line(s) 7, 8); add it to the codebook, or "
        "pass --new-codes to add the file's new codes as inductive codes\n")
    assert find(study).open_store().events() == []


def test_partial_applies_the_valid_rows_and_writes_the_refused_ones(study: Path, cli) -> None:
    path, result = _import(cli, study,
                           "FG2,P03,She taught us how to suture,clinical_skills,\n"
                           "FG1,P02,I also practised blood pressure,clinical_skills,\n"
                           'FG1,P01,"=HYPERLINK(""x"")",teaching_skills,\n', "--partial")
    assert result.exit_code == 0, result.stderr
    refused = path.with_name("ana.refused.csv")
    assert result.stderr == (f"{path}:4: quote not found in FG1 (P01's turns); copy it from "
                             "the transcript (a quote under 4 words must match exactly, "
                             "whitespace, case and punctuation aside)\n")
    assert result.stdout == (
        "Placed 2 of 3 row(s): 2 verbatim.\n"
        "ana: 2 transcript(s) reviewed, 2 segment(s) coded, 4 new decision(s) recorded.\n"
        "Partly reviewed (refused rows; only the placed decisions were recorded): FG1. Pass "
        "--reviewed-in-full if the coder reviewed them completely.\n"
        f"1 problem(s); the refused rows are in {refused}: fix them there and import that "
        "file.\n")
    with refused.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["line", "problem", "transcript", "speaker", "quote", "codes", "memo"],
                    ["4", "quote not found in FG1 (P01's turns); copy it from the transcript "
                          "(a quote under 4 words must match exactly, whitespace, case and "
                          "punctuation aside)",
                     "FG1", "P01", "'=HYPERLINK(\"x\")", "teaching_skills", ""]]
    # FG2 was reviewed in full (3 segments: one coded, two "none apply"); FG1 only where
    # a quote was placed: no "none apply" invented for the refused passage.
    assert _reviewed(study, "ana", "FG2") == 3
    assert _reviewed(study, "ana", "FG1") == 1


def test_reviewed_in_full_records_none_apply_all_the_same(study: Path, cli) -> None:
    _, result = _import(cli, study, "FG1,P02,I also practised blood pressure,clinical_skills,\n"
                                    "FG1,P01,the lung exam,teaching_skills,\n",
                        "--partial", "--reviewed-in-full")
    assert result.exit_code == 0, result.stderr
    assert "Partly reviewed" not in result.stdout
    assert _reviewed(study, "ana", "FG1") == 7  # every segment of FG1


def test_new_codes_become_inductive_codes_in_a_new_codebook_version(study: Path, cli) -> None:
    from qualkit.codebook.load import load_codebook
    from qualkit.codebook.versions import active_codebook

    before, _ = load_codebook(study / "codebooks" / "tiny.yaml")
    _, result = _import(cli, study, "FG2,P03,She taught us,Peer learning;teaching_skills,\n"
                                    "FG1,P02,I also practised blood pressure,Peer learning,\n",
                        "--new-codes")
    assert result.exit_code == 0, result.stderr
    after = active_codebook(find(study).open_store())
    assert after is not None and after.version != before.version
    assert result.stdout.splitlines()[0] == (f"Added 1 inductive code(s) to the codebook "
                                             f"(version {after.version}): Peer learning "
                                             "(peer_learning).")
    code = after.code("peer_learning")
    assert (code.name, code.theme_id) == ("Peer learning", "inductive")
    assert code.definition.startswith("Inductive code added by ana from ana.csv on ")
    assert _coded(study, "ana")["I also practised blood pressure with them."] == \
        frozenset({"peer_learning"})
    # Loading the codebook file again (as `qualkit run` does) keeps the inductive code.
    assert cli("run", "-p", str(study), "-q").exit_code == 0
    kept = active_codebook(find(study).open_store())
    assert kept is not None and "peer_learning" in {c.id for c in kept.codes}
    # The theme table authors paste into a paper leaves the definition to be written: the
    # note of who added the code is not one.
    from qualkit.report.analysis import theme_table

    with find(study).open_store() as store:
        rows = {r.code_id: r for r in theme_table(store, kept, "ana").rows}
    assert rows["peer_learning"].definition == ""
    assert rows["teaching_skills"].definition == kept.code("teaching_skills").definition != ""


MAXQDA = ("Color,Document group,Document name,Code,Begin,End,Weight score,Segment,Comment\n"
          ",,FG3,Professional growth\\Teaching and explaining,3,3,0,"
          '"I learned to present a patient in two minutes.",learned by doing\n')
ATLAS = ("ID,Quotation Name,Document,Quotation Content,Codes,Comment\n"
         '3:1,I learned,3: FG3,"I learned to present a patient in two minutes.",'
         '"Teaching and explaining",learned by doing\n')
NVIVO = ("Hierarchical Name,File,Reference,Coverage,Coded Text\n"
         "Codes\\\\Professional growth\\\\Teaching and explaining,FG3.txt,1,0.05,"
         '"I learned to present a patient in two minutes."\n')
DEDOOSE = ("Media Title,Excerpt Range,Excerpt Copy,Codes Applied Combined\n"
           'FG3,120-170,"I learned to present a patient in two minutes.",'
           "Teaching and explaining\n")
DELVE = ("Transcript,Code,Snippet,Note\n"
         'FG3,Teaching and explaining,"I learned to present a patient in two minutes.",\n')


@pytest.mark.parametrize(("table", "fmt"), [
    (MAXQDA, "MAXQDA coded segments"), (ATLAS, "ATLAS.ti quotations"),
    (NVIVO, "NVivo coding"), (DEDOOSE, "Dedoose excerpts"), (DELVE, "Delve snippets")])
def test_other_tools_exports_are_recognised_by_their_headers(study: Path, cli, table: str,
                                                             fmt: str) -> None:
    path = study / "export.csv"
    path.write_text(table, encoding="utf-8")
    result = cli("codings", "import", str(path), "-p", str(study), "--coder", "eve")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"Read {path} as {fmt}."
    assert _coded(study, "eve") == {
        "I learned to present a patient in two minutes.": frozenset({"teaching_skills"})}


def test_an_xlsx_export_reads_like_its_csv(study: Path, cli) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in csv.reader(MAXQDA.splitlines()):
        sheet.append(row)
    path = study / "segments.xlsx"
    book.save(path)
    result = cli("codings", "import", str(path), "-p", str(study), "--coder", "eve")
    assert result.exit_code == 0, result.stderr
    assert _coded(study, "eve") == {
        "I learned to present a patient in two minutes.": frozenset({"teaching_skills"})}


def test_an_unknown_table_says_which_columns_are_needed(study: Path, cli) -> None:
    path = study / "other.csv"
    path.write_text("doc,text,tag\nFG3,Okay?,x\n", encoding="utf-8")
    result = cli("codings", "import", str(path), "-p", str(study))
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {path}:1: has no known coded-segment header (columns needed — qualkit: "
        "transcript, quote, codes; MAXQDA coded segments: document name, segment, code; "
        "ATLAS.ti quotations: document, quotation content, codes; NVivo coding: file, coded "
        "text, hierarchical name; Dedoose excerpts: media title, excerpt copy, codes applied "
        "combined; Delve snippets: transcript, snippet, code); rename the columns or export "
        "the table again\n")


def test_a_quote_in_another_speakers_turn_names_that_speaker(study: Path, cli) -> None:
    _, result = _import(cli, study, "FG3,P02,I could finally explain the discharge letter,"
                                    "teaching_skills,\n")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1] == (
        "  line 2: quote found in FG3, but in the turns of P01, not P02; fix the speaker "
        "column")


def test_a_refused_row_of_another_tools_export_leaves_its_transcript_partly_reviewed(
        study: Path, cli) -> None:
    path = study / "atlas.csv"
    path.write_text(ATLAS + '3:2,Okay,3: FG3,"Okay?",Teaching and explaining,\n',
                    encoding="utf-8")
    result = cli("codings", "import", str(path), "-p", str(study), "--coder", "eve",
                 "--partial")
    assert result.exit_code == 0, result.stderr
    assert ("Partly reviewed (refused rows; only the placed decisions were recorded): FG3."
            in result.stdout)
    assert _reviewed(study, "eve", "FG3") == 1


def test_a_short_quote_in_another_speakers_turn_names_that_speaker(study: Path, cli) -> None:
    _, result = _import(cli, study, "FG3,P01,Okay?,teaching_skills,\n")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1] == (
        "  line 2: quote found in FG3, but in the turns of Moderator, not P01; fix the "
        "speaker column")
