"""What the project module of QDA-XML needs everywhere: its namespace, GUIDs, and parsing
a file that came from someone else without trusting it.

Parsing goes through defusedxml with DTDs forbidden: a project file never needs one, and
refusing every ``<!DOCTYPE`` stops external entities (XXE: reading the importer's files or
the network) and entity expansion ("billion laughs") before anything is expanded. Elements
are matched by local name, because real exports differ in how (and whether) they declare
the namespace.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from qualkit.errors import FileError

NS = "urn:QDA-XML:project:1.0"
GUID_NAMESPACE = uuid.UUID("5b0c7f9e-2d7a-5e0b-8f3c-1a4d6e9b2c70")
SCHEMA = "Project.xsd"


def schema_path() -> Path:
    """The QDA-XML Project schema shipped with qualkit (MIT, REFI; see schemas/README.md)."""
    return Path(str(resources.files("qualkit") / "schemas" / SCHEMA))


def guid(*parts: str) -> str:
    """A GUID derived from names (UUID 5), so exporting the same project twice gives the
    same file and a re-import finds the same things."""
    return str(uuid.uuid5(GUID_NAMESPACE, "\x1f".join(parts)))


def norm_guid(value: str | None) -> str:
    """GUIDs compared as tools write them differently: ``{ABC-…}`` and ``abc-…`` are one."""
    return (value or "").strip().strip("{}").lower()


def tag(name: str) -> str:
    return f"{{{NS}}}{name}"


def local(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    return (e for e in element if local(e) == name)


def child(element: ET.Element, name: str) -> ET.Element | None:
    return next(children(element, name), None)


def text_of(element: ET.Element, name: str) -> str | None:
    found = child(element, name)
    return None if found is None else (found.text or "")


def parse(data: bytes, where: str) -> ET.Element:
    """The root of an XML document from an untrusted archive; DTDs refused."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        return fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise FileError(where, "declares a DTD or entities, which a REFI-QDA project never "
                               "needs; qualkit refuses it (external entities and entity "
                               "expansion are attack vectors)") from None
    except ET.ParseError as exc:
        line, column = exc.position
        message = str(exc).split(":", 1)[0]
        raise FileError(where, f"is not well-formed XML ({message}, column {column + 1})",
                        line=line) from None
