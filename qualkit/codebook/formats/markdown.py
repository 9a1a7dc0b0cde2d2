"""The codebook as an appendix for a paper: one table per theme, in Markdown.

Written for reading, not for reading back: ids, keywords, patterns and colours are for
qualkit, not for a journal's reader, so they are left out (and named in a warning).
Everything taken from the codebook is escaped, so a ``|`` or ``<`` in a definition cannot
break the table or inject markup when the Markdown is rendered as HTML.
"""

from __future__ import annotations

import html
from typing import Any

from qualkit.codebook.load import content_version, iter_codes


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    escaped = html.escape(text, quote=False).replace("|", "\\|")
    return "<br>".join(line.strip() for line in escaped.splitlines()) or " "


def _items(values: list[str]) -> str:
    return "; ".join(values)


def write_markdown(content: dict[str, Any], notes: list[str]) -> str:
    codes = iter_codes(content)
    carried_not = [k for k in ("keywords", "patterns", "color", "renamed_from")
                   if any(c.get(k) for c, _ in codes)]
    notes.append("Markdown is an appendix for reading; it keeps no ids"
                 + (f" and leaves out {', '.join(carried_not)}" if carried_not else "")
                 + ", and cannot be read back")
    lines = [f"# {cell(content['name'])}", ""]
    if content.get("description"):
        lines += [cell(content["description"]), ""]
    label = f"version {cell(content['label'])}, " if content.get("label") else ""
    lines += [f"Codebook {label}content hash `{content_version(content)}`; unit of analysis: "
              f"{content['unit']}; {len(content['themes'])} themes, {len(codes)} codes.", ""]
    for number, theme in enumerate(content["themes"], start=1):
        lines += [f"## {number}. {cell(theme['name'])}", ""]
        if theme.get("definition"):
            lines += [cell(theme["definition"]), ""]
        lines += ["| Code | Definition | Include | Exclude | Example |",
                  "|---|---|---|---|---|"]
        for code, depth in iter_codes({"themes": [theme]}):
            name = ("↳ " * (depth - 1)) + code["name"]
            example = f"“{code['examples'][0]}”" if code.get("examples") else ""
            lines.append("| " + " | ".join(cell(v) for v in (
                name, code.get("definition", ""), _items(code.get("include", [])),
                _items(code.get("exclude", [])), example)) + " |")
        lines.append("")
    return "\n".join(lines)
