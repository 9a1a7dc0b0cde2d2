"""How a project's transcripts are read, kept in ``qualkit.toml`` under ``[import]``.

A corpus whose labels need ``--speaker-pattern`` (or whose spreadsheets name their
columns oddly) must be read the same way by every command and on every machine: by
``qualkit import``, by ``qualkit run`` (the main job, which had no such options), and by
a colleague's fresh clone. So the choices live with the project's files; an option given
on the command line wins over the file for that run, and ``qualkit import
--save-settings`` writes the ones that worked.

```toml
[import]
speaker_pattern = '^(?P<ts>\\d+:\\d+) (?P<speaker>[A-Z ]+\\d*):'
unit = "turn"
moderators = ["Dan"]
speaker_column = "Who"
text_column = "Said"
```
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields, replace
from typing import Any

from qualkit.errors import FileError, QualkitError, did_you_mean
from qualkit.fileio import atomic_write_text
from qualkit.ingest.source import ReadOptions
from qualkit.model import Unit
from qualkit.project import Project

TABLE = "import"


@dataclass(frozen=True)
class ImportSettings:
    """Everything that says how to read the project's transcripts; None: not set."""

    speaker_pattern: str | None = None
    no_speakers: bool | None = None
    unit: str | None = None
    moderators: tuple[str, ...] | None = None
    speaker_column: str | None = None
    text_column: str | None = None
    encoding: str | None = None

    def over(self, base: ImportSettings) -> ImportSettings:
        """These settings where set, ``base``'s elsewhere (the command line over the file)."""
        given = {f.name: getattr(self, f.name) for f in fields(self)
                 if getattr(self, f.name) is not None}
        return replace(base, **given)

    def read_options(self) -> ReadOptions:
        if self.no_speakers and (self.speaker_pattern or self.speaker_column):
            raise QualkitError("--no-speakers cannot be combined with --speaker-pattern or "
                               "--speaker-column (check [import] in qualkit.toml)")
        return ReadOptions(encoding=self.encoding, speaker_pattern=self.speaker_pattern,
                           no_speakers=bool(self.no_speakers),
                           speaker_column=self.speaker_column, text_column=self.text_column)

    def unit_or(self, default: Unit) -> Unit:
        if self.unit is None:
            return default
        try:
            return Unit(self.unit)
        except ValueError:
            raise QualkitError(f"unit must be sentence or turn, not {self.unit!r}") from None


_TYPES: dict[str, type] = {"speaker_pattern": str, "no_speakers": bool, "unit": str,
                           "moderators": list, "speaker_column": str, "text_column": str,
                           "encoding": str}


def load(project: Project) -> ImportSettings:
    """The ``[import]`` table of ``qualkit.toml``, checked (a wrong key or type names the
    file and what to write instead)."""
    table = project.table(TABLE)
    path = project.settings_file
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _TYPES:
            raise FileError(path, f"[{TABLE}] has no setting `{key}`"
                                  f"{did_you_mean(key, list(_TYPES), list_all=True)}")
        kind = _TYPES[key]
        if not isinstance(value, kind) or (kind is list and not all(
                isinstance(v, str) for v in value)):
            want = "a list of names" if kind is list else (
                "true or false" if kind is bool else "a string")
            raise FileError(path, f"[{TABLE}] {key} must be {want}")
        values[key] = tuple(value) if kind is list else value
    settings = ImportSettings(**values)
    if settings.speaker_pattern is not None:
        from qualkit.ingest.speakers import compile_pattern

        compile_pattern(settings.speaker_pattern)
    settings.unit_or(Unit.SENTENCE)
    return settings


def effective(project: Project, given: ImportSettings | None = None) -> ImportSettings:
    """The settings an import uses: those ``given`` (the command line) over the file's."""
    saved = load(project)
    return given.over(saved) if given is not None else saved


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value)
    if "'" not in text and "\n" not in text:
        return f"'{text}'"  # a literal string: a regex reads as typed, no escapes
    return json.dumps(text, ensure_ascii=False)  # JSON's escapes are TOML's basic string's


_HEADER = re.compile(r"^\s*\[")


def save(project: Project, settings: ImportSettings) -> list[str]:
    """Write the settings that are set into ``[import]``, keeping the rest of the file as
    it is; returns the keys written."""
    path = project.settings_file
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    kept: list[str] = []
    inside = False
    for line in old.splitlines():
        if _HEADER.match(line):
            inside = line.strip().replace(" ", "") == f"[{TABLE}]"
        if not inside:
            kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    written = {f.name: getattr(settings, f.name) for f in fields(settings)
               if getattr(settings, f.name) is not None}
    block = [f"[{TABLE}]"] + [f"{k} = {_toml_value(v)}" for k, v in written.items()]
    text = "\n".join([*kept, *([""] if kept else []), *block]) + "\n"
    atomic_write_text(path, text)
    load(project)  # what was written reads back
    return list(written)
