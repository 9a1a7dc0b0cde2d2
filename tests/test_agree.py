"""``qualkit agree``, ``disagreements``, ``adjudicate`` and the report's agreement section.

The project is conftest's: ten segments, two coders (ana, ben), three codes. Reading the
coders' files against the segments gives, per segment (id: ana | ben):

    1-2 Moderator: - | -             3 P01: teaching | teaching     4 P01: - | teaching
    5 P02: self_confidence | -       6 P02: clinical | clinical     7 P01: - | -
    8 Moderator: - | -               9 P03: clinical, teaching | -   10 P03: - | -

Every expected value below is worked out by hand from that table with the textbook
formulas (Cohen 1960; Fleiss 1971; Krippendorff 2011; Gwet 2008; Brennan & Prediger
1981; positive agreement 2a / (2a + b + c)); the working is in the comments.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qualkit.model import CONSENSUS
from qualkit.project import find

pytestmark = pytest.mark.usefixtures("store_backend")  # SQLite, then PostgreSQL

CODER_C = """\
transcript,speaker,quote,codes,memo
FG1,P01,I explained the heart exam to my mentee.,teaching_skills,
FG1,P02,I felt more confident after a few weeks.,self_confidence,
FG1,P02,I also practised blood pressure with them.,clinical_skills,
FG2,P03,She taught us how to suture on a banana.,teaching_skills;clinical_skills,
"""


@pytest.fixture
def imported(cli, coded_project: Path) -> Path:
    result = cli("run", "-p", str(coded_project), "-q")
    assert result.exit_code == 0, result.stderr
    return coded_project


def agree_json(cli, project: Path, *args: str) -> dict:
    result = cli("agree", "-p", str(project), "--json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def by_code(data: dict) -> dict[str, dict]:
    return {row["code"]: row for row in data["codes"]}


# ------------------------------------------------------------------------ agree: values


def test_two_coder_values_per_code_and_pooled(cli, imported: Path) -> None:
    data = agree_json(cli, imported)
    codes = by_code(data)
    # teaching: a=1 (seg 3), b=1 (9: ana only), c=1 (4: ben only), d=7. p_o = 0.8;
    # Cohen p_e = .2*.2 + .8*.8 = .68 -> kappa .12/.32 = .375 (= Fleiss/Scott, equal
    # marginals); alpha = 1 - (n-1) o_01 / (n_0 n_1) = 1 - 19*2/(16*4) = .40625;
    # AC1 p_e = 2*.2*.8 = .32 -> .48/.68 = 12/17; BP (.8 - .5)/.5 = .6; PA 2/4.
    t = codes["teaching_skills"]
    assert t["present"] == {"ana": 2, "ben": 2}
    assert t["percent_agreement"] == pytest.approx(0.8)
    assert t["positive_agreement"] == pytest.approx(0.5)
    assert t["cohen_kappa"] == pytest.approx(0.375)
    assert t["fleiss_kappa"] == pytest.approx(0.375)
    assert t["krippendorff_alpha"] == pytest.approx(0.40625)
    assert t["gwet_ac1"] == pytest.approx(12 / 17)
    assert t["brennan_prediger"] == pytest.approx(0.6)
    # clinical: a=1, ana only 1, d=8. p_o = .9; Cohen p_e = .2*.1 + .8*.9 = .74 -> 8/13;
    # pooled share .15: Fleiss p_e = .745 -> 31/51; alpha 1 - 19*1/(17*3) = 32/51;
    # AC1 p_e = .255 -> 129/149; BP .8; PA 2/3.
    c = codes["clinical_skills"]
    assert c["cohen_kappa"] == pytest.approx(8 / 13)
    assert c["fleiss_kappa"] == pytest.approx(31 / 51)
    assert c["krippendorff_alpha"] == pytest.approx(32 / 51)
    assert c["gwet_ac1"] == pytest.approx(129 / 149)
    assert c["positive_agreement"] == pytest.approx(2 / 3)
    # self_confidence: ana once, ben never. Cohen p_e = .9 = p_o -> 0; Fleiss share .05,
    # p_e = .905 -> -.005/.095 = -1/19; alpha 1 - 19*1/(19*1) = 0; PA 0.
    s = codes["self_confidence"]
    assert s["cohen_kappa"] == pytest.approx(0.0)
    assert s["fleiss_kappa"] == pytest.approx(-1 / 19)
    assert s["krippendorff_alpha"] == pytest.approx(0.0)
    assert s["positive_agreement"] == 0.0
    # Pooled: 30 (segment, code) units, a=2, ana only 3, ben only 1, d=24. p_o = 26/30;
    # Cohen p_e = (5*3 + 25*27)/900 -> 3/7; Fleiss share 8/60, p_e = 173/225 -> 11/26;
    # alpha 1 - 59*4/(52*8) = 45/104; AC1 p_e = 52/225 -> 143/173; BP 22/30; PA 4/8.
    p = data["pooled"]
    assert p["present"] == {"ana": 5, "ben": 3}
    assert p["percent_agreement"] == pytest.approx(26 / 30)
    assert p["cohen_kappa"] == pytest.approx(3 / 7)
    assert p["fleiss_kappa"] == pytest.approx(11 / 26)
    assert p["krippendorff_alpha"] == pytest.approx(45 / 104)
    assert p["gwet_ac1"] == pytest.approx(143 / 173)
    assert p["brennan_prediger"] == pytest.approx(22 / 30)
    assert p["positive_agreement"] == pytest.approx(0.5)
    assert data["segments"] == {"total": 10, "compared": 10, "left_out": 0,
                                "not_reviewed_by": {"ana": 0, "ben": 0}, "identical": 7}
    assert data["bootstrap"] is None and data["below_min_alpha"] == []


def test_per_transcript_presence_as_maxqda(cli, imported: Path) -> None:
    data = agree_json(cli, imported)
    # FG1: ana used all three codes, ben teaching and clinical -> 2 of 3 agree.
    # FG2: ana used teaching and clinical, ben nothing -> 0 of 2.
    assert data["transcripts"] == [
        {"transcript": "FG1", "codes_used": 3, "codes_agreed": 2, "share": pytest.approx(2 / 3),
         "disagreed": ["self_confidence"]},
        {"transcript": "FG2", "codes_used": 2, "codes_agreed": 0, "share": 0.0,
         "disagreed": ["teaching_skills", "clinical_skills"]},
    ]
    assert by_code(data)["teaching_skills"]["transcripts"] == {"used": 2, "agreed": 1}


def test_readable_table(cli, imported: Path) -> None:
    result = cli("agree", "-p", str(imported))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:9] == [
        "Coders: ana, ben. Segments: 10 of 10 compared (reviewed by all); none left out.",
        "7 of 10 segments have identical codes from every coder.",
        "",
        "Code             Present  Agree  PosAgr  Kappa  Fleiss  Alpha    AC1     BP",
        "teaching_skills      2/2  0.800   0.500  0.375   0.375  0.406  0.706  0.600",
        "clinical_skills      2/1  0.900   0.667  0.615   0.608  0.627  0.866  0.800",
        "self_confidence      1/0  0.900   0.000  0.000  -0.053  0.000  0.890  0.800",
        "(pooled)             5/3  0.867   0.500  0.429   0.423  0.433  0.827  0.733",
        "Present: segments each coder (ana/ben) applied the code to. Agree: percent "
        "agreement; PosAgr: positive agreement; Kappa: Cohen's kappa; Fleiss: Fleiss' kappa; "
        "Alpha: Krippendorff's alpha (nominal); AC1: Gwet's AC1; BP: Brennan-Prediger; "
        "—: undefined.",
    ]
    assert lines[-4:] == ["Transcript  Codes  Agreed  Share",
                          "FG1             3       2  0.667",
                          "FG2             2       0  0.000",
                          "all             5       2  0.400"]


def test_segments_not_reviewed_by_everyone_are_left_out(cli, coded_project: Path) -> None:
    ben = coded_project / "codings" / "ben.csv"
    ben.write_text(ben.read_text().replace("FG2,,,,\n", ""))  # ben never reviewed FG2
    assert cli("run", "-p", str(coded_project), "-q").exit_code == 0
    result = cli("agree", "-p", str(coded_project))
    assert result.stdout.splitlines()[0] == (
        "Coders: ana, ben. Segments: 7 of 10 compared (reviewed by all); 3 left out, not "
        "reviewed by ben (3).")
    teaching = by_code(agree_json(cli, coded_project))["teaching_skills"]
    # FG1 only, 7 segments: ana yes at 3; ben at 3, 4. p_o = 6/7; Cohen p_e =
    # (1*2 + 6*5)/49 = 32/49 -> (42 - 32)/(49 - 32) = 10/17.
    assert teaching["percent_agreement"] == pytest.approx(6 / 7)
    assert teaching["cohen_kappa"] == pytest.approx(10 / 17)


def test_three_coders_pairwise(cli, imported: Path) -> None:
    (imported / "codings" / "cy.csv").write_text(CODER_C)  # cy coded exactly as ana
    assert cli("run", "-p", str(imported), "-q").exit_code == 0
    data = agree_json(cli, imported)
    t = by_code(data)["teaching_skills"]
    assert "cohen_kappa" not in t
    assert [(p["coders"], p["kappa"]) for p in t["pairwise_cohen_kappa"]] == [
        (["ana", "ben"], pytest.approx(0.375)), (["ana", "cy"], 1.0),
        (["ben", "cy"], pytest.approx(0.375))]
    # Units with s of 3 coders saying yes: seg 3 s=3, seg 4 s=1, seg 9 s=2, 7 units s=0.
    # P-bar = (8 + 1/3 + 1/3)/10 = 26/30, share of yes 6/30 -> p_e .68, Fleiss 7/12;
    # o_01 = 1*2/2 + 2*1/2 = 2, alpha = 1 - 29*2/(24*6) = 86/144.
    assert t["fleiss_kappa"] == pytest.approx(7 / 12)
    assert t["krippendorff_alpha"] == pytest.approx(86 / 144)
    table = cli("agree", "-p", str(imported)).stdout
    assert "Cohen's kappa per pair of coders:\nCode             ana-ben  ana-cy  ben-cy\n" \
           "teaching_skills    0.375   1.000   0.375\n" in table


def test_bootstrap_is_seeded_and_matches_the_library(cli, imported: Path) -> None:
    from functools import partial

    import numpy as np

    from qualkit.agreement import bootstrap_ci, krippendorff_alpha

    first = agree_json(cli, imported, "--bootstrap", "200", "--seed", "3")
    again = agree_json(cli, imported, "--bootstrap", "200", "--seed", "3")
    other = agree_json(cli, imported, "--bootstrap", "200", "--seed", "4")
    assert first == again and first != other
    assert first["bootstrap"] == {"replicates": 200, "seed": 3, "level": 0.95}
    # Same resampling of segments as bootstrap_ci over the code's segments x coders matrix.
    matrix = np.zeros((10, 2), dtype=np.int64)
    matrix[[2, 8], 0] = 1  # ana: segments 3 and 9
    matrix[[2, 3], 1] = 1  # ben: segments 3 and 4
    expected = bootstrap_ci(partial(krippendorff_alpha), encode_binary(matrix), n=200, seed=3)
    ci = by_code(first)["teaching_skills"]["ci"]["krippendorff_alpha"]
    assert ci == pytest.approx(list(expected))


def encode_binary(matrix):
    from qualkit.agreement import encode

    return encode(matrix, categories=[0, 1])


# ------------------------------------------------------------------------ agree: errors


def test_min_alpha_gates_with_exit_1(cli, imported: Path) -> None:
    result = cli("agree", "-p", str(imported), "--min-alpha", "0.6")
    assert result.exit_code == 1
    assert result.stderr == ("Krippendorff's alpha is below --min-alpha 0.6 for 2 code(s): "
                             "teaching_skills (0.406), self_confidence (0.000)\n")
    assert result.stdout.startswith("Coders: ana, ben.")
    assert cli("agree", "-p", str(imported), "--min-alpha", "0.4", "-q").exit_code == 1
    passed = cli("agree", "-p", str(imported), "--min-alpha", "-0.5", "--json")
    assert passed.exit_code == 0 and json.loads(passed.stdout)["below_min_alpha"] == []


def test_unknown_coder_and_too_few_coders(cli, imported: Path) -> None:
    result = cli("agree", "-p", str(imported), "--coders", "ana,bne")
    assert (result.exit_code, result.stderr) == (
        2, "Error: no coder named 'bne'; did you mean `ben`?\n")
    result = cli("agree", "-p", str(imported), "--coders", "ana")
    assert (result.exit_code, result.stderr) == (
        2, "Error: agreement needs at least two coders; --coders names only ana\n")


def test_one_coder_only(cli, project: Path) -> None:
    from tests.conftest import CODER_A

    (project / "codings" / "ana.csv").write_text(CODER_A)
    assert cli("run", "-p", str(project), "-q").exit_code == 0
    result = cli("agree", "-p", str(project))
    assert (result.exit_code, result.stderr) == (
        2, "Error: agreement needs at least two coders; only ana has coded (import another "
           "coder's decisions with `qualkit codings import FILE --coder NAME`)\n")
    report = (project / "exports" / "report.md").read_text()
    assert "Inter-coder agreement" not in report


# ------------------------------------------------------------------------ disagreements


def test_disagreements_table_and_code_filter(cli, imported: Path) -> None:
    result = cli("disagreements", "-p", str(imported))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "3 of 10 segments reviewed by all of ana, ben differ; 0 segment(s) not reviewed by "
        "all were left out.",
        "Segment  Transcript  Speaker  ana                              ben",
        "4        FG1         P01      (none)                           teaching_skills",
        "5        FG1         P02      self_confidence                  (none)",
        "9        FG2         P03      clinical_skills;teaching_skills  (none)",
        "Settle one with `qualkit adjudicate SEGMENT --codes a,b --coder-name NAME`; see the "
        "text with --json.",
    ]
    data = json.loads(cli("disagreements", "-p", str(imported), "--code", "clinical_skills",
                          "--json").stdout)
    assert data["disagreements"] == [
        {"segment_id": 9, "transcript": "FG2", "position": 1, "speaker": "P03",
         "text": "She taught us how to suture on a banana.",
         "before": "", "after": "I was nervous at first.",
         "codes": {"ana": ["clinical_skills", "teaching_skills"], "ben": []}, "memos": {}}]
    wrong = cli("disagreements", "-p", str(imported), "--code", "clinical")
    assert (wrong.exit_code, wrong.stderr) == (
        2, "Error: unknown code `clinical`; did you mean `clinical_skills`?\n")


# ------------------------------------------------------------------------ adjudicate


def test_accept_agreed_then_settle_the_rest(cli, imported: Path) -> None:
    result = cli("adjudicate", "-p", str(imported), "--accept-agreed")
    assert (result.exit_code, result.stdout) == (0, (
        "consensus: 7 agreed segment(s) of ana, ben recorded (7 event(s)); 0 already "
        "decided; 3 disagreement(s) left to settle.\nList them with `qualkit disagreements`.\n"))
    again = cli("adjudicate", "-p", str(imported), "--accept-agreed")
    assert again.stdout.startswith("consensus: 0 agreed segment(s) of ana, ben recorded "
                                   "(0 event(s)); 7 already decided; 3 disagreement(s)")
    settled = cli("adjudicate", "-p", str(imported), "9", "--codes",
                  "teaching_skills,clinical_skills", "--coder-name", "Dr Lee", "--memo",
                  "both apply")
    assert settled.stdout == ("consensus: segment 9 (FG2) settled as clinical_skills, "
                              "teaching_skills by Dr Lee (2 event(s)).\n")
    none = cli("adjudicate", "-p", str(imported), "5", "--none", "--coder-name", "Dr Lee")
    assert none.stdout == "consensus: segment 5 (FG1) settled as none apply by Dr Lee " \
                          "(1 event(s)).\n"
    same = cli("adjudicate", "-p", str(imported), "5", "--none", "--coder-name", "Dr Lee")
    assert same.stdout == "consensus: segment 5 (FG1) is already none apply; nothing recorded.\n"
    with find(imported).open_store() as store:
        events = store.events(CONSENSUS)
        state = {s: set(c.codes) for s, c in store.codings(CONSENSUS).items()}
    assert {e.origin for e in events} == {"adjudication:agreed:ana,ben",
                                          "adjudication:by:Dr Lee"}
    assert [e.memo for e in events if e.segment_id == 9] == ["both apply", "both apply"]
    assert state == {1: set(), 2: set(), 3: {"teaching_skills"}, 5: set(),
                     6: {"clinical_skills"}, 7: set(), 8: set(), 10: set(),
                     9: {"teaching_skills", "clinical_skills"}}
    # The consensus is not an independent coder: `agree` leaves it out by default.
    assert agree_json(cli, imported)["coders"] == ["ana", "ben"]


@pytest.mark.parametrize(("args", "message"), [
    ((), "give --accept-agreed, a SEGMENT id to settle, --walk, --sheet FILE.xlsx or "
         "--from-sheet FILE.xlsx"),
    (("4", "--accept-agreed"), "give either --accept-agreed or a SEGMENT id to settle"),
    (("4", "--coder-name", "Lee"), "give the settled codes with --codes a,b, or --none"),
    (("4", "--codes", "teaching_skills"), "say who decided with --coder-name NAME"),
    (("4", "--codes", "teching_skills", "--coder-name", "Lee"),
     "unknown code `teching_skills`; did you mean `teaching_skills`?"),
    (("99", "--none", "--coder-name", "Lee"),
     "no segment with id 99; list the disagreements with `qualkit disagreements` to see "
     "segment ids"),
    (("--accept-agreed", "--none"), "--accept-agreed takes only --coders; settle single "
     "segments with `qualkit adjudicate SEGMENT --codes a,b --coder-name NAME`"),
])
def test_adjudicate_errors(cli, imported: Path, args: tuple[str, ...], message: str) -> None:
    result = cli("adjudicate", "-p", str(imported), *args)
    assert (result.exit_code, result.stderr) == (2, f"Error: {message}\n")


# ------------------------------------------------------------------------ report


def test_report_has_an_agreement_section_with_two_coders(cli, imported: Path) -> None:
    report = (imported / "exports" / "report.md").read_text()
    section = report[report.index("## Inter-coder agreement"):]
    assert "| Teaching and explaining | 0.800 | 0.500 | 0.375 | 0.406 | 0.706 |" in section
    assert "| All codes | 0.867 | 0.500 | 0.429 | 0.433 | 0.827 |" in section
    assert "10 of 10 segments reviewed by all of them are compared" in section


# ------------------------------------------------------------------------ agreement FILE.csv

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers x 12
# units with missing values, as a ratings table (one row per unit, one column per coder).
KRIPPENDORFF_CSV = """\
unit,A,B,C,D
1,1,1,,1
2,2,2,3,2
3,3,3,3,3
4,3,3,3,3
5,2,2,2,2
6,1,2,3,4
7,4,4,4,4
8,1,1,2,1
9,2,2,2,2
10,,5,5,5
11,,,1,1
12,,3,,
"""


@pytest.fixture
def ratings(tmp_path: Path) -> Path:
    path = tmp_path / "ratings.csv"
    path.write_text(KRIPPENDORFF_CSV)
    return path


def test_agreement_file_outside_any_project(cli, ratings: Path, tmp_path: Path) -> None:
    result = cli("agreement", str(ratings), "-p", str(tmp_path / "no-project-here"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{ratings}: 12 units, 4 coders (A, B, C, D); 11 units rated by two or more coders.",
        "Categories (found): 1, 2, 3, 4, 5",
        "Percent agreement               0.818",
        "Fleiss' kappa                   0.761",
        "Krippendorff's alpha (nominal)  0.743",
        "Gwet's AC1                      0.775",
        "Brennan-Prediger                0.773",
    ]


def test_agreement_file_json_against_published_values(cli, ratings: Path) -> None:
    data = json.loads(cli("agreement", str(ratings), "--json").stdout)
    assert set(data) == {"percent_agreement", "fleiss_kappa", "krippendorff_alpha",
                         "gwet_ac1", "brennan_prediger", "n_units", "n_coders"}
    assert (data["n_units"], data["n_coders"]) == (12, 4)
    # Krippendorff (2011): nominal alpha 0.743. irrCAC README on the same data
    # (cac.raw4raters): pa 0.8181818, Fleiss 0.76117, AC1 0.77544, BP 0.77273.
    assert data["krippendorff_alpha"] == pytest.approx(0.743, abs=5e-4)
    assert data["percent_agreement"] == pytest.approx(0.8181818, abs=5e-8)
    assert data["fleiss_kappa"] == pytest.approx(0.76117, abs=5e-6)
    assert data["gwet_ac1"] == pytest.approx(0.77544, abs=5e-6)
    assert data["brennan_prediger"] == pytest.approx(0.77273, abs=5e-6)
    # Krippendorff (2011): interval 0.849, ordinal 0.815.
    interval = json.loads(cli("agreement", str(ratings), "--level", "interval", "--json").stdout)
    assert interval["krippendorff_alpha"] == pytest.approx(0.849, abs=5e-4)
    ordinal = json.loads(cli("agreement", str(ratings), "--level", "ordinal", "--json").stdout)
    assert ordinal["krippendorff_alpha"] == pytest.approx(0.815, abs=5e-4)


def test_agreement_file_two_coders_and_undefined_is_null(cli, tmp_path: Path) -> None:
    # Wikipedia, "Cohen's kappa": 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no -> kappa 0.4.
    # By hand: p_o = .7; Scott/Fleiss pooled yes .55 -> p_e .505, pi = .195/.495 = 13/33;
    # alpha = 1 - 99*15/(55*45) = .4; AC1 p_e = .495 -> .205/.505; BP (.7 - .5)/.5 = .4.
    path = tmp_path / "two.csv"
    rows = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + \
           [("no", "no")] * 15
    path.write_text("ana,ben\n" + "".join(f"{a},{b}\n" for a, b in rows))
    data = json.loads(cli("agreement", str(path), "--json").stdout)
    assert data == {"percent_agreement": pytest.approx(0.7), "cohen_kappa": pytest.approx(0.4),
                    "scott_pi": pytest.approx(13 / 33), "fleiss_kappa": pytest.approx(13 / 33),
                    "krippendorff_alpha": pytest.approx(0.4),
                    "gwet_ac1": pytest.approx(0.205 / 0.505),
                    "brennan_prediger": pytest.approx(0.4), "n_units": 50, "n_coders": 2}
    same = tmp_path / "same.csv"
    same.write_text("ana,ben\nyes,yes\nyes,yes\nyes,\n")
    data = json.loads(cli("agreement", str(same), "--json", "--categories", "yes,no").stdout)
    # Every rating "yes": kappa-type ratios and alpha are 0/0 -> null; with "no" declared,
    # AC1's chance agreement is 0 (-> 1) and Brennan-Prediger's is 1/2 (-> 1).
    assert data == {"percent_agreement": 1.0, "cohen_kappa": None, "scott_pi": None,
                    "fleiss_kappa": None, "krippendorff_alpha": None, "gwet_ac1": 1.0,
                    "brennan_prediger": 1.0, "n_units": 3, "n_coders": 2}
    table = cli("agreement", str(same)).stdout
    assert "Cohen's kappa                       —" in table.splitlines()
    assert table.endswith("— undefined: chance agreement is certain (every rating in one "
                          "category), so the ratio is 0/0.\n")


@pytest.mark.parametrize(("args", "message"), [
    (("--weights", "linear"),
     "--weights is for Cohen's kappa, which compares two coders; {path} has 4"),
    (("--level", "nomnal"), "--level takes nominal, ordinal, interval, ratio; not 'nomnal'"),
    (("--weights", "cubic"), "--weights takes linear or quadratic; not 'cubic'"),
    (("--categories", "1,2,3"), "{path}:7: coder 'D' gives a rating that is not among "
                                "--categories"),
    (("--categories", "1,,2"), "--categories has an empty label; remove the extra comma"),
])
def test_agreement_file_errors(cli, ratings: Path, args: tuple[str, ...], message: str) -> None:
    result = cli("agreement", str(ratings), *args)
    assert (result.exit_code, result.stderr) == (2, f"Error: {message.format(path=ratings)}\n")


def test_agreement_file_interval_needs_numbers(cli, tmp_path: Path) -> None:
    path = tmp_path / "words.csv"
    path.write_text("a,b\nlow,low\nhigh,low\n")
    result = cli("agreement", str(path), "--level", "interval")
    assert (result.exit_code, result.stderr) == (
        2, f"Error: {path}:2: coder 'a' gives a rating that is not a number; --level interval "
           "needs numbers\n")
    result = cli("agreement", str(path), "--level", "ordinal")
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {path}: ordinal alpha needs the categories in order; the "
                             "labels are not all numbers, so declare the categories in order\n")
    ordered = cli("agreement", str(path), "--level", "ordinal", "--categories", "low,high")
    assert ordered.exit_code == 0
