"""Codebooks written by hand in YAML: load, validate with file:line:column, version by hash.

The codebook is the researcher's instrument, so a mistake in it must be reported where it
is (line and column), all at once, and never silently ignored: an unknown key is an error
with a "did you mean", because a misspelt ``keywrods`` would otherwise quietly switch off
suggestions for a code. The version is a hash of the *content* — comments and layout can
change without creating a new version; any change of meaning creates one.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from qualkit.errors import QualkitError, did_you_mean
from qualkit.model import Code, Codebook, Theme, Unit

TOP_KEYS = ("name", "version", "description", "authors", "unit", "themes")
THEME_KEYS = ("id", "name", "definition", "codes", "color")
CODE_KEYS = ("id", "name", "definition", "include", "exclude", "keywords", "examples",
             "color")
LIST_KEYS = ("include", "exclude", "keywords", "examples")
ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Problem:
    line: int
    column: int
    message: str


class CodebookError(QualkitError):
    """A codebook with one or more problems; all of them are in ``problems``."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(f"{path}:{first.line}:{first.column}: {first.message}{more}")

    def lines(self) -> list[str]:
        return [f"{self.path}:{p.line}:{p.column}: {p.message}" for p in self.problems]


class _Map(dict[str, Any]):
    """A YAML mapping that remembers where it and each of its keys were written."""

    where: tuple[int, int] = (1, 1)
    key_where: dict[str, tuple[int, int]]


class _Loader(yaml.SafeLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    result = _Map()
    result.where = (node.start_mark.line + 1, node.start_mark.column + 1)
    result.key_where = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[str(key)] = loader.construct_object(value_node, deep=True)
        result.key_where[str(key)] = (key_node.start_mark.line + 1,
                                      key_node.start_mark.column + 1)
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: tuple[int, int], message: str) -> None:
        self.problems.append(Problem(where[0], where[1], message))

    def keys(self, mapping: _Map, allowed: tuple[str, ...], what: str) -> None:
        for key in mapping:
            if key not in allowed:
                self.add(mapping.key_where[key],
                         f"unknown key `{key}` in {what}{did_you_mean(key, allowed, True)}")

    def text(self, mapping: _Map, key: str, what: str, required: bool = True) -> str:
        value = mapping.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(mapping.key_where.get(key, mapping.where), f"{what} needs a `{key}`")
            return ""
        if not isinstance(value, str | int | float):
            self.add(mapping.key_where[key], f"`{key}` of {what} must be text")
            return ""
        return str(value).strip()

    def strings(self, mapping: _Map, key: str, what: str) -> tuple[str, ...]:
        value = mapping.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str | int | float)
                                                  for v in value):
            self.add(mapping.key_where[key], f"`{key}` of {what} must be a list of texts")
            return ()
        return tuple(str(v).strip() for v in value if str(v).strip())

    def ident(self, mapping: _Map, what: str, seen: dict[str, str]) -> str:
        value = self.text(mapping, "id", what)
        if value and not ID.match(value):
            self.add(mapping.key_where["id"], f"id `{value}` of {what} must be lower case "
                                              "letters, digits and _ (like `teaching_skills`)")
        elif value in seen:
            self.add(mapping.key_where["id"], f"id `{value}` is used twice "
                                              f"(also by {seen[value]})")
        elif value:
            seen[value] = what
        return value


def content_version(content: dict[str, Any]) -> str:
    """The identity of a codebook: a hash of its canonical content."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def load_codebook(path: Path) -> tuple[Codebook, dict[str, Any]]:
    """Read and validate a YAML codebook; returns it and its canonical content."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CodebookError(path, [Problem(1, 1, f"cannot be read ({exc})")]) from None
    try:
        data = yaml.load(raw, Loader=_Loader)  # _Loader is a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise CodebookError(path, [Problem(*where, f"YAML syntax: {exc.problem}")]) from None
    except yaml.YAMLError as exc:
        raise CodebookError(path, [Problem(1, 1, f"YAML: {exc}")]) from None
    if not isinstance(data, _Map):
        raise CodebookError(path, [Problem(1, 1, "a codebook is a mapping with `name` and "
                                                 "`themes`; see codebooks/mentoring.yaml")])
    content = _validate(data, path)
    return from_content(content), content


def _validate(data: _Map, path: Path) -> dict[str, Any]:
    check = _Checker()
    check.keys(data, TOP_KEYS, "the codebook")
    name = check.text(data, "name", "the codebook")
    unit = str(data.get("unit", Unit.SENTENCE.value))
    if unit not in {u.value for u in Unit}:
        check.add(data.key_where["unit"], f"unit `{unit}` must be `sentence` or `turn`")
    themes_raw = data.get("themes")
    themes: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    if not isinstance(themes_raw, list) or not themes_raw:
        check.add(data.key_where.get("themes", data.where),
                  "the codebook needs `themes`: a list of themes, each with codes")
        themes_raw = []
    for theme_raw in themes_raw:
        if not isinstance(theme_raw, _Map):
            check.add(data.key_where["themes"], "each theme must be a mapping with id, name "
                                                "and codes")
            continue
        what = f"theme `{theme_raw.get('id', '?')}`"
        check.keys(theme_raw, THEME_KEYS, what)
        theme = {"id": check.ident(theme_raw, what, seen),
                 "name": check.text(theme_raw, "name", what),
                 "definition": check.text(theme_raw, "definition", what, required=False),
                 "codes": []}
        codes_raw = theme_raw.get("codes")
        if not isinstance(codes_raw, list) or not codes_raw:
            check.add(theme_raw.key_where.get("codes", theme_raw.where),
                      f"{what} has no codes; a theme groups codes and is not codable itself")
            codes_raw = []
        for code_raw in codes_raw:
            if not isinstance(code_raw, _Map):
                check.add(theme_raw.where, f"each code of {what} must be a mapping")
                continue
            cwhat = f"code `{code_raw.get('id', '?')}`"
            check.keys(code_raw, CODE_KEYS, cwhat)
            code: dict[str, Any] = {"id": check.ident(code_raw, cwhat, seen),
                                    "name": check.text(code_raw, "name", cwhat),
                                    "definition": check.text(code_raw, "definition", cwhat,
                                                             required=False)}
            for key in LIST_KEYS:
                code[key] = list(check.strings(code_raw, key, cwhat))
            color = check.text(code_raw, "color", cwhat, required=False)
            code["color"] = color or None
            theme["codes"].append(code)
        themes.append(theme)
    if check.problems:
        raise CodebookError(path, sorted(check.problems, key=lambda p: (p.line, p.column)))
    return {"name": name, "label": str(data.get("version", "")),
            "description": str(data.get("description") or "").strip(), "unit": unit,
            "themes": themes}


def from_content(content: dict[str, Any]) -> Codebook:
    """Rebuild a :class:`Codebook` from canonical content (as stored in the project)."""
    themes = tuple(
        Theme(id=th["id"], name=th["name"], definition=th["definition"],
              codes=tuple(Code(id=c["id"], name=c["name"], theme_id=th["id"],
                               definition=c["definition"], include=tuple(c["include"]),
                               exclude=tuple(c["exclude"]), keywords=tuple(c["keywords"]),
                               examples=tuple(c["examples"]), color=c["color"])
                          for c in th["codes"]))
        for th in content["themes"])
    return Codebook(name=content["name"], version=content_version(content),
                    label=content["label"], unit=Unit(content["unit"]), themes=themes,
                    description=content["description"])
