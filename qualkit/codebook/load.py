"""Codebooks written by hand in YAML: load, validate with file:line:column, version by hash.

The codebook is the researcher's instrument, so a mistake in it must be reported where it
is (line and column), all at once, and never silently ignored: an unknown key is an error
with a "did you mean", because a misspelt ``keywrods`` would otherwise quietly switch off
suggestions for a code; a key written twice is an error, because YAML would otherwise keep
the later value without a word. The version is a hash of the *content* — comments and
layout can change without creating a new version; any change of meaning creates one.

Keys added after the first codebooks were coded (``patterns``, nested ``codes``,
``renamed_from``, a theme's ``color``) enter the content only when they are set, so a
codebook that does not use them keeps the version it always had. ``authors`` is kept but
not hashed: who wrote a codebook does not change what its codes mean.

Other formats (.qdc, .csv, .xlsx) are read into the same YAML-shaped data and checked by
the same :func:`check_data`, so every format gets the same rules and messages.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qualkit.errors import QualkitError, did_you_mean
from qualkit.model import Code, Codebook, Theme, Unit

TOP_KEYS = ("name", "version", "description", "authors", "unit", "themes")
THEME_KEYS = ("id", "name", "definition", "codes", "color")
CODE_KEYS = ("id", "name", "definition", "include", "exclude", "keywords", "patterns",
             "examples", "color", "codes", "renamed_from")
LIST_KEYS = ("include", "exclude", "keywords", "examples")
UNHASHED = ("authors",)
ID = re.compile(r"^[a-z][a-z0-9_]*$")
COLOR = re.compile(r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
_SPACY_ERROR = re.compile(r"^\[pattern -> (\d+)(?: -> ([^\]]*))?\] (.*)$")


@dataclass(frozen=True)
class Problem:
    line: int
    column: int
    message: str
    warning: bool = False


def _format(path: Path, problem: Problem) -> str:
    kind = "warning: " if problem.warning else ""
    return f"{path}:{problem.line}:{problem.column}: {kind}{problem.message}"


class CodebookError(QualkitError):
    """A codebook with one or more problems; all of them are in ``problems``."""

    def __init__(self, path: Path, problems: list[Problem],
                 warnings: list[Problem] | None = None) -> None:
        self.path = path
        self.problems = problems
        self.warnings = warnings or []
        first = problems[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(f"{path}:{first.line}:{first.column}: {first.message}{more}")

    def lines(self) -> list[str]:
        """Every problem and warning as ``file:line:column: message``, in file order."""
        every = sorted([*self.problems, *self.warnings], key=lambda p: (p.line, p.column))
        return [_format(self.path, p) for p in every]


@dataclass(frozen=True)
class Checked:
    """A valid codebook, its canonical content, and what deserves a look but is allowed."""

    codebook: Codebook
    content: dict[str, Any]
    warnings: tuple[Problem, ...] = ()
    path: Path = field(default=Path("."))

    def warning_lines(self) -> list[str]:
        return [_format(self.path, w) for w in self.warnings]


class Located(dict[str, Any]):
    """A mapping that remembers where it and each of its keys were written (line, column)."""

    where: tuple[int, int] = (1, 1)
    key_where: dict[str, tuple[int, int]]
    twice: list[tuple[str, tuple[int, int], tuple[int, int]]]

    @classmethod
    def at(cls, values: Mapping[str, Any], line: int = 1,
           columns: Mapping[str, int] | None = None) -> Located:
        """Wrap plain data read from another format, placed at ``line`` (a table row)."""
        result = cls(values)
        result.where = (line, 1)
        result.key_where = {k: (line, (columns or {}).get(k, 1)) for k in values}
        result.twice = []
        return result


def locate(data: Any) -> Any:
    """Plain nested data as :class:`Located` mappings (at 1:1 unless already located)."""
    if isinstance(data, Located):
        for key, value in data.items():
            data[key] = locate(value)
        return data
    if isinstance(data, Mapping):
        return Located.at({str(k): locate(v) for k, v in data.items()})
    if isinstance(data, list):
        return [locate(v) for v in data]
    return data


class _Loader(yaml.SafeLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> Located:
    result = Located()
    result.where = (node.start_mark.line + 1, node.start_mark.column + 1)
    result.key_where = {}
    result.twice = []
    for key_node, value_node in node.value:
        key = str(loader.construct_object(key_node, deep=True))
        where = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        if key in result.key_where:
            result.twice.append((key, where, result.key_where[key]))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_where.setdefault(key, where)
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def add(self, where: tuple[int, int], message: str) -> None:
        self.problems.append(Problem(where[0], where[1], message))

    def warn(self, where: tuple[int, int], message: str) -> None:
        self.warnings.append(Problem(where[0], where[1], message, warning=True))

    def keys(self, mapping: Located, allowed: tuple[str, ...], what: str) -> None:
        for key, where, first in getattr(mapping, "twice", []):
            self.add(where, f"key `{key}` is written twice in {what} (first on line "
                            f"{first[0]}); keep one")
        for key in mapping:
            if key not in allowed:
                self.add(mapping.key_where[key],
                         f"unknown key `{key}` in {what}{did_you_mean(key, allowed, True)}")

    def text(self, mapping: Located, key: str, what: str, required: bool = True) -> str:
        value = mapping.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(mapping.key_where.get(key, mapping.where), f"{what} needs a `{key}`")
            return ""
        if not isinstance(value, str | int | float):
            self.add(mapping.key_where[key], f"`{key}` of {what} must be text")
            return ""
        return str(value).strip()

    def strings(self, mapping: Located, key: str, what: str) -> tuple[str, ...]:
        value = mapping.get(key, [])
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str | int | float)
                                                  for v in value):
            self.add(mapping.key_where[key], f"`{key}` of {what} must be a list of texts")
            return ()
        return tuple(str(v).strip() for v in value if str(v).strip())

    def ident(self, mapping: Located, what: str, seen: dict[str, str]) -> str:
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

    def color(self, mapping: Located, what: str) -> str | None:
        value = self.text(mapping, "color", what, required=False)
        if value and not COLOR.match(value):
            self.add(mapping.key_where["color"],
                     f"color `{value}` of {what} must be #rrggbb (like `#1f77b4`)")
        return value or None

    def patterns(self, mapping: Located, what: str) -> list[list[dict[str, Any]]]:
        value = mapping.get("patterns")
        if value is None:
            return []
        where = mapping.key_where["patterns"]
        if not isinstance(value, list) or not all(
                isinstance(p, list) and p and all(isinstance(t, Mapping) for t in p)
                for p in value):
            self.add(where, f"`patterns` of {what} must be a list of spaCy token patterns, "
                            "each a list of token mappings like [{LEMMA: teach}]")
            return []
        from spacy.schemas import TokenPattern, validate_token_pattern

        known = [name.upper() for name in TokenPattern.model_fields if name != "underscore"]
        result = []
        for number, pattern in enumerate(value, start=1):
            plain = _plain(pattern)
            reported: set[tuple[int, str]] = set()
            for error in validate_token_pattern(plain):
                found = _SPACY_ERROR.match(error)
                if not found:
                    self.add(where, f"invalid spaCy pattern {number} in {what}: {error}")
                    continue
                index, trail, message = int(found[1]), found[2] or "", found[3]
                attr = trail.split(" -> ")[0] if trail else ""
                if (index, attr) in reported:
                    continue  # one message per token attribute, not one per union branch
                reported.add((index, attr))
                token = pattern[index] if index < len(pattern) else None
                at = where
                if isinstance(token, Located):
                    at = token.key_where.get(attr, token.where)
                if message == "Extra inputs are not permitted" and " -> " not in trail:
                    message = f"unknown token attribute `{attr}`{did_you_mean(attr, known)}"
                elif attr:
                    message = f"`{attr}`: {message}"
                self.add(at, f"invalid spaCy pattern {number} in {what}, token {index + 1}: "
                             f"{message}")
            result.append(plain)
        return result


def content_version(content: dict[str, Any]) -> str:
    """The identity of a codebook: a hash of its canonical content (authors excluded)."""
    hashed = {k: v for k, v in content.items() if k not in UNHASHED}
    canonical = json.dumps(hashed, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


MAX_VALUES = 200_000  # far beyond any codebook; stops "billion laughs" alias expansion


def _expanded_size(root: yaml.Node) -> int:
    """How many values the document holds once aliases are expanded, counted without
    expanding them (a node shared by aliases is counted once per use, memoised), so a
    small file that would expand to billions of values is refused in linear time."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = 1  # a recursive alias counts once, and ends the recursion
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(v) for v in node.value)
        else:
            total = 1
        sizes[id(node)] = min(total, MAX_VALUES + 1)
        return sizes[id(node)]

    return size(root)


