"""What an author publishes from a report: passages counted as coded, quotes that stand for
their code, a methods paragraph that says only what happened, group comparisons with
statistics checked against published worked examples, the participant matrix and its data
dictionary, and a page that fits a 1,280-pixel screen.

The fixture reproduces the shape of a real interview study (issue 23): one interviewee per
transcript, speakers called ``Participant 10``, transcripts named ``Participant 10 -
Interview_A``, chunks of several sentences coded at once (and one chunk with two codes),
a transcript imported but never coded, a codebook without a version label, and every
decision imported from a codings file. Counts below are by reading the texts.
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path

import pytest

from tests import browser

ARTIFACTS = Path(os.environ.get("QUALKIT_TEST_ARTIFACTS",
                                Path(__file__).resolve().parent.parent / "test-artifacts"))

CODEBOOK = """\
name: Practitioners & their models
unit: sentence
themes:
  - id: engineering
    name: Engineering practice in a clinical machine-learning team
    codes:
      - id: code_quality
        name: Code quality and maintainability of the analysis pipeline
        definition: >-
          The participant describes how the team keeps analysis code correct, readable and
          maintainable over time: reviews, checklists, tests, naming conventions, shared
          repositories, and the habits that make code something others can change safely.
        keywords: [quality, maintain]
      - id: collaboration
        name: Collaboration across teams and disciplines
        definition: >-
          Working with other people or teams (engineers, clinicians, managers) on the same
          models or pipelines, including meetings, shared planning and joint decisions.
        keywords: [team, together]
  - id: responsibility
    name: Responsibility for what the models do
    codes:
      - id: accountability
        name: Accountability for model decisions
        definition: >-
          Who answers for a model's predictions and errors, to whom, and how that is made
          visible (release notes, sign-off, explanations to the people affected).
        keywords: [accountable, responsibility]
"""

# Participant 10's first turn: sentences 1-3 coded code_quality and collaboration as one
# chunk; sentence 4 uncoded; sentence 5 code_quality again (a second passage, not adjacent).
A = """\
Interviewer: How do you keep the analysis code in good shape?

Participant 10: We review every notebook before it is merged into the shared repository. \
The team agreed on a checklist for quality, naming and tests. Nobody merges code that the \
rest of the team cannot maintain later. Honestly the coffee machine is broken again. \
Quality is also about the tests that we write for each other.

Interviewer: Who answers for a model that goes wrong?

Participant 10: I am accountable for the models I ship to the clinic, and I sign the \
release note myself. When a prediction is wrong I explain to the ward what happened and why.
"""

# Participant 11's answer: all six sentences (73 words) coded collaboration as one chunk,
# the last also code_quality on its own.
B = """\
Interviewer: Tell me about working with other teams.

Participant 11: We sit together with the data engineers every Tuesday and plan the next \
sprint as one team. The clinicians join once a month to tell us what they see on the ward. \
It is slow. Sometimes the meetings run over and we lose the afternoon. Still, nobody \
wants to go back to throwing models over the wall to another department. We learned to \
write the pipeline together so that everyone can maintain it and trust its quality.
"""

C = """\
Interviewer: Anything else you want to add?

Participant 12: Our group shares responsibility for every decision the model makes in the \
hospital. We meet as a team to check each alert together before it goes live.
"""

D = """\
Interviewer: How long have you worked here?

