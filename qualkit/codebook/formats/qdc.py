"""REFI-QDA codebooks (.qdc): the file NVivo, ATLAS.ti, MAXQDA and QualCoder exchange.

Themes become ``Code isCodable="false"`` parents, as the standard says. A .qdc code has only
a name, a GUID, a colour and a free-text ``Description``, so the definition goes first in
the description, followed by the criteria, keywords, patterns and examples as short labelled
lists and a last line ``qualkit id: …`` — readable in any tool, and parsed back so that a
round trip keeps every field. GUIDs are derived from the codebook name and the id (UUID 5),
so exporting the same codebook twice gives the same file.

Parsing is done with defusedxml rather than lxml: a codebook never needs a DTD, and
defusedxml refuses DTDs, entity declarations and external references outright (no
"billion laughs", no file or network access), on top of the standard library's parser, so
no compiled dependency is needed. It is tolerant of what real tools write: GUIDs in braces,
an empty ``<Sets/>``, no descriptions, no namespace, a ``CodeBook`` inside a project file.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from qualkit import __version__
from qualkit.codebook.formats.tree import (
    Node,
    decode_item,
    decode_pattern,
    encode_item,
    encode_pattern,
    header_fields,
    is_ungrouped,
    slug,
    to_data,
)
from qualkit.codebook.load import CodebookError, Problem

NS = "urn:QDA-XML:codebook:1.0"
GUID_NAMESPACE = uuid.UUID("8c3d5f0e-4b8a-5f57-9d2c-6a1e0b7c2f41")
ID_LINE = "qualkit id: "
SECTIONS = (("include", "Include"), ("exclude", "Exclude"), ("keywords", "Keywords"),
            ("patterns", "Patterns"), ("examples", "Examples"),
            ("renamed_from", "Renamed from"))
HEADERS = {f"{title}:": key for key, title in SECTIONS}


def describe(item: dict[str, Any], with_id: bool = True) -> str:
    """A code's or theme's ``Description``: definition, labelled lists, then its id —
    unless reading the file back would give the same id anyway (``with_id`` False), so a
    code from another tool goes back to it with the description it came with."""
    block: list[str] = []
    for key, title in SECTIONS:
        values = item.get(key) or []
        if values:
            block.append(f"{title}:")
            block.extend("- " + (encode_pattern(v) if key == "patterns" else encode_item(v))
                         for v in values)
    if with_id or block:
        block.append(ID_LINE + item["id"])
    parts = [item["definition"]] if item.get("definition") else []
    if block:
        parts.append("\n".join(block))
    return "\n\n".join(parts)


def parse_description(text: str) -> dict[str, Any]:
    """The fields :func:`describe` wrote; a description from another tool is a definition."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    fields: dict[str, Any] = {}
    if lines and lines[-1].startswith(ID_LINE):
        fields["id"] = lines.pop()[len(ID_LINE):].strip()
    start = len(lines)
    for index, line in enumerate(lines):
        if (line in HEADERS and (index == 0 or not lines[index - 1].strip())
                and index + 1 < len(lines) and lines[index + 1].startswith("- ")):
            start = index
            break
    fields["definition"] = "\n".join(lines[:start]).strip()
    current: str | None = None
    extra: list[str] = []
    for line in lines[start:]:
        if line in HEADERS:
            current = HEADERS[line]
            fields[current] = []
        elif line.startswith("- ") and current:
            raw = line[2:]
            fields[current].append(decode_pattern(raw) if current == "patterns"
                                   else decode_item(raw))
        elif line.strip():
            extra.append(line)
    if extra:  # text after the lists that is not ours: keep it rather than lose it
        fields["definition"] = "\n\n".join(p for p in (fields["definition"],
                                                       "\n".join(extra)) if p)
    return fields


def _guid(codebook: str, item_id: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"{codebook}\x1f{item_id}"))


def write_qdc(content: dict[str, Any], notes: list[str]) -> str:
    lost = header_fields(content)
    if lost:
        notes.append(f".qdc cannot carry the codebook's {', '.join(lost)}")
    ET.register_namespace("", NS)
    root = ET.Element(f"{{{NS}}}CodeBook", {"origin": f"qualkit {__version__}"})
    write_codes(root, content, NS)
    ET.indent(root, space="  ")
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            + ET.tostring(root, encoding="unicode") + "\n")


def code_guid(content: dict[str, Any], item_id: str) -> str:
    """The GUID a theme or code of this codebook is written with (stable across exports)."""
    return _guid(content["name"], item_id)


