"""What the exchange formats share: a tree of named nodes, ids for nodes that have none,
and list fields packed into one text (a .qdc description, a spreadsheet cell).

QDA tools know codes by name and GUID, not by qualkit's ids, and they nest codes freely;
qualkit has themes (not codable) over codes. The rules for mapping one onto the other live
here once, so .qdc and spreadsheets agree: a top-level node that is not codable (or that has
children and says nothing) is a theme; a top-level codable node goes under an "Ungrouped
codes" theme, with a warning, because a code must belong to a theme.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from qualkit.codebook.load import Located

LIST_FIELDS = ("include", "exclude", "keywords", "patterns", "examples", "renamed_from")
UNGROUPED_NAME = "Ungrouped codes"
UNGROUPED_ID = "ungrouped"
_UNGROUPED_IDS = re.compile(rf"{UNGROUPED_ID}(_[0-9]+)?")


def is_ungrouped(theme: dict[str, Any]) -> bool:
    """The theme :func:`to_data` made to hold a file's top-level codes, and nothing more
    (no definition, no colour): writers put its codes back at the top level, so a codebook
    read from a tool without themes goes back to it without a node it never had."""
    return (theme.get("name") == UNGROUPED_NAME
            and bool(_UNGROUPED_IDS.fullmatch(str(theme.get("id", ""))))
            and not theme.get("definition") and not theme.get("color"))


@dataclass
class Node:
    name: str
    id: str | None = None
    codable: bool | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    line: int = 1
    columns: dict[str, int] = field(default_factory=dict)
    guid: str | None = None  # as written in a REFI-QDA file: codings point at it


def slug(name: str) -> str:
    """An id from a name: ASCII letters, digits and _ (``Teaching & explaining`` →
    ``teaching_explaining``)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    if not text:
        return "code"
    return text if text[0].isalpha() else f"code_{text}"


def encode_item(item: str) -> str:
    """One list item on one line; JSON-quoted when it would not survive as plain text."""
    if "\n" in item or "\r" in item or item.startswith('"') or item != item.strip():
        return json.dumps(item, ensure_ascii=False)
    return item


def decode_item(text: str) -> str:
    if text.startswith('"'):
        try:
            value = json.loads(text)
        except ValueError:
            return text
        if isinstance(value, str):
            return value
    return text


def encode_pattern(pattern: list[dict[str, Any]]) -> str:
    return json.dumps(pattern, ensure_ascii=False)


def decode_pattern(text: str) -> Any:
    """A pattern written as JSON; anything else is passed on for the checker to report."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def to_data(nodes: list[Node], name: str, notes: list[str]) -> dict[str, Any]:
    """Nodes as YAML-shaped codebook data, ready for :func:`qualkit.codebook.load.check_data`."""
    used = {n.id for n in walk(nodes) if n.id}
    for node in walk(nodes):
        if not node.id:
            node.id = _unique(slug(node.name), used)
    themes: list[Any] = []
    loose: list[Node] = []
    place = 0  # the holder of loose codes goes where the first of them was
    for node in nodes:
        is_theme = node.codable is False or (node.codable is None and bool(node.children))
        if not is_theme:
            if not loose:
                place = len(themes)
            loose.append(node)
        elif not node.children:
            notes.append(f"theme `{node.name}` has no codes and was left out")
        else:
            themes.append(_theme(node, notes))
    if loose:
        names = ", ".join(f"`{n.name}`" for n in loose)
        notes.append(f"top-level code(s) {names} were put under a theme `{UNGROUPED_NAME}`; "
                     "qualkit codes belong to a theme (a .qdc or .qdpx export puts them back "
                     "at the top level)")
        holder = Node(name=UNGROUPED_NAME, id=_unique(UNGROUPED_ID, used), codable=False,
                      children=loose, line=loose[0].line)
        themes.insert(place, _theme(holder, notes))
    return {"name": name, "themes": themes}


def walk(nodes: list[Node]) -> list[Node]:
    """Every node of the tree, parents before their children."""
    found: list[Node] = []
    for node in nodes:
        found.append(node)
        found.extend(walk(node.children))
    return found


def _unique(base: str, used: set[str]) -> str:
    candidate, number = base, 2
    while candidate in used:
        candidate, number = f"{base}_{number}", number + 1
    used.add(candidate)
    return candidate


def _located(node: Node, values: dict[str, Any]) -> Located:
    return Located.at(values, node.line, node.columns)


def _theme(node: Node, notes: list[str]) -> Located:
    values: dict[str, Any] = {"id": node.id, "name": node.name}
    for key in ("definition", "color"):
        if node.fields.get(key):
            values[key] = node.fields[key]
    dropped = [k for k in LIST_FIELDS if node.fields.get(k)]
    if dropped:
        notes.append(f"theme `{node.name}`: {', '.join(dropped)} left out (a theme is not "
                     "codable)")
    values["codes"] = [_code(child, notes) for child in node.children]
    return _located(node, values)


def _code(node: Node, notes: list[str]) -> Located:
    if node.codable is False:
        notes.append(f"`{node.name}` is marked not codable below the top level; qualkit "
                     "made it a codable code")
    values: dict[str, Any] = {"id": node.id, "name": node.name}
    values.update({k: v for k, v in node.fields.items() if v not in (None, "", [])})
    if node.children:
        values["codes"] = [_code(child, notes) for child in node.children]
    return _located(node, values)


def header_fields(content: dict[str, Any]) -> list[str]:
    """The codebook-level fields set in ``content`` that a flat code list (.qdc, .csv)
    has no place for, as a warning names them: name, description, version label,
    authors, and a unit other than the default sentence."""
    lost = [label for key, label in (("name", "name"), ("description", "description"),
                                     ("label", "version label"), ("authors", "authors"))
            if content.get(key)]
    if content.get("unit") != "sentence":
        lost.append(f"unit ({content['unit']})")
    return lost
