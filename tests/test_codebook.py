"""Codebooks (issue 4): every check message, exactly; exchange formats; versions on load."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualkit.codebook.formats import read_codebook, write_codebook
from qualkit.codebook.formats.qdc import read_qdc
from qualkit.codebook.load import CodebookError, check_codebook, content_version

SCHEMAS = Path(__file__).parent.parent / "qualkit" / "schemas"
SAMPLE = Path(__file__).parent.parent / "codebooks" / "mentoring.yaml"


def problems(tmp_path: Path, text: str) -> list[str]:
    """The lines `codebook check` lists for a YAML text, with the folder cut off."""
    path = tmp_path / "book.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError) as caught:
        check_codebook(path)
    return [line.replace(str(tmp_path) + "/", "") for line in caught.value.lines()]


def test_every_problem_listed_at_once_with_line_and_column(tmp_path: Path) -> None:
    text = """\
name: Broken
themes:
  - id: growth
    name: Growth
    codes:
      - id: teaching
        name: Teaching
        keywrods: [teach]
        keywords: [explain]
      - id: teaching
        name: ""
        patterns:
          - [{LEMA: teach}]
  - id: empty_theme
    name: Empty
"""
    assert problems(tmp_path, text) == [
        "book.yaml:8:9: unknown key `keywrods` in code `teaching`; did you mean `keywords`?",
        "book.yaml:10:9: id `teaching` is used twice (also by code `teaching`)",
        "book.yaml:11:9: code `teaching` needs a `name`",
        "book.yaml:13:15: invalid spaCy pattern 1 in code `teaching`, token 1: unknown token "
        "attribute `LEMA`; did you mean `LEMMA`?",
        "book.yaml:14:5: theme `empty_theme` has no codes; a theme groups codes and is not "
        "codable itself",
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("name: x\nthemes: [\n",
     "book.yaml:3:1: YAML syntax: expected the node content, but found '<stream end>'"),
    ("- just a list\n",
     "book.yaml:1:1: a codebook is a mapping with `name` and `themes`; see "
     "codebooks/mentoring.yaml"),
    ("name: x\n",
     "book.yaml:1:1: the codebook needs `themes`: a list of themes, each with codes"),
    ("name: x\nthemse: []\n",
     "book.yaml:1:1: the codebook needs `themes`: a list of themes, each with codes\n"
     "book.yaml:2:1: unknown key `themse` in the codebook; did you mean `themes`?"),
    ("name: x\nunit: paragraph\nthemes:\n  - {id: t, name: T, codes: [{id: c, name: C}]}\n",
     "book.yaml:2:1: unit `paragraph` must be `sentence` or `turn`"),
    ("name: x\nthemes:\n  - {id: Bad-Id, name: T, codes: [{id: c, name: C}]}\n",
     "book.yaml:3:6: id `Bad-Id` of theme `Bad-Id` must be lower case letters, digits and _ "
     "(like `teaching_skills`)"),
    ("name: x\nthemes:\n  - {id: t, name: T, codes: [{id: c, name: C, color: red}]}\n",
     "book.yaml:3:47: color `red` of code `c` must be #rrggbb (like `#1f77b4`)"),
    ("name: x\nthemes:\n  - {id: t, name: T, codes: [{id: c, name: C, keywords: {a: 1}}]}\n",
     "book.yaml:3:47: `keywords` of code `c` must be a list of texts"),
    ("name: x\nthemes:\n  - id: t\n    name: T\n    name: U\n    codes: [{id: c, name: C}]\n",
     "book.yaml:5:5: key `name` is written twice in theme `t` (first on line 4); keep one"),
    ("name: x\nthemes:\n  - {id: t, name: T, codes: [{id: c, name: C, patterns: [teach]}]}\n",
     "book.yaml:3:47: `patterns` of code `c` must be a list of spaCy token patterns, each a "
     "list of token mappings like [{LEMMA: teach}]"),
    ("name: x\nthemes:\n  - {id: t, name: T, codes: [{id: c, name: C, renamed_from: [t]}]}\n",
     "book.yaml:3:47: `renamed_from` of code `c` names `t`, which is still in this codebook; "
     "a renamed code's old id must be gone"),
    ("name: x\nthemes:\n  - {id: t, name: T, codes: [{id: c, name: C, renamed_from: [Old]}]}\n",
     "book.yaml:3:47: `renamed_from` of code `c` names `Old`, which is not an id (lower case "
     "letters, digits and _)"),
    ("name: x\nthemes:\n  - {id: t, name: T, codes: [{id: c, name: C, codes: x}]}\n",
     "book.yaml:3:47: `codes` of code `c` must be a list of sub-codes"),
    ("name: x\nthemes:\n  - {id: t, name: T, codes: [just text]}\n",
     "book.yaml:3:5: each code of theme `t` must be a mapping"),
])
def test_each_problem_message(tmp_path: Path, text: str, expected: str) -> None:
    assert problems(tmp_path, text) == expected.split("\n")


def test_an_old_id_claimed_by_two_codes(tmp_path: Path) -> None:
    text = ("name: x\nthemes:\n  - id: t\n    name: T\n    codes:\n"
            "      - {id: a, name: A, renamed_from: [old]}\n"
            "      - {id: b, name: B, renamed_from: [old]}\n")
    assert problems(tmp_path, text) == [
        "book.yaml:7:26: `old` is in `renamed_from` of both `a` and `b`; an old id can "
        "become only one code"]


def test_shared_keyword_is_a_warning_and_the_file_is_valid(cli, tmp_path: Path) -> None:
    path = tmp_path / "book.yaml"
    path.write_text("name: x\nthemes:\n  - id: t\n    name: T\n    codes:\n"
                    "      - {id: a, name: A, keywords: [mentor]}\n"
                    "      - {id: b, name: B, keywords: [Mentor]}\n", encoding="utf-8")
    result = cli("codebook", "check", str(path))
    assert result.exit_code == 0
    assert result.stderr.strip() == (
        f"{path}:7:26: warning: keyword `Mentor` of code `b` is also a keyword of code `a`; "
        "a match suggests both")
    assert "valid; 1 theme, 2 codes" in result.stdout


def test_check_exits_2_and_lists_on_stderr(cli, tmp_path: Path) -> None:
    path = tmp_path / "book.yaml"
    path.write_text("name: x\nthemse: []\n", encoding="utf-8")
    result = cli("codebook", "check", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[1].startswith(f"{path}:2:1: unknown key `themse`")


def test_show_prints_a_tree_with_counts(cli) -> None:
    result = cli("codebook", "show", str(SAMPLE))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[1].endswith("3 themes, 15 codes, " + lines[1].split(", ")[-1])
    assert sum(1 for line in lines if line.startswith(("├── ", "└── "))) == 3


# -- exchange ----------------------------------------------------------------------------

def test_qdc_output_validates_against_the_refi_schema(tmp_path: Path) -> None:
    out = tmp_path / "book.qdc"
    notes = write_codebook(read_codebook(SAMPLE).checked.content, out)
    xmlschema.XMLSchema(SCHEMAS / "Codebook.xsd").validate(str(out))
    assert notes == [".qdc cannot carry the codebook's name, description, version label, "
                     "authors"]


def test_qdc_reading_tolerates_what_real_tools_write(tmp_path: Path) -> None:
    path = tmp_path / "from-nvivo.qdc"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="Other tool">\n'
        ' <Codes>\n'
        '  <Code guid="{4A1B0C3E-0000-4000-8000-000000000001}" name="Growth" '
        'isCodable="false">\n'
        '   <Code guid="{4A1B0C3E-0000-4000-8000-000000000002}" name="Teaching skills" '
        'isCodable="true" color="#FF0000"/>\n'
        '   <Code guid="{4A1B0C3E-0000-4000-8000-000000000003}" name="Confidence" '
        'isCodable="true"><Description>Feeling surer.</Description></Code>\n'
        '  </Code>\n'
        ' </Codes>\n'
        ' <Sets/>\n'
        '</CodeBook>\n', encoding="utf-8")
    content = read_codebook(path).checked.content
    assert [t["name"] for t in content["themes"]] == ["Growth"]
    codes = content["themes"][0]["codes"]
    assert [(c["name"], c["definition"], c["color"]) for c in codes] == [
        ("Teaching skills", "", "#FF0000"), ("Confidence", "Feeling surer.", None)]


NVIVO_QDC = """<?xml version="1.0" encoding="utf-8" standalone="no" ?><CodeBook \
origin="NVivo 12" xmlns="urn:QDA-XML:codebook:1.0"><Codes>\
<Code guid="a0000000-0000-4000-8000-000000000001" isCodable="true" name="Barriers">\
<Description>Things in the way.</Description>\
<Code guid="a0000000-0000-4000-8000-000000000002" isCodable="true" name="Cost">\
<Code guid="a0000000-0000-4000-8000-000000000003" isCodable="true" name="Travel"/></Code>\
<Code guid="a0000000-0000-4000-8000-000000000004" isCodable="true" name="Time" \
color="#00ff7f"/></Code>\
<Code guid="a0000000-0000-4000-8000-000000000005" isCodable="true" name="Surprise"/>\
<Code guid="a0000000-0000-4000-8000-000000000006" isCodable="false" name="Feelings">\
<Code guid="a0000000-0000-4000-8000-000000000007" isCodable="true" name="Fear"/></Code>\
</Codes></CodeBook>
"""


def _tree(path: Path) -> list[tuple[int, str, str | None]]:
    """(depth, name, isCodable) of every code of a .qdc, in document order."""
    import xml.etree.ElementTree as ET

    found: list[tuple[int, str, str | None]] = []

    def walk(element: ET.Element, depth: int) -> None:
        for code in element:
            if code.tag.endswith("}Code"):
                found.append((depth, code.get("name", ""), code.get("isCodable")))
                walk(code, depth + 1)

    codes = next(e for e in ET.parse(path).getroot() if e.tag.endswith("}Codes"))
    walk(codes, 0)
    return found


def test_qdc_yaml_qdc_keeps_the_tree_without_adding_a_node(cli, tmp_path: Path) -> None:
    """NVivo has no themes: every code is codable, parents included. The YAML puts the
    top-level codable codes under `Ungrouped codes` (a qualkit code belongs to a theme);
    the .qdc written back has the same 7 codes in the same tree, and no extra node."""
    source = tmp_path / "nvivo.qdc"
    source.write_text(NVIVO_QDC, encoding="utf-8")
    middle, back = tmp_path / "book.yaml", tmp_path / "back.qdc"
    assert cli("codebook", "convert", str(source), str(middle)).exit_code == 0
    result = cli("codebook", "convert", str(middle), str(back))
    assert result.exit_code == 0, result.stderr
    assert [(d, n) for d, n, _ in _tree(back)] == [(d, n) for d, n, _ in _tree(source)]
    assert len(_tree(back)) == 7
    xmlschema.XMLSchema(SCHEMAS / "Codebook.xsd").validate(str(back))
    again = read_codebook(back).checked.content  # and the YAML from it is the same
    assert again["themes"] == read_codebook(middle).checked.content["themes"]


def test_qdc_with_an_entity_declaration_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.qdc"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa">]>\n'
                    '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>\n',
                    encoding="utf-8")
    with pytest.raises(CodebookError) as caught:
        read_qdc(path, [])
    assert caught.value.lines() == [f"{path}:1:1: a DTD or entity declaration is not allowed "
                                    "in a .qdc file; remove it"]


def test_markdown_appendix_lists_every_code(tmp_path: Path) -> None:
    out = tmp_path / "appendix.md"
    content = read_codebook(SAMPLE).checked.content
    write_codebook(content, out)
    text = out.read_text(encoding="utf-8")
    names = [c["name"] for t in content["themes"] for c in t["codes"]]
    assert all(name in text for name in names)
    assert text.count("\n|") > len(names)  # a table row per code at least


# Names people type: quotes, accents, the path separator `>`, emoji, markup characters.
NAME = st.text(alphabet=st.sampled_from([*"abcXYZ éüñß'\"<>&;,-/—", "😀", "🧠"]),
               min_size=1, max_size=16).map(str.strip).filter(bool)
WORDS = st.lists(NAME, max_size=3)


@st.composite
def codebooks(draw: st.DrawFn) -> dict[str, Any]:
    themes = []
    for t in range(draw(st.integers(1, 3))):
        codes = []
        for c in range(draw(st.integers(1, 3))):
            code: dict[str, Any] = {"id": f"c{t}_{c}", "name": draw(NAME),
                                    "definition": draw(NAME), "include": draw(WORDS),
                                    "exclude": draw(WORDS), "keywords": draw(WORDS),
                                    "examples": draw(WORDS),
                                    "color": draw(st.sampled_from([None, "#1f77b4"]))}
            if draw(st.booleans()):
                code["codes"] = [{"id": f"c{t}_{c}_sub", "name": draw(NAME),
                                  "definition": "", "include": [], "exclude": [],
                                  "keywords": draw(WORDS), "examples": [], "color": None}]
            codes.append(code)
        themes.append({"id": f"t{t}", "name": draw(NAME), "definition": draw(NAME),
                       "codes": codes})
    return {"name": "Generated", "label": "", "description": "", "unit": "sentence",
            "themes": themes}


def _without_keyword_clashes(content: dict[str, Any]) -> dict[str, Any]:
    """Keep each keyword on its first code, so that only the format is under test."""
    seen: set[str] = set()

    def walk(codes: list[dict[str, Any]]) -> None:
        for code in codes:
            kept = []
            for word in code["keywords"]:
                if word.casefold() not in seen:
                    seen.add(word.casefold())
                    kept.append(word)
            code["keywords"] = kept
            walk(code.get("codes", []))

    content = copy.deepcopy(content)
    for theme in content["themes"]:
        walk(theme["codes"])
    return content


def _round_trip(content: dict[str, Any], folder: Path, suffix: str) -> dict[str, Any]:
    source, middle, back = (folder / "in.yaml", folder / f"mid{suffix}",
                            folder / "back.yaml")
    write_codebook(content, source)
    original = read_codebook(source).checked.content
    write_codebook(original, middle)
    write_codebook(read_codebook(middle).checked.content, back)
    return read_codebook(back).checked.content


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=codebooks())
def test_yaml_qdc_yaml_keeps_every_theme_and_code(tmp_path: Path,
                                                  content: dict[str, Any]) -> None:
    content = _without_keyword_clashes(content)
    back = _round_trip(content, tmp_path, ".qdc")
    xmlschema.XMLSchema(SCHEMAS / "Codebook.xsd").validate(str(tmp_path / "mid.qdc"))
    assert back["themes"] == read_codebook(tmp_path / "in.yaml").checked.content["themes"]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=codebooks())
def test_yaml_table_yaml_keeps_everything(tmp_path: Path, suffix: str,
                                          content: dict[str, Any]) -> None:
    content = {**_without_keyword_clashes(content), "label": "2",
               "description": "A test — with ünïcode"}
    back = _round_trip(content, tmp_path, suffix)
    original = read_codebook(tmp_path / "in.yaml").checked.content
    if suffix == ".csv":  # a CSV has no place for the codebook's own fields (and says so)
        assert write_codebook(original, tmp_path / "again.csv") == [
            ".csv cannot carry the codebook's name, description, version label; use .xlsx "
            "or .yaml to keep them"]
        back = {**back, **{k: original[k] for k in ("name", "label", "description")}}
    assert back == original
    assert content_version(back) == content_version(original)


# -- versions in a project ---------------------------------------------------------------

def test_loading_a_changed_codebook_reports_and_carries_renames(cli, coded_project: Path
                                                               ) -> None:
    assert cli("run", "--project", str(coded_project)).exit_code == 0
    book = coded_project / "codebooks" / "tiny.yaml"
    text = book.read_text(encoding="utf-8").replace(
        "      - id: teaching_skills\n",
        "      - id: teaching\n        renamed_from: [teaching_skills]\n")
    start, end = text.index("      - id: clinical_skills"), text.index("  - id: personal")
    book.write_text(text[:start] + text[end:], encoding="utf-8")

    result = cli("codebook", "load", "--project", str(coded_project))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[2:] == ["  Removed: clinical_skills",
                         "  Renamed: teaching_skills → teaching",
                         "  Codings carried over: teaching_skills → teaching "
                         "(4 coded segments)"]
    # ana coded teaching_skills on 2 segments, ben on 2 (conftest CODER_A, CODER_B).
    assert ("code `clinical_skills` is no longer in the codebook; its 3 coded segments stay "
            "in the log under `clinical_skills`") in result.stderr

    from qualkit.store.db import open_store

    store = open_store(coded_project / "qualkit.db")
    ana = [c.codes for c in store.codings("ana").values() if c.codes]
    assert sum("teaching" in codes for codes in ana) == 2
    assert not any("teaching_skills" in codes for codes in ana)
    assert sum("clinical_skills" in codes for codes in ana) == 2  # kept, never dropped


def test_bundled_programme_codebook_is_valid_and_covers_its_sources() -> None:
    checked = check_codebook(SAMPLE.parent / "peer-mentoring-programs.yaml")
    assert checked.warnings == ()
    themes = {t["id"]: [c["id"] for c in t["codes"]] for t in checked.content["themes"]}
    # seed 003: benefits, techniques, challenges with solutions, programme essentials;
    # seed 002: academic and psychosocial support, the relationship, dual mentoring,
    # role-model sessions.
    assert set(themes) == {"benefits", "relationship", "techniques", "challenges",
                           "programme_design"}
    assert {"academic_support", "psychosocial_support"} <= set(themes["benefits"])
    assert {"dual_mentoring", "role_model_sessions"} <= set(themes["programme_design"])
    challenges = checked.content["themes"][3]["codes"]
    assert all(c.get("codes") for c in challenges)  # each challenge has its solution
