"""Speaker-labelled plain text to turns.

The sample study and most transcription services write one turn per paragraph as
``[00:01:23] P07: talk``; lines without a label continue the current turn. Turn offsets
span the talk only, so a segment never includes the speaker label.
"""

from __future__ import annotations

import re
from pathlib import Path

from qualkit.errors import FileError
from qualkit.model import Turn

LABEL = re.compile(
    r"^[ \t]*(?:\[(?P<ts>\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)\][ \t]*)?"
    r"(?P<speaker>[A-Z][\w'.-]*(?: [A-Z][\w'.-]*){0,3})[ \t]*:[ \t]+(?P<talk>\S.*)$"
)


def parse_turns(text: str, path: Path, transcript_id: int = 0) -> list[Turn]:
    turns: list[Turn] = []
    offset = 0
    current: dict[str, object] | None = None

    def close() -> None:
        if current is not None:
            start = int(current["start"])  # type: ignore[call-overload]
            end = int(current["end"])  # type: ignore[call-overload]
            turns.append(Turn(transcript_id=transcript_id, index=len(turns),
                              speaker=str(current["speaker"]), start=start, end=end,
                              timestamp=current["ts"]))  # type: ignore[arg-type]

    for line in text.split("\n"):
        match = LABEL.match(line)
        if match:
            close()
            current = {"speaker": match["speaker"], "ts": match["ts"],
                       "start": offset + match.start("talk"),
                       "end": offset + len(line.rstrip())}
        elif line.strip() and current is not None:
            current["end"] = offset + len(line.rstrip())
        offset += len(line) + 1
    close()
    if not turns:
        raise FileError(path, "no speaker labels found; start each turn with "
                              "`Speaker: talk` (for example `P07: I think…`)", line=1)
    return turns
