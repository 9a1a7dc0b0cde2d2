"""What ``qualkit transcripts list`` shows: per transcript its size in turns, segments,
speakers and words (words of talk; labels are not counted)."""

from __future__ import annotations

from typing import Any

from qualkit.ingest.importer import allowed_pii
from qualkit.store import Store


def transcript_summaries(store: Store) -> list[dict[str, Any]]:
    """One row per transcript, in name order; texts are read one at a time."""
    allowed = {str(r["transcript"]) for r in allowed_pii(store)}
    rows = []
    for name, (tid, source, turns, segments, speakers) in store.transcript_counts().items():
        transcript = store.transcript(name)
        text = transcript.text if transcript else ""
        words = sum(len(text[t.start:t.end].split()) for t in store.turns(tid))
        rows.append({"id": tid, "name": name, "file": source, "turns": turns,
                     "segments": segments, "speakers": speakers, "words": words,
                     "attributes": dict(transcript.attributes) if transcript else {},
                     "allow_pii": name in allowed})
    return rows
