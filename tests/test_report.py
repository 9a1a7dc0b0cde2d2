"""``qualkit report``: every format read back and checked against the hand-countable codings
of tests/conftest.py, escaping in every format, and the HTML in a real headless Chromium.

Counts by reading conftest.py: ana coded teaching on P01 (FG1) and P03 (FG2); clinical on
P02 (FG1) and P03 (FG2); self-confidence on P02 only. P01 and P02 are mentors (FG1), P03 a
mentee (FG2). P03's banana sentence carries teaching and clinical (same segment); P02's turn
holds a confidence sentence and a clinical one (same turn, different segments).
"""

from __future__ import annotations

import csv
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualkit.model import CodingAction, CodingEvent, NoteKind, SegmentNote
from qualkit.project import find
from tests import browser

ARTIFACTS = Path(os.environ.get("QUALKIT_TEST_ARTIFACTS",
                                Path(__file__).resolve().parent.parent / "test-artifacts"))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def reported(coded_project: Path, cli) -> Path:
    """The fixture project after `qualkit run`, then ana's report in every format."""
    assert cli("run", "-p", str(coded_project), "-q").exit_code == 0
    result = cli("report", "-p", str(coded_project), "--coder", "ana")
    assert result.exit_code == 0, result.stderr
    return coded_project / "exports"


# ------------------------------------------------------------------------ the numbers


def test_report_writes_every_format(reported: Path) -> None:
    for name in ("report.html", "report.md", "report.xlsx", "report.docx", "report.tex",
                 "coded_segments.csv", "theme_table.csv", "by_role.csv", "saturation.csv",
                 "code_by_transcript.csv", "participant_by_code.csv",
                 "cooccurrence_segment.csv", "cooccurrence_turn.csv", "agreement.csv"):
        assert (reported / name).is_file(), name
    assert not list(reported.glob(".*.tmp"))  # nothing half-written left behind


