"""The privacy scan over files, without importing them (``qualkit privacy scan``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from qualkit.errors import FileError
from qualkit.gate.scan import Finding, Scanner
from qualkit.ingest.formats import FORMATS
from qualkit.ingest.importer import RESERVED
from qualkit.ingest.reader import canonical_turns, findings_of
from qualkit.ingest.source import ReadOptions
from qualkit.model import Participant


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files as given; a folder stands for the transcript files in it."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir()
                                if p.is_file() and p.suffix.lower() in FORMATS
                                and p.name.lower() not in RESERVED
                                and not p.name.startswith((".", "~$"))))
        elif path.is_file():
            found.append(path)
        else:
            raise FileError(path, "does not exist")
    return found


def scan_files(paths: Sequence[Path], scanner: Scanner, options: ReadOptions | None = None,
               roster: Mapping[str, Participant] | None = None,
               show: Callable[[Path], str] = str) -> list[Finding]:
    """Findings in every file, one file in memory at a time."""
    from qualkit.ingest.formats import read_source

    findings: list[Finding] = []
    for path in paths:
        source = read_source(path, options or ReadOptions())
        turns = canonical_turns(source.turns, roster or {})
        findings.extend(findings_of(source, scanner, show(path), turns))
    return findings
