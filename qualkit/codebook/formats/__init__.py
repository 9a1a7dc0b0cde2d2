"""Codebooks in and out of the formats researchers exchange, chosen by file extension.

Every reader turns its file into the YAML-shaped data that :func:`qualkit.codebook.load.check_data`
validates, so a .qdc or a spreadsheet is held to the same rules, with the same messages, as
a hand-written YAML codebook. Every writer returns the warnings that name what its format
cannot carry (REFI-QDA's own rule: a tool must tell the user what it drops).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualkit.codebook.load import Checked, CodebookError, Problem, check_codebook, check_data
from qualkit.errors import QualkitError

READABLE = (".yaml", ".yml", ".qdc", ".csv", ".xlsx")
WRITABLE = (".yaml", ".yml", ".qdc", ".csv", ".xlsx", ".md")


@dataclass(frozen=True)
class Read:
    """A checked codebook and the warnings about what its file could not carry."""

    checked: Checked
    notes: tuple[str, ...] = ()


def _suffix(path: Path, allowed: tuple[str, ...], verb: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise QualkitError(f"{path}: cannot {verb} a codebook as `{suffix or 'no extension'}`; "
                           f"use one of {', '.join(allowed)}")
    return suffix


def read_codebook(path: Path) -> Read:
    """Read and check a codebook in any readable format."""
    suffix = _suffix(path, READABLE, "read")
    if suffix in (".yaml", ".yml"):
        return Read(check_codebook(path))
    if not path.is_file():
        raise CodebookError(path, [Problem(1, 1, "cannot be read (no such file)")])
    notes: list[str] = []
    data: Any
    if suffix == ".qdc":
        from qualkit.codebook.formats.qdc import read_qdc

        try:
            data = read_qdc(path, notes)
        except RecursionError:
            raise CodebookError(path, [Problem(1, 1, "codes nested too deeply to be a "
                                                     "codebook; export it again")]) from None
    elif suffix == ".csv":
        from qualkit.codebook.formats.table import read_csv

        data = read_csv(path, notes)
    else:
        from qualkit.codebook.formats.table import read_xlsx

        data = read_xlsx(path, notes)
    return Read(check_data(data, path), tuple(notes))


def render_codebook(content: dict[str, Any], suffix: str) -> tuple[str | bytes, list[str]]:
    """The file content for a format, and what that format cannot carry."""
    notes: list[str] = []
    if suffix in (".yaml", ".yml"):
        from qualkit.codebook.formats.yamlfile import dump_yaml

        return dump_yaml(content), notes
    if suffix == ".qdc":
        from qualkit.codebook.formats.qdc import write_qdc

        return write_qdc(content, notes), notes
    if suffix == ".csv":
        from qualkit.codebook.formats.table import write_csv

        return write_csv(content, notes), notes
    if suffix == ".xlsx":
        from qualkit.codebook.formats.table import write_xlsx

        return write_xlsx(content, notes), notes
    from qualkit.codebook.formats.markdown import write_markdown

    return write_markdown(content, notes), notes


def write_codebook(content: dict[str, Any], path: Path) -> list[str]:
    """Write canonical content to ``path`` (atomically); returns what was not carried."""
    from qualkit.fileio import atomic_write_bytes, atomic_write_text

    data, notes = render_codebook(content, _suffix(path, WRITABLE, "write"))
    if isinstance(data, str):
        atomic_write_text(path, data)
    else:
        atomic_write_bytes(path, data)
    return notes