def test_xlsx_numbers_match_the_codings(reported: Path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(reported / "report.xlsx")
    sheet = book["theme_table"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    rows = {r[header.index("Code id")]: dict(zip(header, r, strict=True))
            for r in sheet.iter_rows(min_row=2, values_only=True)}
    counts = {code: (r["Passages"], r["Segments"], r["Participants"], r["Groups"])
              for code, r in rows.items()}
    assert counts == {"teaching_skills": (2, 2, 2, 2), "clinical_skills": (2, 2, 2, 2),
                      "self_confidence": (1, 1, 1, 1)}
    assert rows["teaching_skills"]["Share of participants"] == pytest.approx(2 / 3)
    assert sheet.cell(row=2, column=header.index("Share of participants") + 1
                      ).number_format == "0%"
    quote = chr(ord("A") + header.index("Illustrative quote"))
    assert sheet.column_dimensions[quote].width > 30  # the quote column was widened
    tidy = book["coded_segments"]
    applied = [(r[0], r[4], r[9]) for r in tidy.iter_rows(min_row=2, values_only=True)]
    assert sorted(applied) == sorted([
        ("ana", "P01", "teaching_skills"), ("ana", "P02", "self_confidence"),
        ("ana", "P02", "clinical_skills"), ("ana", "P03", "clinical_skills"),
        ("ana", "P03", "teaching_skills")])
    by_role = book["by_role"]
    header = [c.value for c in by_role[1]]
    got = {(r[2], r[4]): r[5:] for r in by_role.iter_rows(min_row=2, values_only=True)}
    assert header[4:] == ["role", "Participants in group", "Passages", "Segments",
                          "Participants with code", "Share of group"]
    assert got[("teaching_skills", "mentor")] == (2, 1, 1, 1, 0.5)
    assert got[("teaching_skills", "mentee")] == (1, 1, 1, 1, 1.0)
    assert got[("self_confidence", "mentee")] == (1, 0, 0, 0, 0.0)


def test_docx_tables_match_the_codings(reported: Path) -> None:
    from docx import Document

    doc = Document(str(reported / "report.docx"))
    theme = doc.tables[0]
    header = [c.text for c in theme.rows[0].cells]
    assert header[:6] == ["Theme", "Code", "Passages", "Participants",
                          "Share of participants", "Groups"]
    body = {r.cells[1].text: [c.text for c in r.cells] for r in theme.rows[1:]}
    assert body["Teaching and explaining"][2:6] == ["2", "2", "67%", "2"]
    assert body["Self-confidence"][2:6] == ["1", "1", "33%", "1"]
    # no passage of 12 words or more: the longest (9 words against P01's 8)
    assert body["Teaching and explaining"][6:8] == ["She taught us how to suture on a banana.",
                                                    "P03, FG2"]
    codebook = doc.tables[1]
    assert [c.text for c in codebook.rows[0].cells] == ["Theme", "Code", "Definition"]
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Table 1. Theme table" in text
    assert "The analysis covered two transcripts with three participants" in text
    assert len(doc.inline_shapes) == 2  # the frequency and saturation charts


def test_matrices_cooccurrence_and_saturation(reported: Path) -> None:
    by_transcript = {r["code"]: (r["FG1"], r["FG2"])
                     for r in _rows(reported / "code_by_transcript.csv")}
    assert by_transcript == {"Teaching and explaining": ("1", "1"),
                             "Clinical skills": ("1", "1"), "Self-confidence": ("1", "0")}
    people = {r["participant"]: (r["teaching_skills"], r["clinical_skills"],
                                 r["self_confidence"])
              for r in _rows(reported / "participant_by_code.csv")}
    assert people == {"P01": ("1", "0", "0"), "P02": ("0", "1", "1"),
                      "P03": ("1", "1", "0")}
    segment = {r["code"]: r for r in _rows(reported / "cooccurrence_segment.csv")}
    turn = {r["code"]: r for r in _rows(reported / "cooccurrence_turn.csv")}
    assert segment["Teaching and explaining"]["clinical_skills"] == "1"  # the banana
    assert segment["Self-confidence"]["clinical_skills"] == "0"
    assert turn["Self-confidence"]["clinical_skills"] == "1"  # P02's one turn
    assert segment["Teaching and explaining"]["teaching_skills"] == "2"  # the diagonal
    saturation = [(r["transcript"], r["new_codes"], r["cumulative"])
                  for r in _rows(reported / "saturation.csv")]
    assert saturation == [("FG1", "3", "3"), ("FG2", "0", "3")]


def test_methods_and_agreement_in_markdown(reported: Path) -> None:
    markdown = (reported / "report.md").read_text(encoding="utf-8")
    methods = markdown[markdown.index("## Methods"):markdown.index("## Coder: ana")]
    assert "two transcripts with three participants" in methods
    assert "“Tiny mentoring codebook” (version 1" in methods
    assert "Two coders coded the transcripts, each decision recorded separately." in methods
    assert "pooled Krippendorff's alpha 0.43" in methods
    assert "| Teaching and explaining | 0.800 | 0.500 | 0.375 | 0.406 | 0.706 |" in markdown


def test_marked_quotes_replace_the_rule(coded_project: Path, cli) -> None:
    assert cli("run", "-p", str(coded_project), "-q").exit_code == 0
    with find(coded_project).open_store() as store:
        heart = next(s for s in store.segments() if s.text.startswith("I explained the heart"))
        with store.transaction() as conn:
            store.add_notes(conn, [SegmentNote(heart.id, "ana", NoteKind.QUOTE, "1",
                                               datetime.now(UTC))])
    assert cli("report", "-p", str(coded_project), "--coder", "ana",
               "--format", "csv").exit_code == 0
    table = {r["code_id"]: r for r in _rows(coded_project / "exports" / "theme_table.csv")}
    assert table["teaching_skills"]["quote"] == "I explained the heart exam to my mentee."
    assert table["teaching_skills"]["quote_source"] == "P01, FG1"
    assert table["teaching_skills"]["quote_chosen"] == "marked while coding"
    assert table["clinical_skills"]["quote_chosen"].startswith("by rule: no participant "
                                                               "passage of 12 to 60 words")


# ------------------------------------------------------------------------ the CLI


@pytest.mark.parametrize(("args", "message"), [
    (("--format", "pdf"), "--format takes html,md,csv,xlsx,docx,tex; not pdf"),
    (("--coder", "anna"), "no coder named 'anna'; did you mean `ana`?"),
    (("--by", "rol"), "no participant or transcript attribute 'rol'; did you mean `role`?"),
])
def test_report_errors_are_one_line(coded_project: Path, cli, args: tuple[str, ...],
                                    message: str) -> None:
    assert cli("run", "-p", str(coded_project), "-q").exit_code == 0
    result = cli("report", "-p", str(coded_project), *args)
    assert (result.exit_code, result.stderr) == (2, f"Error: {message}\n")


def test_by_and_format_choose_what_is_written(coded_project: Path, cli) -> None:
    assert cli("run", "-p", str(coded_project), "-q").exit_code == 0
    exports = coded_project / "exports"
    for path in exports.iterdir():
        path.unlink()
    result = cli("report", "-p", str(coded_project), "--by", "year", "--format", "md",
                 "--json")
    assert result.exit_code == 0
    assert '"exports/report.md"' in result.stdout
    assert sorted(p.name for p in exports.iterdir()) == ["report.md"]
    markdown = (exports / "report.md").read_text(encoding="utf-8")
    assert "attribute “year”" in markdown and "attribute “role”" not in markdown


# ------------------------------------------------------------------------ escaping

HOSTILE = """\
[00:00:05] Moderator: Anything else?

[00:00:10] P01: =HYPERLINK("x","click me") was on the slide.

[00:00:20] P02: <script>alert(1)</script> is what I typed.

[00:00:30] P03: \\input{secrets} & 50% of $x_1$ went #1 with ~^ signs.
"""

HOSTILE_CODER = """\
transcript,speaker,quote,codes,memo
FG9,P01,"=HYPERLINK(""x"",""click me"") was on the slide.",teaching_skills,
FG9,P02,<script>alert(1)</script> is what I typed.,clinical_skills,
FG9,P03,\\input{secrets} & 50% of $x_1$ went #1 with ~^ signs.,self_confidence,
"""


@pytest.fixture
def hostile(project: Path, cli) -> Path:
    for name in ("FG1.txt", "FG2.txt"):
        (project / "transcripts" / name).unlink()
    (project / "transcripts" / "FG9.txt").write_text(HOSTILE, encoding="utf-8")
    (project / "codings" / "ana.csv").write_text(HOSTILE_CODER, encoding="utf-8")
    result = cli("run", "-p", str(project), "-q")
    assert result.exit_code == 0, result.stderr
    return project / "exports"


def test_injection_is_neutralised_in_every_format(hostile: Path) -> None:
    from docx import Document
    from openpyxl import load_workbook

    formula = '=HYPERLINK("x","click me") was on the slide.'
    tidy = {r["speaker"]: r["text"] for r in _rows(hostile / "coded_segments.csv")}
    assert tidy["P01"] == "'" + formula
    book = load_workbook(hostile / "report.xlsx")
    cells = [c for row in book["coded_segments"].iter_rows(min_row=2) for c in row
             if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert [(c.value, c.data_type) for c in cells] == [("'" + formula, "s")]
    anywhere = [c for sheet in book for row in sheet.iter_rows() for c in row
                if isinstance(c.value, str) and c.value.lstrip("'").startswith("=")]
    assert anywhere and all(c.data_type == "s" and c.value.startswith("'") for c in anywhere)

    html = (hostile / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    markdown = (hostile / "report.md").read_text(encoding="utf-8")
    assert "<script" not in markdown and "</script" not in markdown
    assert "&lt;script>alert(1)&lt;/script> is what I typed." in markdown

    tex = (hostile / "report.tex").read_text(encoding="utf-8")
    assert "\\input{" not in tex
    assert (r"\textbackslash{}input\{secrets\} \& 50\% of \$x\_1\$ went \#1 with "
            r"\textasciitilde{}\textasciicircum{} signs.") in tex

    docx_text = "\n".join(c.text for t in Document(str(hostile / "report.docx")).tables
                          for r in t.rows for c in r.cells)
    assert "<script>alert(1)</script> is what I typed." in docx_text


# ------------------------------------------------------------------------ the fold


ACTIONS = st.sampled_from([CodingAction.APPLY, CodingAction.REMOVE,
                           CodingAction.REVIEWED_NONE])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), ACTIONS, st.sampled_from(["a", "b", "c"])),
                max_size=30))
