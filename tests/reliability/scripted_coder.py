"""A coder who decides segment after segment, saying `ack SEGMENT CODES` once each decision
is committed: the reliability tests kill this process and check every acknowledged
decision survived, and run four at once to check that coders do not lock each other out.

Usage: python scripted_coder.py PROJECT CODER N [--adjudicate | --raw]
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from qualkit.agreement.adjudication import disagreements, settle
from qualkit.codebook.versions import project_codebook
from qualkit.coding.session import TaggingSession
from qualkit.model import CodingAction, CodingEvent
from qualkit.project import find


def main() -> None:
    root, coder, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    project = find(root)
    with project.open_store() as store:
        book = project_codebook(store, project)
        codes = [c.id for c in book.codes]
        if "--adjudicate" in sys.argv:
            for n, row in enumerate(disagreements(store, None, None, book).rows[:count]):
                picked = sorted(set().union(*row.codes))[: 1 + n % 2]
                settle(store, book, row.segment_id, picked, coder)
                print(f"ack {row.segment_id} {','.join(picked)}", flush=True)
            return
        if "--raw" in sys.argv:  # the store alone: four of these run at once
            for n, segment in enumerate(store.segments()[:count]):
                code = codes[n % len(codes)]
                event = CodingEvent(segment_id=segment.id, coder=coder,
                                    action=CodingAction.APPLY, code_id=code,
                                    codebook_version=book.version, origin="test:scripted",
                                    at=datetime.now(UTC))
                with store.transaction() as conn:  # one decision, one transaction
                    store.append_events(conn, [event])
                print(f"ack {segment.id} {code}", flush=True)
            return
        # the coding session behind `qualkit tag`, driven as the keys would drive it
        session = TaggingSession(store, book, coder)
        for n in range(count):
            segment = session.current
            code = codes[n % len(codes)]
            session.toggle(code)  # saved before it returns, as on screen
            print(f"ack {segment.id} {code}", flush=True)
            if not session.next():
                break

if __name__ == "__main__":
    main()
