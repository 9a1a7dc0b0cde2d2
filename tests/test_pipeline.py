"""The main job end to end, with counts worked out by hand from tests/conftest.py."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from qualkit.coding.codings_file import import_codings_file
from qualkit.errors import ProblemsError
from qualkit.model import CodingAction
from qualkit.project import find


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_run_writes_theme_tables_from_people_not_suggestions(coded_project: Path, cli) -> None:
    result = cli("run", "-p", str(coded_project))
    assert result.exit_code == 0, result.stderr
    assert "Coder ana: 4 segments coded, 11 new decision(s)." in result.stdout
    assert "Wrote exports/report.md" in result.stdout
    table = {(r["coder"], r["code_id"]): r
             for r in _rows(coded_project / "exports" / "theme_table.csv")}
    # ana coded teaching on P01 (FG1) and P03 (FG2); clinical on P02 (FG1) and P03 (FG2);
    # confidence on P02 only. Three participants spoke in the segments she reviewed.
    ana = {k[1]: (int(r["segments"]), int(r["participants"]), int(r["groups"]))
           for k, r in table.items() if k[0] == "ana"}
    assert ana == {"teaching_skills": (2, 2, 2), "clinical_skills": (2, 2, 2),
                   "self_confidence": (1, 1, 1)}
    assert float(table[("ana", "teaching_skills")]["participant_share"]) == pytest.approx(2 / 3)
    # ben's one teaching quote spans two sentences of P01: two segments, one participant.
    ben = {k[1]: (int(r["segments"]), int(r["participants"]), int(r["groups"]))
           for k, r in table.items() if k[0] == "ben"}
    assert ben == {"teaching_skills": (2, 1, 1), "clinical_skills": (1, 1, 1),
                   "self_confidence": (0, 0, 0)}
    # ...and one passage: the two sentences are adjacent in one turn.
    assert table[("ben", "teaching_skills")]["passages"] == "1"
    # The matcher found "confident" although ben never applied the code: its own column only.
    assert table[("ben", "self_confidence")]["machine_suggested"] == "1"
    assert table[("ana", "teaching_skills")]["quote"] == "She taught us how to suture on a banana."
    assert table[("ana", "teaching_skills")]["quote_source"] == "P03, FG2"
    markdown = (coded_project / "exports" / "report.md").read_text(encoding="utf-8")
    assert "## Coder: ana" in markdown and "## Coder: ben" in markdown
    assert "| Professional growth | Teaching and explaining | 2 | 2 | 67% | 2 |" in markdown
    assert ("| Professional growth | Teaching and explaining | The mentor teaches or explains. "
            "|") in markdown  # the codebook table


def test_run_is_idempotent(coded_project: Path, cli) -> None:
    assert cli("run", "-p", str(coded_project)).exit_code == 0
    again = cli("run", "-p", str(coded_project))
    assert again.exit_code == 0
    assert "Transcripts: 0 imported, 0 re-imported, 2 unchanged" in again.stdout
    assert "Suggestions: 0 segment(s) read, 0 suggestion(s)." in again.stdout
    assert "Coder ana: unchanged." in again.stdout
    assert len(find(coded_project).open_store().events()) == 11 + 10


def test_consensus_replaces_per_coder_tables(coded_project: Path, cli) -> None:
    (coded_project / "codings" / "consensus.csv").write_text(
        "transcript,speaker,quote,codes,memo\n"
        "FG1,P02,I also practised blood pressure with them.,clinical_skills,agreed\n",
        encoding="utf-8")
    assert cli("run", "-p", str(coded_project)).exit_code == 0
    coders = {r["coder"] for r in _rows(coded_project / "exports" / "theme_table.csv")}
    assert coders == {"consensus"}


def test_without_coders_run_says_what_to_do(project: Path, cli) -> None:
    result = cli("run", "-p", str(project))
    assert result.exit_code == 0
    assert result.stdout.rstrip().endswith(
        "No report yet: nobody has coded. Add a coder's file to codings/ or run "
        "`qualkit codings import FILE --coder NAME`.")
    assert not (project / "exports" / "report.md").exists()


def test_changed_coder_file_appends_only_the_difference(coded_project: Path, cli) -> None:
    assert cli("run", "-p", str(coded_project)).exit_code == 0
    ana = coded_project / "codings" / "ana.csv"
    ana.write_text(ana.read_text().replace("self_confidence,", "self_confidence,\n", 1)
                   .replace("FG1,P02,I felt more confident after a few weeks.,self_confidence,"
                            "\n", ""), encoding="utf-8")
    result = cli("codings", "import", str(ana), "-p", str(coded_project))
    assert result.stdout == ("ana: 2 transcript(s) reviewed, 3 segment(s) coded, 1 new "
                             "decision(s) recorded.\n")
    (last,) = find(coded_project).open_store().events("ana")[-1:]
    assert (last.action, last.code_id) == (CodingAction.REVIEWED_NONE, None)


def test_bad_coder_rows_name_the_line_and_record_nothing(project: Path, cli) -> None:
    assert cli("import", "-p", str(project), "-q").exit_code == 0
    path = project / "ok_then_bad.csv"
    path.write_text("transcript,speaker,quote,codes,memo\n"
                    "FG2,P03,She taught us,teaching_skills,\n"
                    "FG1,P01,I explained the heart exam,teching_skills,\n", encoding="utf-8")
    prj = find(project)
    store = prj.open_store()
    from qualkit.codebook.versions import project_codebook

    with pytest.raises(ProblemsError) as err:
        import_codings_file(store, prj, path, project_codebook(store, prj), "ana")
    assert err.value.problems == ["line 3: unknown code `teching_skills` (line(s) 3); did you "
                                  "mean `teaching_skills`?"]
    assert store.events() == []


def test_several_codebooks_need_a_choice_and_qualkit_toml_makes_it(project: Path, cli) -> None:
    second = project / "codebooks" / "other.yaml"
    second.write_text((project / "codebooks" / "tiny.yaml").read_text().replace(
        "Tiny mentoring codebook", "Other codebook"), encoding="utf-8")
    result = cli("suggest", "-p", str(project))
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {project / 'codebooks'} holds several codebooks "
                             "(other.yaml, tiny.yaml); choose one with --codebook FILE, or "
                             'name it in qualkit.toml (codebook = "codebooks/NAME.yaml" under '
                             "[project])\n")
    (project / "qualkit.toml").write_text('[project]\ncodebook = "codebooks/other.yaml"\n')
    result = cli("suggest", "-p", str(project))
    assert result.exit_code == 0, result.stderr
    assert "under codebook" in result.stdout
    assert "Other codebook" in cli("status", "-p", str(project)).stdout


def test_run_lists_every_privacy_finding_and_exits_1(project: Path, cli) -> None:
    path = project / "transcripts" / "FG2.txt"
    path.write_text(path.read_text() + "\n[00:01:00] P03: Mail jo@example.org or call "
                    "+36 20 123 4567.\n", encoding="utf-8")
    result = cli("run", "-p", str(project))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "transcripts/FG2.txt:5:22: an e-mail address"
    assert lines[1] == "transcripts/FG2.txt:5:45: a phone number"
    assert lines[-1].startswith("Error: the privacy gate found 2 possible identifier(s)")
    assert "example.org" not in result.stderr