def test_bulk_fold_agrees_with_the_event_fold(log: list[tuple[int, CodingAction, str]]
                                              ) -> None:
    import pandas as pd

    from qualkit.decisions import fold
    from qualkit.report.analysis import fold_log

    at = datetime.now(UTC)
    events = [CodingEvent(seg, "x", action, None if action is CodingAction.REVIEWED_NONE
                          else code, "v", "test", at) for seg, action, code in log]
    expected = {(seg, code) for (_, seg), coding in fold(events).items()
                for code in coding.codes}
    frame = pd.DataFrame([(i, e.segment_id, e.action.value, e.code_id)
                          for i, e in enumerate(events)],
                         columns=["seq", "segment_id", "action", "code_id"])
    got = {(int(s), c) for s, c in fold_log(frame).itertuples(index=False)} if log else set()
    assert got == expected


# ------------------------------------------------------------------------ a real browser


@pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
def test_html_renders_in_headless_chromium(reported: Path) -> None:
    page = (reported / "report.html").resolve()
    with browser.chromium() as chromium:
        chromium.open(page.as_uri())
        assert chromium.run("return document.title") == "Theme report — Tiny mentoring codebook"
        table = chromium.run("""
            const t = document.querySelector('#theme_table-1 table');
            const r = t.getBoundingClientRect(), s = getComputedStyle(t);
            return {width: r.width, height: r.height, display: s.display,
                    visibility: s.visibility, rows: t.tBodies[0].rows.length,
                    first: t.tBodies[0].rows[0].cells[1].innerText};""")
        assert table["display"] != "none" and table["visibility"] == "visible"
        assert table["width"] > 300 and table["height"] > 50
        assert (table["rows"], table["first"]) == (3, "Teaching and explaining")
        charts = chromium.run("return [...document.querySelectorAll('figure svg')]"
                              ".map(s => s.getBoundingClientRect().height)")
        assert len(charts) == 2 and all(h > 50 for h in charts)
        fetched = chromium.run("return performance.getEntriesByType('resource').length")
        assert fetched == 0  # self-contained: nothing loaded from anywhere
        chromium.screenshot(ARTIFACTS / "report.png")
        errors = [m for m in chromium.console() if m["level"] in ("SEVERE", "ERROR")]
        assert errors == []
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000
