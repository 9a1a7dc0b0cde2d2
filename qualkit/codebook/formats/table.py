"""Codebooks as tables (.csv, .xlsx): one row per theme or code, as QDA users exchange them.

The columns qualkit writes are ``kind, id, parent, name, path, definition, include,
exclude, keywords, patterns, examples, color, renamed_from``. ``parent`` is the id of the
theme or code above; ``path`` (``Theme > Code``) is for people and for tables from other
tools. List cells hold one item per line. Reading is tolerant of what other tools and
people write: only a name (or ``code``) column is needed; the tree comes from ``parent``
(an id or a name), else from ``path``, else from a ``theme`` column; ``memo`` and
``description`` are read as the definition.

Cells that would start a spreadsheet formula are kept as text: in .xlsx by storing them as
strings, in .csv by a leading ``'`` that is removed again on reading (any value beginning
with ``'`` gets one more, so reading gives back exactly what was written).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from qualkit.codebook.formats.tree import (
    LIST_FIELDS,
    Node,
    decode_item,
    decode_pattern,
    encode_item,
    encode_pattern,
    header_fields,
    to_data,
)
from qualkit.codebook.load import CodebookError, Problem
from qualkit.fileio import FORMULA_START

COLUMNS = ("kind", "id", "parent", "name", "path", "definition", "include", "exclude",
           "keywords", "patterns", "examples", "color", "renamed_from")
ALIASES = {"code": "name", "code name": "name", "title": "name", "memo": "definition",
           "description": "definition", "category": "theme", "parent code": "parent",
           "colour": "color", "type": "kind"}
ABOUT = (("name", "name"), ("version", "label"), ("description", "description"),
         ("authors", "authors"), ("unit", "unit"))


# -- writing -------------------------------------------------------------------------

def rows(content: dict[str, Any]) -> list[list[str]]:
    """The codebook as table rows, header first."""
    table = [list(COLUMNS)]

    def add(kind: str, item: dict[str, Any], parent: str, path: str) -> None:
        cells = {"kind": kind, "id": item["id"], "parent": parent, "name": item["name"],
                 "path": path, "definition": item.get("definition") or "",
                 "color": item.get("color") or ""}
        for key in LIST_FIELDS:
            values = item.get(key) or []
            cells[key] = "\n".join(encode_pattern(v) if key == "patterns" else encode_item(v)
                                   for v in values)
        table.append([cells[c] for c in COLUMNS])

    def walk(codes: list[dict[str, Any]], parent: str, path: str) -> None:
        for code in codes:
            here = f"{path} > {code['name']}"
            add("code", code, parent, here)
            walk(code.get("codes", []), code["id"], here)

    for theme in content["themes"]:
        add("theme", theme, "", theme["name"])
        walk(theme["codes"], theme["id"], theme["name"])
    return table


def _csv_cell(value: str) -> str:
    return "'" + value if value.startswith((*FORMULA_START, "'")) else value


def write_csv(content: dict[str, Any], notes: list[str]) -> str:
    lost = header_fields(content)
    if lost:
        notes.append(f".csv cannot carry the codebook's {', '.join(lost)}; use .xlsx or "
                     ".yaml to keep them")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows(content):
        writer.writerow([_csv_cell(v) for v in row])
    return "\ufeff" + out.getvalue()  # the BOM tells Excel the file is UTF-8


def write_xlsx(content: dict[str, Any], notes: list[str]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Codebook"
    for r, row in enumerate(rows(content), start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c, value=value)
            cell.data_type = "s"  # text, never a formula
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if r == 1:
                cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    about = book.create_sheet("About")
    for r, (label, key) in enumerate(ABOUT, start=1):
        value = content.get(key) or ""
        if isinstance(value, list):
            value = "\n".join(value)
        about.cell(row=r, column=1, value=label).data_type = "s"
        about.cell(row=r, column=2, value=str(value)).data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- reading -------------------------------------------------------------------------

def read_csv(path: Path, notes: list[str]) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CodebookError(path, [Problem(1, 1, f"cannot be read as UTF-8 CSV ({exc})")]
                            ) from None
    table = [[c[1:] if c.startswith("'") else c for c in row]
             for row in csv.reader(io.StringIO(text, newline=""))]
    return _from_table(path, table, {}, notes)


def read_xlsx(path: Path, notes: list[str]) -> dict[str, Any]:
    from openpyxl import load_workbook

    from qualkit.xlsx import reading_workbook

    def damaged(reason: str) -> CodebookError:
        return CodebookError(path, [Problem(1, 1, f"cannot be read as .xlsx ({reason}); "
                                                  "open it in Excel and save it again")])

    with reading_workbook(damaged):
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book["Codebook"] if "Codebook" in book.sheetnames else book.worksheets[0]
            table = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            about: dict[str, str] = {}
            if "About" in book.sheetnames:
                for row in book["About"].iter_rows(values_only=True):
                    if len(row) >= 2 and row[0]:
                        about[_text(row[0]).strip().lower()] = _text(row[1])
        finally:
            book.close()
    return _from_table(path, table, about, notes)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _from_table(path: Path, table: list[list[str]], about: dict[str, str],
                notes: list[str]) -> dict[str, Any]:
    while table and not any(c.strip() for c in table[0]):
        table.pop(0)
    if not table:
        raise CodebookError(path, [Problem(1, 1, "the table is empty; it needs a header row "
                                                 "with at least a `name` column")])
    header = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in table[0]]
    known = (*COLUMNS, "theme")
    for h in header:
        if h and h not in known:
            notes.append(f"column `{h}` left out: qualkit has no such field")
    columns = {h: i for i, h in reversed(list(enumerate(header))) if h in known}
    if "name" not in columns and "path" not in columns:
        raise CodebookError(path, [Problem(1, 1, "no `name` (or `code`, or `path`) column; "
                                                 f"the columns qualkit writes are "
                                                 f"{', '.join(COLUMNS)}")])
    nodes: list[tuple[Node, str, str]] = []
    for number, row in enumerate(table[1:], start=2):
        cell = {h: (row[i].strip() if i < len(row) else "") for h, i in columns.items()}
        if not any(cell.values()):
            continue
        nodes.append(_row_node(cell, number, columns))
    data = to_data(_tree(nodes, notes), about.get("name") or path.stem, notes)
    for label, key in ABOUT:
        value = about.get(label, "").strip()
        if value and label != "name":
            data[label] = [v for v in value.split("\n") if v.strip()] if key == "authors" \
                else value
    return data


def _row_node(cell: dict[str, str], number: int,
              columns: dict[str, int]) -> tuple[Node, str, str]:
    """A row as a node, the key of its parent, and its own path (for path-shaped tables)."""
    path_parts = [p.strip() for p in cell.get("path", "").split(" > ") if p.strip()]
    name = cell.get("name") or (path_parts[-1] if path_parts else "")
    kind = cell.get("kind", "").lower()
    fields: dict[str, Any] = {}
    for key in ("definition", "color"):
        if cell.get(key):
            fields[key] = cell[key]
    for key in LIST_FIELDS:
        if cell.get(key):
            decode = decode_pattern if key == "patterns" else decode_item
            fields[key] = [decode(v.strip()) for v in cell[key].split("\n") if v.strip()]
    if "parent" in columns:
        parent = cell.get("parent", "")
    elif path_parts:
        parent = " > ".join(path_parts[:-1])
    else:
        parent = cell.get("theme", "")
    node = Node(name=name, id=cell.get("id") or None,
                codable={"theme": False, "code": True}.get(kind), fields=fields,
                line=number, columns={k: i + 1 for k, i in columns.items()})
    return node, parent, " > ".join(path_parts)


def _tree(nodes: list[tuple[Node, str, str]], notes: list[str]) -> list[Node]:
    """Attach rows to their parents (by id, else name, else path); rows without one are
    roots, and a parent that has no row of its own is made (a theme, in the end)."""
    by_key: dict[str, Node] = {}
    for node, _, _ in nodes:
        if node.id:
            by_key.setdefault(node.id, node)
    for node, _, own_path in nodes:
        by_key.setdefault(node.name, node)
        if own_path:
            by_key.setdefault(own_path, node)
    roots: list[Node] = []
    parent_of: dict[int, Node] = {}

    def lookup(key: str, line: int) -> Node:
        found = by_key.get(key)
        if found is None:
            *above, name = key.split(" > ")
            found = Node(name=name, line=line)
            by_key[key] = found
            notes.append(f"`{name}` has no row of its own; it was added without a definition")
            if above:
                holder = lookup(" > ".join(above), line)
                parent_of[id(found)] = holder
                holder.children.append(found)
            else:
                roots.append(found)
        return found

    for node, parent, _ in nodes:
        if not parent:
            roots.append(node)
            continue
        above = lookup(parent, node.line)
        if _ancestor(above, node, parent_of):
            notes.append(f"row {node.line}: `{node.name}` is its own ancestor; it was put "
                         "at the top level")
            roots.append(node)
            continue
        parent_of[id(node)] = above
        above.children.append(node)
    return roots


def _ancestor(candidate: Node, node: Node, parent_of: dict[int, Node]) -> bool:
    seen: set[int] = set()
    current: Node | None = candidate
    while current is not None and id(current) not in seen:
        if current is node:
            return True
        seen.add(id(current))
        current = parent_of.get(id(current))
    return False