def read_yaml(path: Path) -> Any:
    """The YAML data of a codebook file, with locations; syntax errors as CodebookError."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CodebookError(path, [Problem(1, 1, f"cannot be read ({exc})")]) from None
    try:
        loader = _Loader(raw)  # a SafeLoader subclass: no Python objects from YAML tags
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            if _expanded_size(node) > MAX_VALUES:
                raise CodebookError(path, [Problem(
                    node.start_mark.line + 1, node.start_mark.column + 1,
                    f"YAML aliases here expand to more than {MAX_VALUES:,} values (an alias "
                    "bomb?); write the values out instead of repeating aliases")])
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except RecursionError:
        raise CodebookError(path, [Problem(1, 1, "YAML nested too deeply to be a codebook; "
                                                 "a codebook needs only a few levels")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise CodebookError(path, [Problem(*where, f"YAML syntax: {exc.problem}")]) from None
    except yaml.YAMLError as exc:
        raise CodebookError(path, [Problem(1, 1, f"YAML: {exc}")]) from None


def check_codebook(path: Path) -> Checked:
    """Read and validate a YAML codebook; every problem at once in a CodebookError."""
    return check_data(read_yaml(path), path)


def load_codebook(path: Path) -> tuple[Codebook, dict[str, Any]]:
    """Read and validate a YAML codebook; returns it and its canonical content."""
    checked = check_codebook(path)
    return checked.codebook, checked.content


def check_data(data: Any, path: Path) -> Checked:
    """Validate YAML-shaped codebook data (from any format) into canonical content."""
    if not isinstance(data, Mapping):
        raise CodebookError(path, [Problem(1, 1, "a codebook is a mapping with `name` and "
                                                 "`themes`; see codebooks/mentoring.yaml")])
    data = locate(data)
    check = _Checker()
    content = _validate(data, check)
    if check.problems:
        raise CodebookError(path, sorted(check.problems, key=lambda p: (p.line, p.column)),
                            sorted(check.warnings, key=lambda p: (p.line, p.column)))
    return Checked(codebook=from_content(content), content=content,
                   warnings=tuple(sorted(check.warnings, key=lambda p: (p.line, p.column))),
                   path=path)


def _validate(data: Located, check: _Checker) -> dict[str, Any]:
    check.keys(data, TOP_KEYS, "the codebook")
    name = check.text(data, "name", "the codebook")
    unit = str(data.get("unit", Unit.SENTENCE.value))
    if unit not in {u.value for u in Unit}:
        check.add(data.key_where["unit"], f"unit `{unit}` must be `sentence` or `turn`")
    authors = check.strings(data, "authors", "the codebook")
    themes_raw = data.get("themes")
    themes: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    renames: list[tuple[str, str, tuple[int, int]]] = []
    keywords: dict[str, str] = {}
    if not isinstance(themes_raw, list) or not themes_raw:
        check.add(data.key_where.get("themes", data.where),
                  "the codebook needs `themes`: a list of themes, each with codes")
        themes_raw = []
    for theme_raw in themes_raw:
        if not isinstance(theme_raw, Located):
            check.add(data.key_where["themes"], "each theme must be a mapping with id, name "
                                                "and codes")
            continue
        what = f"theme `{theme_raw.get('id', '?')}`"
        check.keys(theme_raw, THEME_KEYS, what)
        theme: dict[str, Any] = {"id": check.ident(theme_raw, what, seen),
                                 "name": check.text(theme_raw, "name", what),
                                 "definition": check.text(theme_raw, "definition", what,
                                                          required=False)}
        color = check.color(theme_raw, what)
        if color:
            theme["color"] = color
        codes_raw = theme_raw.get("codes")
        if not isinstance(codes_raw, list) or not codes_raw:
            check.add(theme_raw.key_where.get("codes", theme_raw.where),
                      f"{what} has no codes; a theme groups codes and is not codable itself")
            codes_raw = []
        theme["codes"] = _codes(codes_raw, theme_raw, what, check, seen, renames, keywords)
        themes.append(theme)
    for old, code_id, where in renames:
        if old in seen:
            check.add(where, f"`renamed_from` of code `{code_id}` names `{old}`, which is "
                             "still in this codebook; a renamed code's old id must be gone")
    claimed: dict[str, str] = {}
    for old, code_id, where in renames:
        if old in claimed and claimed[old] != code_id:
            check.add(where, f"`{old}` is in `renamed_from` of both `{claimed[old]}` and "
                             f"`{code_id}`; an old id can become only one code")
        claimed.setdefault(old, code_id)
    content: dict[str, Any] = {
        "name": name, "label": str(data.get("version", "")),
        "description": str(data.get("description") or "").strip(), "unit": unit,
        "themes": themes}
    if authors:
        content["authors"] = list(authors)
    return content


def _codes(codes_raw: list[Any], parent: Located, parent_what: str, check: _Checker,
           seen: dict[str, str], renames: list[tuple[str, str, tuple[int, int]]],
           keywords: dict[str, str]) -> list[dict[str, Any]]:
    codes: list[dict[str, Any]] = []
    for code_raw in codes_raw:
        if not isinstance(code_raw, Located):
            check.add(parent.where, f"each code of {parent_what} must be a mapping")
            continue
        cwhat = f"code `{code_raw.get('id', '?')}`"
        check.keys(code_raw, CODE_KEYS, cwhat)
        code: dict[str, Any] = {"id": check.ident(code_raw, cwhat, seen),
                                "name": check.text(code_raw, "name", cwhat),
                                "definition": check.text(code_raw, "definition", cwhat,
                                                         required=False)}
        for key in LIST_KEYS:
            code[key] = list(check.strings(code_raw, key, cwhat))
        code["color"] = check.color(code_raw, cwhat)
        for keyword in code["keywords"]:
            other = keywords.setdefault(keyword.casefold(), code["id"])
            if other != code["id"]:
                check.warn(code_raw.key_where["keywords"],
                           f"keyword `{keyword}` of {cwhat} is also a keyword of code "
                           f"`{other}`; a match suggests both")
        patterns = check.patterns(code_raw, cwhat)
        if patterns:
            code["patterns"] = patterns
        old_ids = check.strings(code_raw, "renamed_from", cwhat)
        for old in old_ids:
            if not ID.match(old):
                check.add(code_raw.key_where["renamed_from"],
                          f"`renamed_from` of {cwhat} names `{old}`, which is not an id "
                          "(lower case letters, digits and _)")
            renames.append((old, code["id"], code_raw.key_where["renamed_from"]))
        if old_ids:
            code["renamed_from"] = list(old_ids)
        children = code_raw.get("codes")
        if children is not None and not isinstance(children, list):
            check.add(code_raw.key_where["codes"],
                      f"`codes` of {cwhat} must be a list of sub-codes")
        elif children:
            code["codes"] = _codes(children, code_raw, cwhat, check, seen, renames, keywords)
        codes.append(code)
    return codes


def _flatten(codes: list[dict[str, Any]], theme_id: str,
             parent_id: str | None) -> list[Code]:
    flat: list[Code] = []
    for c in codes:
        flat.append(Code(id=c["id"], name=c["name"], theme_id=theme_id,
                         definition=c["definition"], include=tuple(c["include"]),
                         exclude=tuple(c["exclude"]), keywords=tuple(c["keywords"]),
                         examples=tuple(c["examples"]), color=c["color"],
                         patterns=tuple(json.dumps(p, sort_keys=True, ensure_ascii=False)
                                        for p in c.get("patterns", ())),
                         parent_id=parent_id,
                         renamed_from=tuple(c.get("renamed_from", ()))))
        flat.extend(_flatten(c.get("codes", []), theme_id, c["id"]))
    return flat


def from_content(content: dict[str, Any]) -> Codebook:
    """Rebuild a :class:`Codebook` from canonical content (as stored in the project)."""
    themes = tuple(
        Theme(id=th["id"], name=th["name"], definition=th["definition"],
              codes=tuple(_flatten(th["codes"], th["id"], None)), color=th.get("color"))
        for th in content["themes"])
    return Codebook(name=content["name"], version=content_version(content),
                    label=content["label"], unit=Unit(content["unit"]), themes=themes,
                    description=content["description"],
                    authors=tuple(content.get("authors", ())))


def iter_codes(content: dict[str, Any]) -> list[tuple[dict[str, Any], int]]:
    """Every code of canonical content with its depth (1 = directly under a theme)."""
    found: list[tuple[dict[str, Any], int]] = []

    def walk(codes: list[dict[str, Any]], depth: int) -> None:
        for code in codes:
            found.append((code, depth))
            walk(code.get("codes", []), depth + 1)

    for theme in content["themes"]:
        walk(theme["codes"], 1)
    return found