def write_codes(parent: ET.Element, content: dict[str, Any], ns: str) -> ET.Element:
    """A ``<Codes>`` element under ``parent``: the part a .qdc and a project file share
    (they differ only in namespace)."""
    codes = ET.SubElement(parent, f"{{{ns}}}Codes")
    implicit = _implicit_ids(content)
    for theme in content["themes"]:
        if is_ungrouped(theme):
            _children(codes, content["name"], theme["codes"], ns, implicit)
            continue
        element = _element(codes, content["name"], theme, False, ns, implicit)
        _children(element, content["name"], theme["codes"], ns, implicit)
    return codes


def _implicit_ids(content: dict[str, Any]) -> set[str]:
    """Ids a reader derives from the name by itself (the slug of a name no other item
    shares): their ``qualkit id`` line can be left out."""
    from collections import Counter

    items: list[dict[str, Any]] = []

    def collect(codes: list[dict[str, Any]]) -> None:
        for code in codes:
            items.append(code)
            collect(code.get("codes", []))

    for theme in content["themes"]:
        if not is_ungrouped(theme):
            items.append(theme)
        collect(theme["codes"])
    slugs = Counter(slug(item["name"]) for item in items)
    return {item["id"] for item in items
            if item["id"] == slug(item["name"]) and slugs[item["id"]] == 1}


def _element(parent: ET.Element, book: str, item: dict[str, Any],
             codable: bool, ns: str, implicit: set[str]) -> ET.Element:
    attrs = {"guid": _guid(book, item["id"]), "name": item["name"],
             "isCodable": "true" if codable else "false"}
    if item.get("color"):
        attrs["color"] = item["color"]
    element = ET.SubElement(parent, f"{{{ns}}}Code", attrs)
    text = describe(item, with_id=item["id"] not in implicit)
    if text:
        ET.SubElement(element, f"{{{ns}}}Description").text = text
    return element


def _children(parent: ET.Element, book: str, codes: list[dict[str, Any]], ns: str,
              implicit: set[str]) -> None:
    for code in codes:
        element = _element(parent, book, code, True, ns, implicit)
        _children(element, book, code.get("codes", []), ns, implicit)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def read_qdc(path: Path, notes: list[str]) -> dict[str, Any]:
    """A .qdc file as YAML-shaped codebook data (named after the file)."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(path.read_bytes(), forbid_dtd=True)
    except OSError as exc:
        raise CodebookError(path, [Problem(1, 1, f"cannot be read ({exc})")]) from None
    except DefusedXmlException:
        raise CodebookError(path, [Problem(1, 1, "a DTD or entity declaration is not "
                                                 "allowed in a .qdc file; remove it")]) from None
    except ET.ParseError as exc:
        line, column = exc.position
        message = str(exc).split(":", 1)[0]
        raise CodebookError(path, [Problem(line, column + 1,
                                           f"XML syntax: {message}")]) from None
    book = next((e for e in root.iter() if _local(e.tag) == "CodeBook"), None)
    codes = None if book is None else next(
        (e for e in book if _local(e.tag) == "Codes"), None)
    if codes is None:
        raise CodebookError(path, [Problem(1, 1, "no <CodeBook><Codes> in this file; a .qdc "
                                                 "codebook holds its codes there")])
    sets = [s for e in book if _local(e.tag) == "Sets" for s in e
            if _local(s.tag) == "Set"]
    if sets:
        notes.append(f"{len(sets)} code set(s) left out: qualkit has no code sets")
    return to_data(read_codes(codes), path.stem, notes)


def read_codes(codes: ET.Element) -> list[Node]:
    """The code tree under a ``<Codes>`` element (of a .qdc or a project file), each node
    with the GUID it was written with."""
    return [_node(e) for e in codes if _local(e.tag) == "Code"]


def _node(element: ET.Element) -> Node:
    description = next((e.text or "" for e in element if _local(e.tag) == "Description"), "")
    fields = parse_description(description)
    item_id = fields.pop("id", None)
    codable_text = (element.get("isCodable") or "").strip().lower()
    codable = {"true": True, "1": True, "false": False, "0": False}.get(codable_text)
    if element.get("color"):
        fields["color"] = element.get("color", "").strip()
    return Node(name=(element.get("name") or "").strip(), id=item_id or None,
                codable=codable, fields=fields, guid=element.get("guid"),
                children=[_node(e) for e in element if _local(e.tag) == "Code"])
