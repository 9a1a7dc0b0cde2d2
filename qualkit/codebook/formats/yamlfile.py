"""Canonical codebook content written back as the YAML a researcher would write by hand.

Empty fields are left out (they load back as empty), keys keep the order of the format's
documentation, and short lists stay on one line, so a converted .qdc or spreadsheet reads
like ``codebooks/mentoring.yaml`` and loads back to the same content (the same version).
"""

from __future__ import annotations

from typing import Any

CODE_ORDER = ("id", "name", "definition", "include", "exclude", "keywords", "patterns",
              "examples", "color", "renamed_from", "codes")


def to_data(content: dict[str, Any]) -> dict[str, Any]:
    """Canonical content as YAML-shaped data, without empty fields."""
    data: dict[str, Any] = {"name": content["name"]}
    if content.get("label"):
        data["version"] = content["label"]
    if content.get("description"):
        data["description"] = content["description"]
    if content.get("authors"):
        data["authors"] = list(content["authors"])
    data["unit"] = content["unit"]
    data["themes"] = [_theme(t) for t in content["themes"]]
    return data


def _theme(theme: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": theme["id"], "name": theme["name"]}
    if theme.get("definition"):
        out["definition"] = theme["definition"]
    if theme.get("color"):
        out["color"] = theme["color"]
    out["codes"] = [_code(c) for c in theme["codes"]]
    return out


def _code(code: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in CODE_ORDER:
        value = code.get(key)
        if key == "codes" and value:
            out[key] = [_code(c) for c in value]
        elif value or key in ("id", "name"):
            out[key] = value
    return out


def dump_yaml(content: dict[str, Any]) -> str:
    import yaml

    header = "# qualkit codebook (see docs/codebooks.md for the format)\n"
    return header + yaml.safe_dump(to_data(content), sort_keys=False, allow_unicode=True,
                                   default_flow_style=None, width=4096)
