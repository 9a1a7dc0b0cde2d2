"""The privacy gate on the published transcripts in ``../shared/realdata``.

``python -m benchmarks.privacy_realdata [--show]`` converts the PDPilot interviews (text),
the QMSum Welsh committee meetings (JSON turns), the AnnoMI counselling sessions and the
NCTE classroom exchanges (CSV rows) into transcript files in a temporary folder (nothing is
copied into the repository), runs the gate on them with and without a participants list
of the corpora's role labels, and prints findings per kind and what a pseudonymise dry run
would change. ``--show`` also prints each text finding with a little masked context, for
judging by eye on the terminal. It says so and stops when the folder is not there.
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
ROLES = ("Participant", "Therapist", "Client", "Teacher", "Student")


def _write_corpora(root: Path) -> dict[str, list[Path]]:
    corpora: dict[str, list[Path]] = defaultdict(list)
    for path in sorted((REALDATA / "pdpilot_interviews_maxqda" / "transcripts_txt").glob("*.txt")):
        target = root / "pdpilot" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
        corpora["pdpilot"].append(target)
    for path in sorted((REALDATA / "qmsum_welsh_education_committee" / "json").glob("*.json")):
        turns = json.loads(path.read_text(encoding="utf-8"))["meeting_transcripts"]
        target = root / "qmsum" / f"{path.stem}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(f"{t['speaker']}: {t['content']}\n\n" for t in turns),
                          encoding="utf-8")
        corpora["qmsum"].append(target)
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    with (REALDATA / "annomi" / "AnnoMI-simple.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows[row["transcript_id"]].append(row)
    for tid, turns in rows.items():
        target = root / "annomi" / f"annomi_{int(tid):03d}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(f"[{r['timestamp']}] {r['interlocutor'].capitalize()}: "
                                  f"{r['utterance_text']}\n\n" for r in turns),
                          encoding="utf-8")
        corpora["annomi"].append(target)
    rows = defaultdict(list)
    with (REALDATA / "ncte_uptake" / "uptake_data.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows[row["obs_id"]].append(row)
    target = root / "ncte" / "ncte_exchanges.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(f"Student: {r['student_text']}\n\nTeacher: {r['teacher_text']}\n\n"
                              for turns in rows.values() for r in turns), encoding="utf-8")
    corpora["ncte"].append(target)
    return corpora


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not REALDATA.is_dir():
        print(f"{REALDATA} is not there: nothing to measure.")
        return 0
    from qualkit.gate.scan import Scanner
    from qualkit.ingest.formats import read_source
    from qualkit.ingest.source import ReadOptions
    from qualkit.privacy.key import Key
    from qualkit.privacy.plan import make_plan, mask

    print("| corpus | files | words | participants list | findings by kind | labels a dry "
          "run would change | words it would change |")
    print("|---|--:|--:|---|---|--:|--:|")
    with tempfile.TemporaryDirectory() as tmp:
        corpora = _write_corpora(Path(tmp))
        for name, paths in corpora.items():
            for participants in ((), ROLES):
                scanner = Scanner(participants=participants)
                kinds: Counter[str] = Counter()
                words = 0
                for path in paths:
                    source = read_source(path, ReadOptions())
                    words += len(source.text.split())
                    for hit in scanner.hits(source.text, source.turns, source.labelled):
                        kinds[hit.kind.value] += 1
                        shown = hit.kind.value != "unknown_speaker"
                        if "--show" in argv and participants and shown:
                            start, end = max(0, hit.start - 40), hit.end + 40
                            context = (source.text[start:hit.start] + f"[{hit.kind.value}: "
                                       f"{mask(source.text[hit.start:hit.end])}]"
                                       + source.text[hit.end:end])
                            print(f"  {path.name}: {' '.join(context.split())}",
                                  file=sys.stderr)
                plan = make_plan(paths, Path(tmp) / "out", Key(Path(tmp) / "key.csv"),
                                 scanner)
                found = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "none"
                listed = "roles" if participants else "none"
                print(f"| {name} | {len(paths)} | {words:,} | {listed} | {found} | "
                      f"{plan.labels} | {plan.words_changed} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
