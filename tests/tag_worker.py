"""A scripted coding session in its own process, for the kill and concurrency tests.

``python tests/tag_worker.py PROJECT CODER PRESSES`` drives the real terminal UI headless,
pressing 1, 2, 3 in turn (each toggles a code: one decision), and after each press prints
the coder's state as the UI knows it: a decision is in that state only once committed, so
each line is an acknowledgement.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from pathlib import Path

from qualkit.codebook.versions import active_codebook
from qualkit.coding.session import TaggingSession
from qualkit.coding.tui import TaggingApp
from qualkit.store import open_store


async def main(project: Path, coder: str, presses: int) -> None:
    store = open_store(project / "qualkit.db")
    book = active_codebook(store)
    assert book is not None
    session = TaggingSession(store, book, coder)
    app = TaggingApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        for key in itertools.islice(itertools.cycle("123"), presses):
            await pilot.press(key)
            if app.message.startswith("Not saved"):
                print("ERROR " + app.message, flush=True)
            state = {str(k): sorted(v) for k, v in session._raw.items()}
            print(json.dumps(state), flush=True)
        await pilot.press("q")
    print("DONE", flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