Participant 13: About two years, mostly on the radiology models.
"""

PARTICIPANTS = """\
participant,role,years
Interviewer,moderator,
Participant 10,mentor,6
Participant 11,mentee,1
Participant 12,mentor,9
Participant 13,mentee,2
"""

CHUNK = ("We review every notebook before it is merged into the shared repository. The team "
         "agreed on a checklist for quality, naming and tests. Nobody merges code that the "
         "rest of the team cannot maintain later.")
A_, B_, C_ = (f"Participant {n} - Interview_{x}" for n, x in ((10, "A"), (11, "B"), (12, "C")))
CODED = [  # transcript, speaker, quote, codes
    (A_, "Participant 10", CHUNK, "code_quality;collaboration"),
    (A_, "Participant 10", "Quality is also about the tests that we write for each other.",
     "code_quality"),
    (A_, "Participant 10", "I am accountable for the models I ship to the clinic, and I sign "
     "the release note myself. When a prediction is wrong I explain to the ward what "
     "happened and why.", "accountability"),
    (B_, "Participant 11", " ".join(B.split("\n", 2)[2].split()), "collaboration"),
    (B_, "Participant 11", "We learned to write the pipeline together so that everyone can "
     "maintain it and trust its quality.", "code_quality"),
    (C_, "Participant 12", "Our group shares responsibility for every decision the model "
     "makes in the hospital.", "accountability"),
    (C_, "Participant 12", "We meet as a team to check each alert together before it goes "
     "live.", "collaboration"),
]


def _codings() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["transcript", "speaker", "quote", "codes", "memo"])
    writer.writerows([*row, ""] for row in CODED)
    return buffer.getvalue()


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def study(tmp_path: Path, cli) -> Path:
    root = tmp_path / "interviews"
    for folder in ("codebooks", "transcripts", "exports", "codings"):
        (root / folder).mkdir(parents=True)
    (root / "codebooks" / "practice.yaml").write_text(CODEBOOK, encoding="utf-8")
    for name, text in (("Participant 10 - Interview_A", A), ("Participant 11 - Interview_B", B),
                       ("Participant 12 - Interview_C", C), ("Participant 13 - Interview_D", D)):
        (root / "transcripts" / f"{name}.txt").write_text(text, encoding="utf-8")
    (root / "transcripts" / "participants.csv").write_text(PARTICIPANTS, encoding="utf-8")
    (root / "codings" / "ana.csv").write_text(_codings(), encoding="utf-8")
    result = cli("run", "-p", str(root), "-q")
    assert result.exit_code == 0, result.stderr
    return root


@pytest.fixture
def exports(study: Path, cli) -> Path:
    result = cli("report", "-p", str(study), "--compare", "role:mentor,mentee")
    assert result.exit_code == 0, result.stderr
    return study / "exports"


# ------------------------------------------------------------------------ counts


def test_passages_participants_and_groups_counted_by_hand(exports: Path) -> None:
    table = {r["code_id"]: r for r in _rows(exports / "theme_table.csv")}
    got = {code: (r["passages"], r["segments"], r["participants"], r["groups"])
           for code, r in table.items()}
    assert got == {
        # P10's chunk (3 sentences) and P10's later sentence (not adjacent: 2 passages),
        # P11's last sentence.
        "code_quality": ("3", "5", "2", "2"),
        # P10's chunk (3), P11's answer (6 sentences), P12's second sentence.
        "collaboration": ("3", "10", "3", "3"),
        # P10's two sentences, P12's first sentence.
        "accountability": ("2", "3", "2", "2"),
    }
    tidy = _rows(exports / "coded_segments.csv")  # segments stay in the tidy table
    assert sum(r["code_id"] == "collaboration" for r in tidy) == 10


def test_breakdown_is_codes_by_groups_on_the_page_and_long_in_csv(exports: Path) -> None:
    long = {(r["code_id"], r["value"]): (r["passages"], r["participants"], r["share"])
            for r in _rows(exports / "by_role.csv")}
    # mentees who spoke in coded transcripts: P11 only (P13's interview was not coded)
    assert long[("accountability", "mentor")] == ("2", "2", "1.0")
    assert long[("accountability", "mentee")] == ("0", "0", "0.0")
    markdown = (exports / "report.md").read_text(encoding="utf-8")
    assert ("| Responsibility for what the models do | Accountability for model decisions | "
            "0 (0%) | 2 (100%) |") in markdown
    assert "| Theme | Code | mentee (n = 1) | mentor (n = 2) |" in markdown


# ------------------------------------------------------------------------ quotes


def test_no_passage_illustrates_two_codes_and_each_quote_says_its_rule(exports: Path,
                                                                       study: Path) -> None:
    quotes = _rows(exports / "quotes.csv")
    assert sorted(q["code_id"] for q in quotes) == ["accountability", "code_quality",
                                                    "collaboration"]
    texts = [q["quote"].replace("…", "").split(". ") for q in quotes]
    sentences = [s.strip().rstrip(".") for t in texts for s in t if s.strip()]
    assert len(sentences) == len(set(sentences))  # no sentence quoted for two codes
    assert all(q["chosen"].startswith("by rule: the coded passage") for q in quotes)
    for q in quotes:  # whole sentences, 12 to 60 words, ellipsis where the passage goes on
        words = q["quote"].replace("…", "").split()
        assert 12 <= len(words) <= 60
        assert q["quote"].rstrip("…").rstrip().endswith((".", "?", "!"))
    collaboration = next(q for q in quotes if q["code_id"] == "collaboration")
    code_quality = next(q for q in quotes if q["code_id"] == "code_quality")
    # the chunk coded with both codes goes to one of them only
    assert not (CHUNK in collaboration["quote"] and CHUNK in code_quality["quote"])


def test_a_passage_over_60_words_is_trimmed_at_sentence_ends_with_an_ellipsis() -> None:
    from qualkit.report.quotes import _windows

    sentences = [(i, f"Sentence number {i} has exactly eight words here.")
                 for i in range(1, 11)]  # 80 words in ten sentences
    windows = _windows(sentences, {7: 1.0, 8: 1.0}, order=0)
    best = max((w for w in windows if w.words >= 12), key=lambda w: (w.evidence, -w.words))
    assert best.words <= 60 and best.evidence == 2.0
    assert best.text.startswith("… Sentence number") and best.text.endswith("here. …")
    whole = [w for w in windows if w.segments == tuple(range(1, 8))]
    assert whole[0].text == " ".join(s for _, s in sentences[:7]) + " …"


@pytest.mark.parametrize(("speaker", "group", "expected"), [
    ("Participant 10", "Participant 10 - Interview_A", "P10, Interview A"),
    ("P06", "FG1", "P06, FG1"),
    ("Participant", "P1", "Participant, P1"),
    ("respondent_7", "respondent_7_site_b", "P7, site b"),
    ("P1", "P10 focus group", "P1, P10 focus group"),  # P1 is not the start of P10
])
def test_source_reads_as_journals_print_it(speaker: str, group: str, expected: str) -> None:
    from qualkit.report.quotes import source_label

    assert source_label(speaker, group) == expected


def test_source_column_in_the_theme_table(exports: Path) -> None:
    sources = {r["code_id"]: r["quote_source"] for r in _rows(exports / "theme_table.csv")}
    assert set(sources.values()) <= {"P10, Interview A", "P11, Interview B",
                                     "P12, Interview C"}


# ------------------------------------------------------------------------ methods


def _methods(exports: Path) -> str:
    markdown = (exports / "report.md").read_text(encoding="utf-8")
    return markdown[markdown.index("## Methods") + 11:markdown.index("## Coder:")].strip()


def test_methods_sentence_on_transcripts_coded_and_imported(exports: Path) -> None:
    # D was imported and never coded. Segments: A 1 + 5 + 1 + 2, B 1 + 6, C 1 + 2, D 1 + 1.
    assert _methods(exports).startswith(
        "Of the four transcripts in the project, three were coded, with three participants "
        "(moderators not counted); 19 of the project's 21 sentence segments were reviewed.")


def test_methods_sentence_on_the_codebook_leaves_out_an_empty_version(exports: Path) -> None:
    methods = _methods(exports)
    assert "with the codebook “Practitioners & their models” (content hash " in methods
    assert "version ," not in methods and "(version" not in methods


def test_methods_sentence_says_imported_decisions_saw_no_suggestions(exports: Path) -> None:
    methods = _methods(exports)
    assert ("The coding decisions were imported from codings files made outside qualkit; "
            "none was made where qualkit shows its keyword suggestions, so coders did not "
            "see them.") in methods
    assert "shown to coders" not in methods
    assert "One coder coded the transcripts." in methods
    assert ("Tables count coded passages (eight passages in all; a passage is a run of "
            "adjacent segments of one turn coded with the same code)") in methods


@pytest.mark.parametrize(("origins", "suggested", "expected"), [
    ({"manual": 30, "suggestion": 12}, True,
     "Coders made their decisions in qualkit's tagging session or coding sheet, where "
     "keyword suggestions from its matcher were shown as proposals (12 decisions accepted a "
     "suggestion)."),
    ({"sheet:ana.xlsx": 5}, False,
     "Coders made their decisions in qualkit's tagging session or coding sheet; no keyword "
     "suggestions had been computed, so none were shown."),
    ({"manual": 3, "qdpx:study.qdpx@0-10": 7}, True,
     "Of ten coding decisions, 3 were made in qualkit's tagging session or coding sheet, "
     "where keyword suggestions from its matcher were shown as proposals, and 7 were "
     "imported from a REFI-QDA project made outside qualkit."),
    ({"adjudication:by:Dr Lee": 4}, True, None),
])
def test_methods_sentence_on_suggestions_follows_each_decisions_origin(
        origins: dict[str, int], suggested: bool, expected: str | None) -> None:
    from qualkit.report.methods import suggestions_sentence

    assert suggestions_sentence(origins, suggested) == expected


# ------------------------------------------------------------------------ statistics


def test_fisher_exact_matches_agrestis_tea_tasting() -> None:
    from qualkit.report.compare import fisher

    # Agresti, Categorical Data Analysis (2nd ed., 2002), section 3.5.2, Table 3.8: the
    # lady guessed 3 of 4 milk-first cups; two-sided P = 0.486.
    assert fisher(3, 4, 1, 4) == pytest.approx(0.4857, abs=1e-4)


@pytest.mark.parametrize(("k1", "n1", "k2", "n2", "low", "high"), [
    # Newcombe (1998), Stat Med 17:873-890, Table II, method 10 (hybrid score, no
    # continuity correction), examples (a), (b), (d), (e), (f).
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0000),
])
def test_difference_interval_matches_newcombes_table(k1: int, n1: int, k2: int, n2: int,
                                                      low: float, high: float) -> None:
    from qualkit.report.compare import newcombe

    d, lo, hi = newcombe(k1, n1, k2, n2)
    assert d == pytest.approx(k1 / n1 - k2 / n2)
    assert (lo, hi) == (pytest.approx(low, abs=1e-4), pytest.approx(high, abs=1e-4))


def test_benjamini_hochberg_matches_the_1995_example() -> None:
    from qualkit.report.compare import benjamini_hochberg

    # Benjamini & Hochberg (1995), JRSS B 57:289-300, section 4.2: 15 p-values; at
    # q = 0.05 the first four are rejected. Adjusted values by hand: p(i) * 15 / i, then
    # the running minimum from the largest p down (0.0095 * 15 / 4 = 0.035625; the fifth
    # is 0.0201 * 3 = 0.0603; the sixth takes the seventh's 0.0298 * 15 / 7).
    p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240,
         0.4262, 0.5719, 0.6528, 0.7590, 1.0000]
    adjusted = benjamini_hochberg(p)
    assert [a <= 0.05 for a in adjusted] == [True] * 4 + [False] * 11
    assert adjusted[3] == pytest.approx(0.035625)
    assert adjusted[4] == pytest.approx(0.0603)
    assert adjusted[5] == pytest.approx(0.0298 * 15 / 7)
    assert math.isnan(benjamini_hochberg([0.01, math.nan])[1])


def test_compare_role_writes_shares_interval_fisher_and_adjusted_p(exports: Path) -> None:
    from scipy.stats import fisher_exact

    rows = {r["code_id"]: r for r in _rows(exports / "compare_role.csv")}
    owning = rows["accountability"]  # mentors P10 and P12 both; the one mentee, P11, not
    assert (owning["with:mentor"], owning["with:mentee"]) == ("2", "0")
    assert float(owning["difference"]) == pytest.approx(1.0)
    assert owning["test"] == "Fisher's exact"
    # [[2, 0], [0, 1]]: the observed table is the only one as extreme, P = 1 / C(3, 1)
    assert float(owning["p"]) == pytest.approx(1 / 3)
    assert float(owning["p"]) == pytest.approx(fisher_exact([[2, 0], [0, 1]])[1])
    assert float(owning["p_adjusted"]) >= float(owning["p"])
    markdown = (exports / "report.md").read_text(encoding="utf-8")
    assert "Group comparison by “role” (mentor vs mentee; exploratory)" in markdown
    assert "Exploratory:" in markdown


def test_compare_beyond_two_groups_uses_chi_square(study: Path, cli) -> None:
    result = cli("report", "-p", str(study), "--compare", "years", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = _rows(study / "exports" / "compare_years.csv")
    assert {r["test"] for r in rows} == {"chi-square"}
    assert all(r["difference"] == "" for r in rows)


@pytest.mark.parametrize(("spec", "message"), [
    ("rol", "no participant or transcript attribute 'rol'; did you mean `role`?"),
    ("role:mentor,mentees", "--compare role: no participant with role 'mentees'; did you "
                            "mean `mentee`?"),
    ("role:mentor", "--compare role: name two or more values, as in role:A,B"),
])
def test_compare_errors_are_one_line(study: Path, cli, spec: str, message: str) -> None:
    result = cli("report", "-p", str(study), "--compare", spec)
    assert (result.exit_code, result.stderr) == (2, f"Error: {message}\n")


# ------------------------------------------------------------------------ mixed methods


def test_participant_matrix_has_attributes_and_a_data_dictionary(study: Path, cli) -> None:
    result = cli("report", "-p", str(study), "--format", "csv", "--matrix", "presence")
    assert result.exit_code == 0, result.stderr
    matrix = {r["participant"]: r for r in _rows(study / "exports" / "participant_by_code.csv")}
    assert list(matrix["Participant 10"])[:4] == ["coder", "participant", "role", "years"]
    assert {p: (r["role"], r["code_quality"], r["collaboration"], r["accountability"])
            for p, r in matrix.items()} == {
        "Participant 10": ("mentor", "1", "1", "1"),
        "Participant 11": ("mentee", "1", "1", "0"),
        "Participant 12": ("mentor", "0", "1", "1")}
    dictionary = {r["column"]: r for r in _rows(study / "exports" / "data_dictionary.csv")}
    assert dictionary["role"]["type"] == "attribute"
    assert dictionary["role"]["values"] == "mentee; mentor"
    assert dictionary["collaboration"]["type"] == "binary"
    assert dictionary["collaboration"]["description"].startswith(
        "Code “Collaboration across teams and disciplines” (theme “Engineering practice")


def test_matrix_counts_passages(exports: Path) -> None:
    matrix = {r["participant"]: r for r in _rows(exports / "participant_by_code.csv")}
    assert matrix["Participant 10"]["code_quality"] == "2"  # two passages, four sentences


def test_bad_matrix_measure_is_one_line(study: Path, cli) -> None:
    result = cli("report", "-p", str(study), "--matrix", "count")
    assert (result.exit_code, result.stderr) == (
        2, "Error: --matrix takes counts or presence; not 'count'\n")


# ------------------------------------------------------------------------ layout


def test_titles_escape_for_each_format(exports: Path) -> None:
    from docx import Document

    markdown = (exports / "report.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Theme report — Practitioners & their models\n")
    html = (exports / "report.html").read_text(encoding="utf-8")
    assert "<title>Theme report — Practitioners &amp; their models</title>" in html
    tex = (exports / "report.tex").read_text(encoding="utf-8")
    assert r"\title{Theme report — Practitioners \& their models}" in tex
    doc = Document(str(exports / "report.docx"))
    assert doc.paragraphs[0].text == "Theme report — Practitioners & their models"


@pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))
def test_html_fits_1280_pixels_without_sideways_scrolling(exports: Path) -> None:
    page = (exports / "report.html").resolve()
    with browser.chromium() as chromium:
        chromium.resize(1280, 800)
        chromium.open(page.as_uri())
        width = chromium.run("return window.innerWidth")
        assert 1200 <= width <= 1280
        assert chromium.run("return document.documentElement.scrollWidth") <= width
        wide = chromium.run("""
            return [...document.querySelectorAll('section.table')]
              .filter(s => !s.querySelector('table.matrix') || s.id.startsWith('by_'))
              .map(s => [s.id, s.querySelector('.scroll')])
              .filter(([id, box]) => box && box.scrollWidth > box.clientWidth)
              .map(([id, box]) => id);""")
        assert wide == []  # no data table scrolls sideways (wide matrices may)
        chromium.screenshot(ARTIFACTS / "report-1280.png")
    assert (ARTIFACTS / "report-1280.png").stat().st_size > 10_000


@pytest.mark.parametrize(("text", "expected"), [
    ("Practitioners & their models", "Practitioners & their models"),
    ("p < 0.001", "p < 0.001"),
    ("<script>x</script>", "&lt;script>x&lt;/script>"),
    ("<!-- hidden -->", "&lt;!-- hidden -->"),
    ("&lt; typed as is", "&amp;lt; typed as is"),
    ("> not a quote", "&gt; not a quote"),
    ("a | b", "a \\| b"),
])
def test_markdown_escapes_only_what_markdown_would_read_as_markup(text: str,
                                                                   expected: str) -> None:
    from qualkit.report.markdown import md_cell

    assert md_cell(text) == expected


def test_methods_counts_sentence_gives_each_reported_coders_passages(coded_project: Path,
                                                                     cli) -> None:
    assert cli("run", "-p", str(coded_project), "-q").exit_code == 0
    markdown = (coded_project / "exports" / "report.md").read_text(encoding="utf-8")
    # tests/conftest.py: ana coded five (segment, code) pairs, none adjacent with one code;
    # ben coded P01's two sentences as one passage and P02's blood pressure sentence.
    assert "Tables count coded passages (ana 5, ben 2 passages; a passage is" in markdown
