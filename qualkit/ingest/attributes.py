"""Transcript attributes (group, date, site, …) from ``transcripts/transcripts.csv``.

One row per transcript: a ``transcript`` column with the file's name (with or without its
suffix) and any attribute columns. Without the file, a transcript's ``group`` still comes
from the roster when all its rostered speakers share one; the sheet's values win over that.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from qualkit.errors import FileError
from qualkit.ingest.formats import FORMATS
from qualkit.model import Participant
from qualkit.normalise import decode, normalise, read_bytes

ATTRIBUTES_FILE = "transcripts.csv"
KEY_COLUMNS = ("transcript", "file", "name")


def read_transcript_attributes(path: Path) -> dict[str, dict[str, str]]:
    """Attributes by transcript name (the file name without its suffix)."""
    if not path.is_file():
        return {}
    reader = csv.reader(io.StringIO(normalise(decode(read_bytes(path), path))))
    header = [h.strip() for h in next(reader, [])]
    lowered = [h.lower() for h in header]
    key = next((lowered.index(c) for c in KEY_COLUMNS if c in lowered), None)
    if key is None:
        raise FileError(path, f"needs a column named one of {', '.join(KEY_COLUMNS)}", line=1)
    sheet: dict[str, dict[str, str]] = {}
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise FileError(path, f"has {len(row)} cells where the header has {len(header)}",
                            line=reader.line_num)
        name = row[key].strip()
        if Path(name).suffix.lower() in FORMATS:
            name = Path(name).stem
        if name in sheet:
            raise FileError(path, f"lists {name} twice", line=reader.line_num)
        sheet[name] = {h: c.strip() for i, (h, c) in enumerate(zip(header, row, strict=True))
                       if i != key and h and c.strip()}
    return sheet


def roster_group(speakers: Sequence[str], roster: Mapping[str, Participant]) -> str | None:
    """The group all rostered speakers share (moderators have none), else None."""
    groups = Counter(roster[s].attributes.get("group", "") for s in speakers if s in roster)
    groups.pop("", None)
    return groups.most_common(1)[0][0] if len(groups) == 1 else None


def transcript_attributes(name: str, speakers: Sequence[str],
                          roster: Mapping[str, Participant],
                          sheet: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    group = roster_group(speakers, roster)
    return {**({"group": group} if group else {}), **sheet.get(name, {})}
