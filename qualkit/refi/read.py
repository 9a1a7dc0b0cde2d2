"""A .qdpx read into plain records: what the file says, before qualkit decides anything.

Tolerant of what real exports contain: GUIDs with or without braces and in any case,
elements with or without the namespace, text given inline (``PlainTextContent``), as a
plain text member (``plainTextPath``) or only as a Word file (``richTextPath``), PDF
sources with a text representation, users without names, codings without a user. What
qualkit cannot carry (pictures, audio, video, PDF areas, sets, graphs, links, notes on
things other than selections) is counted in ``skipped`` so the importer can warn about it.
"""

from __future__ import annotations

import codecs
import json
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualkit.errors import FileError
from qualkit.normalise import decode
from qualkit.refi.archive import PROJECT_FILE, SOURCES, Archive
from qualkit.refi.xml import child, children, local, norm_guid, parse, text_of

SIDECAR = "qualkit.json"
BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
VALUE_TAGS = ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue",
              "DateTimeValue")


@dataclass
class Selection:
    start: int
    end: int
    codings: list[tuple[str, str]]  # (user guid or "", code guid)
    notes: list[str]  # note guids
    user: str  # the selection's creatingUser (normalised) or ""


@dataclass
class TextSource:
    guid: str
    name: str
    text: str | None  # None: no readable text
    rich_only: bool = False
    selections: list[Selection] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    whole_codings: int = 0  # codings on the source itself, not on a selection
    why_no_text: str = ""
    bom: bool = False  # the stored text began with a byte-order mark (removed from text)


@dataclass
class Note:
    user: str
    text: str


@dataclass
class Document:
    """Everything qualkit reads from one .qdpx."""

    name: str
    users: dict[str, str]  # normalised guid -> name
    codes: ET.Element | None  # the <Codes> element
    cases: dict[str, dict[str, str]]
    sources: list[TextSource]
    notes: dict[str, Note]
    sidecar: dict[str, Any] | None
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


def read_document(path: Path) -> Document:
    with Archive(path) as archive:
        member = archive.find(PROJECT_FILE)
        if member is None:
            raise FileError(path, f"holds no {PROJECT_FILE}; it is not a REFI-QDA project")
        root = parse(archive.read(member), f"{path}: {member}")
        if local(root) != "Project":
            raise FileError(f"{path}: {member}", f"the root element is <{local(root)}>, not "
                                                 "<Project>; it is not a REFI-QDA project")
        doc = Document(name=(root.get("name") or "").strip() or path.stem, users={},
                       codes=None, cases={}, sources=[], notes={},
                       sidecar=_sidecar(archive))
        _users(root, doc)
        book = child(root, "CodeBook")
        doc.codes = None if book is None else child(book, "Codes")
        variables = _variables(root)
        _cases(root, doc, variables)
        _sources(root, doc, archive, variables)
        _notes(root, doc, archive)
        for name in ("Sets", "Graphs", "Links"):
            holder = child(root, name)
            if holder is not None:
                doc.skipped[name.lower()] += sum(1 for _ in holder)
        doc.skipped["project notes"] += sum(1 for _ in children(root, "NoteRef"))
    return doc


