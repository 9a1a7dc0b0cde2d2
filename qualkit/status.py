"""A project's state at a glance, as plain data for the table and for ``--json``."""

from __future__ import annotations

from typing import Any

from qualkit.codebook.versions import active_codebook
from qualkit.store import Store


def project_status(store: Store) -> dict[str, Any]:
    codebook = active_codebook(store)
    segments = store.segments()
    per_transcript: dict[int, int] = {}
    for seg in segments:
        per_transcript[seg.transcript_id] = per_transcript.get(seg.transcript_id, 0) + 1
    coders = []
    for name in store.coders():
        codings = store.codings(name)
        coded = sum(1 for c in codings.values() if c.codes)
        coders.append({"name": name, "reviewed": len(codings), "coded": coded,
                       "none": len(codings) - coded})
    return {
        "codebook": {"name": codebook.name, "version": codebook.version,
                     "codes": len(codebook.codes)} if codebook else None,
        "transcripts": [{"name": t.name, "turns": len(store.turns(t.id)),
                         "segments": per_transcript.get(t.id, 0),
                         "group": t.attributes.get("group")} for t in store.transcripts()],
        "segments": len(segments),
        "coders": coders,
    }
