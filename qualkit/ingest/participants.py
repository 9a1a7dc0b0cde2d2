"""The participant roster: pseudonyms and their attributes, from ``participants.csv``."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from qualkit.errors import FileError
from qualkit.model import Participant
from qualkit.normalise import decode, normalise

ID_COLUMNS = ("participant", "speaker", "pseudonym", "id")


def read_participants(path: Path) -> list[Participant]:
    """Read the roster; the first column named like an id holds the pseudonym."""
    try:
        text = normalise(decode(path.read_bytes(), path))
    except OSError as exc:
        raise FileError(path, f"cannot be read ({exc.strerror})") from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    lowered = [h.lower() for h in header]
    key = next((lowered.index(c) for c in ID_COLUMNS if c in lowered), None)
    if key is None:
        raise FileError(path, f"needs a column named one of {', '.join(ID_COLUMNS)}", line=1)
    if len(set(lowered)) != len(lowered):
        raise FileError(path, "has two columns with the same name", line=1)
    people: dict[str, Participant] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise FileError(path, f"has {len(row)} cells where the header has {len(header)}",
                            line=line)
        name = row[key].strip()
        if not name:
            raise FileError(path, f"has an empty {header[key]}", line=line)
        if name in people:
            raise FileError(path, f"lists {name} twice", line=line)
        attrs = {h: c.strip() for i, (h, c) in enumerate(zip(header, row, strict=True))
                 if i != key}
        people[name] = Participant(name=name, attributes=attrs)
    return list(people.values())
