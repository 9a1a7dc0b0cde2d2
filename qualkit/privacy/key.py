"""The key: real name to pseudonym, a CSV file kept outside the project.

One person gets one pseudonym across every file and every run, so the key is read first
and extended, never rewritten from scratch; it is written readable by its owner only.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

from qualkit.errors import FileError
from qualkit.fileio import atomic_write_text
from qualkit.gate.names import fold
from qualkit.normalise import decode, normalise, read_bytes

PSEUDONYM = re.compile(r"^Person(\d+)$")


class Key:
    """Real name to pseudonym, kept in a CSV file outside the project."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, tuple[str, str]] = {}
        if path.is_file():
            reader = csv.DictReader(io.StringIO(normalise(decode(read_bytes(path), path))))
            if not {"name", "pseudonym"} <= set(reader.fieldnames or []):
                raise FileError(path, "is not a pseudonym key (needs columns name, pseudonym)",
                                line=1)
            for row in reader:
                if row["name"].strip() and row["pseudonym"].strip():
                    self.entries[fold(row["name"].strip())] = (row["name"].strip(),
                                                              row["pseudonym"].strip())
        self.added = 0

    def pseudonym(self, name: str, preferred: str | None = None) -> str:
        key = fold(name)
        if key not in self.entries:
            used = {p for _, p in self.entries.values()}
            if preferred is None or preferred in used:
                numbers = [int(m[1]) for p in used if (m := PSEUDONYM.match(p))]
                preferred = f"Person{max(numbers, default=0) + 1:02d}"
            self.entries[key] = (name, preferred)
            self.added += 1
        return self.entries[key][1]

    def save(self) -> None:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["name", "pseudonym"])
        writer.writerows(self.entries.values())
        atomic_write_text(self.path, out.getvalue())
        os.chmod(self.path, 0o600)
