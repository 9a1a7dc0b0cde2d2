"""How qualkit reads real, published transcripts: turns and speakers expected vs read.

    python -m benchmarks.realdata_transcripts [--realdata DIR] [--all]

Reads the public data in ``../shared/realdata`` (or ``--realdata``; nothing in it is
copied into the project) and prints one Markdown row per file: the turns and speakers the
source's own structure says it has, and what ``read_source`` made of it (or the refusal).
Sources that are not text files of one transcript are converted into a temporary folder
first, in several label styles a researcher might receive:

- the PDF interviews of ``pdpilot_interviews_maxqda`` and their text extraction
  (expected: the `Dan:` / `Participant:` label lines, counted with a regular expression);
- QMSum's committee meetings (JSON turns) written as ``Name: talk``, as
  ``00:19 NAME:`` with the talk below, and as Otter-like ``Name  0:04`` headers;
- AnnoMI's counselling sessions (rows) written as ``therapist: talk`` (lower case; each
  labelled line a turn) and as a CSV per session (consecutive rows of one speaker are one
  turn);
- the 2012 debates CSVs (sentence rows and unsplit turns).

When the folder is missing it says so and measures nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "realdata"
QMSUM_FILES = 6
ANNOMI_SESSIONS = 6
"""Rows printed for these two corpora (``--all``: every meeting and session)."""


def _read(path: Path) -> tuple[int, int, str]:
    from qualkit.errors import QualkitError
    from qualkit.ingest.formats import read_source

    try:
        source = read_source(path)
    except QualkitError as err:
        return 0, 0, "refused: " + str(err).split(": ", 2)[-1][:70]
    note = "; ".join(c.what.split(";")[0] for c in source.concerns)
    return len(source.turns), len({t.speaker for t in source.turns}), note


def _runs(speakers: list[str]) -> int:
    """Turns when consecutive talk of one speaker is one turn."""
    return sum(1 for i, s in enumerate(speakers) if i == 0 or s != speakers[i - 1])


def pdpilot(root: Path) -> Iterator[tuple[str, int, int, Path]]:
    folder = root / "pdpilot_interviews_maxqda"
    label = re.compile(r"^(Dan|Participant|Particpant):\s*$", re.MULTILINE)
    for txt in sorted((folder / "transcripts_txt").glob("*.txt")):
        labels = label.findall(txt.read_text(encoding="utf-8"))
        expected = (len(labels), len(set(labels)))
        yield f"pdpilot {txt.name}", *expected, txt
        pdf = folder / "transcripts_pdf" / f"{txt.stem}.pdf"
        if pdf.is_file():
            yield f"pdpilot {pdf.name}", *expected, pdf


def qmsum(root: Path, out: Path, limit: int | None) -> Iterator[tuple[str, int, int, Path]]:
    files = sorted((root / "qmsum_welsh_education_committee" / "json").glob("*.json"))
    for path in files[:limit]:
        turns = [t for t in json.loads(path.read_text(encoding="utf-8"))["meeting_transcripts"]
                 if t["content"].strip()]
        # Each entry is written with its label, so each is a turn (two labelled turns of
        # one speaker in a row stay two: a turn's offsets never span a label).
        expected = (len(turns), len({t["speaker"] for t in turns}))
        styles = {
            "colon": lambda i, t: f"{t['speaker']}: {t['content']}\n",
            "time-caps-below": lambda i, t: (f"{i // 60:02d}:{i % 60:02d} "
                                             f"{t['speaker'].upper()}:\n{t['content']}\n"),
            "otter-header": lambda i, t: f"{t['speaker']}  {i // 60}:{i % 60:02d}\n"
                                         f"{t['content']}\n\n",
        }
        for style, render in styles.items():
            target = out / f"{path.stem}-{style}.txt"
            target.write_text("".join(render(i, t) for i, t in enumerate(turns)),
                              encoding="utf-8")
            yield f"qmsum {path.stem} ({style})", *expected, target


def annomi(root: Path, out: Path, limit: int | None) -> Iterator[tuple[str, int, int, Path]]:
    sessions: dict[str, list[dict[str, str]]] = {}
    with (root / "annomi" / "AnnoMI-simple.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["utterance_text"].strip():
                sessions.setdefault(row["transcript_id"], []).append(row)
    for tid in sorted(sessions, key=int)[:limit]:
        rows = sessions[tid]
        speakers = [r["interlocutor"] for r in rows]
        text = out / f"annomi-{tid}.txt"
        text.write_text("".join(f"{r['interlocutor']}: {r['utterance_text']}\n" for r in rows),
                        encoding="utf-8")
        yield f"annomi {tid} (lower-case labels)", len(rows), len(set(speakers)), text
        table = out / f"annomi-{tid}.csv"
        with table.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["utterance_id", "interlocutor", "timestamp", "utterance_text"])
            writer.writerows([r["utterance_id"], r["interlocutor"], r["timestamp"],
                              r["utterance_text"]] for r in rows)
        yield f"annomi {tid} (csv)", _runs(speakers), len(set(speakers)), table


def debates(root: Path) -> Iterator[tuple[str, int, int, Path]]:
    folder = root / "qdap_pres_debates2012"
    for name in ("pres_debate_raw2012.csv", "pres_debates2012.csv"):
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            rows = [r for r in csv.DictReader(handle) if r["dialogue"].strip()]
        speakers = [r["person"] for r in rows]
        yield f"debates {name}", _runs(speakers), len(set(speakers)), folder / name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realdata", type=Path, default=DEFAULT)
    parser.add_argument("--all", action="store_true",
                        help="every QMSum meeting and AnnoMI session, not the first six")
    args = parser.parse_args(argv)
    root: Path = args.realdata
    if not root.is_dir():
        print(f"{root}: no real data here; nothing measured (pass --realdata DIR)")
        return 0
    print("| file | turns expected | turns read | speakers expected | speakers read | note |")
    print("|---|--:|--:|--:|--:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        cases = [*pdpilot(root),
                 *qmsum(root, out, None if args.all else QMSUM_FILES),
                 *annomi(root, out, None if args.all else ANNOMI_SESSIONS), *debates(root)]
        for name, turns, speakers, path in cases:
            got_turns, got_speakers, note = _read(path)
            print(f"| {name} | {turns} | {got_turns} | {speakers} | {got_speakers} | {note} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