def _sidecar(archive: Archive) -> dict[str, Any] | None:
    member = archive.find(SIDECAR)
    if member is None:
        return None
    try:
        data = json.loads(archive.read(member).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _users(root: ET.Element, doc: Document) -> None:
    holder = child(root, "Users")
    for user in [] if holder is None else children(holder, "User"):
        key = norm_guid(user.get("guid"))
        name = (user.get("name") or user.get("id") or "").strip()
        doc.users[key] = name or f"user-{key[:8]}"


def _variables(root: ET.Element) -> dict[str, str]:
    holder = child(root, "Variables")
    return {norm_guid(v.get("guid")): (v.get("name") or "").strip()
            for v in ([] if holder is None else children(holder, "Variable"))}


def _values(element: ET.Element, variables: dict[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for value in children(element, "VariableValue"):
        ref = child(value, "VariableRef")
        name = variables.get(norm_guid(ref.get("targetGUID") if ref is not None else ""))
        if not name:
            continue
        found = next((e for e in value if local(e) in VALUE_TAGS), None)
        values[name] = (found.text or "").strip() if found is not None else ""
    return values


def _cases(root: ET.Element, doc: Document, variables: dict[str, str]) -> None:
    holder = child(root, "Cases")
    for case in [] if holder is None else children(holder, "Case"):
        name = (case.get("name") or "").strip()
        if not name:
            doc.skipped["cases without a name"] += 1
            continue
        doc.cases[name] = _values(case, variables)


def _decode(data: bytes, where: str) -> str:
    try:
        return decode(data, Path(where))
    except UnicodeDecodeError:
        raise FileError(where, "is not UTF-8 text; a REFI-QDA text source must be") from None


def _member_text(archive: Archive, ref: str, where: str) -> tuple[bytes | None, str]:
    """The bytes behind ``internal://X`` (``sources/X``); None and why for anything else."""
    if not ref.startswith("internal://"):
        return None, "its text is outside the archive (a path on the sender's computer)"
    name = ref[len("internal://"):].lstrip("/")
    member = archive.find(f"{SOURCES}/{name}") or archive.find(name)
    if member is None:
        return None, f"its text file {name} is missing from the archive"
    return archive.read(member), ""


def _text_source(element: ET.Element, name: str, doc: Document, archive: Archive,
                 variables: dict[str, str], where: Path) -> TextSource:
    source = TextSource(guid=norm_guid(element.get("guid")), name=name, text=None)
    inline = text_of(element, "PlainTextContent")
    plain = (element.get("plainTextPath") or "").strip()
    rich = (element.get("richTextPath") or "").strip()
    if inline is not None:
        source.bom = inline.startswith("\ufeff")
        source.text = inline[1:] if source.bom else inline
    elif plain:
        data, why = _member_text(archive, plain, name)
        if data is not None:
            source.bom = data.startswith(BOMS)
            source.text = _decode(data, f"{where}: {plain}")
        source.why_no_text = why
    elif rich:
        data, why = _member_text(archive, rich, name)
        if data is not None and rich.lower().endswith(".docx"):
            from qualkit.ingest.docx import docx_text

            source.text = docx_text(Path(f"{where}: {rich}"), data)
            source.rich_only = True
        else:
            source.why_no_text = why or "its only text is a rich text file qualkit cannot read"
    else:
        source.why_no_text = "it has no text representation"
    for selection in children(element, "PlainTextSelection"):
        try:
            start = int(selection.get("startPosition", ""))
            end = int(selection.get("endPosition", ""))
        except ValueError:
            doc.skipped["selections without numeric positions"] += 1
            continue
        codings = []
        for coding in children(selection, "Coding"):
            ref = child(coding, "CodeRef")
            if ref is not None:
                codings.append((norm_guid(coding.get("creatingUser")),
                                norm_guid(ref.get("targetGUID"))))
        source.selections.append(Selection(
            start=min(start, end), end=max(start, end), codings=codings,
            notes=[norm_guid(n.get("targetGUID")) for n in children(selection, "NoteRef")],
            user=norm_guid(selection.get("creatingUser"))))
    source.whole_codings = sum(1 for _ in children(element, "Coding"))
    doc.skipped["notes on whole sources"] += sum(1 for _ in children(element, "NoteRef"))
    source.attributes = _values(element, variables)
    return source


def _sources(root: ET.Element, doc: Document, archive: Archive,
             variables: dict[str, str]) -> None:
    holder = child(root, "Sources")
    for element in [] if holder is None else holder:
        kind = local(element)
        name = (element.get("name") or "").strip() or norm_guid(element.get("guid"))
        if kind == "TextSource":
            doc.sources.append(_text_source(element, name, doc, archive, variables,
                                            archive.path))
        elif kind == "PDFSource":
            doc.skipped["PDF selections"] += sum(1 for _ in children(element, "PDFSelection"))
            representation = child(element, "Representation")
            if representation is not None:
                source = _text_source(representation, name, doc, archive, variables,
                                      archive.path)
                source.attributes = {**_values(element, variables), **source.attributes}
                doc.sources.append(source)
            else:
                doc.sources.append(TextSource(guid=norm_guid(element.get("guid")), name=name,
                                              text=None,
                                              why_no_text="a PDF without a text "
                                                          "representation"))
        elif kind in ("PictureSource", "AudioSource", "VideoSource"):
            doc.skipped[{"PictureSource": "pictures", "AudioSource": "audio sources",
                         "VideoSource": "video sources"}[kind]] += 1


def _notes(root: ET.Element, doc: Document, archive: Archive) -> None:
    holder = child(root, "Notes")
    for note in [] if holder is None else children(holder, "Note"):
        text = text_of(note, "PlainTextContent")
        path = (note.get("plainTextPath") or "").strip()
        if text is None and path:
            data, _ = _member_text(archive, path, "note")
            text = _decode(data, f"{archive.path}: {path}") if data is not None else None
        doc.notes[norm_guid(note.get("guid"))] = Note(norm_guid(note.get("creatingUser")),
                                                      (text or "").strip())
