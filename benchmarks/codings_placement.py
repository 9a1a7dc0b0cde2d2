"""How many of a published study's coded passages ``qualkit codings import`` places.

Measures on the PDPilot user study (Kerrigan et al.; BSD-3-Clause): seven interview
transcripts and the MAXQDA "coded segments" report of their coding, both as text extracted
from the published PDFs. The report is turned back into the table MAXQDA exports (Document
name, Code, Segment), imported into a throw-away project with ``--partial --new-codes``, and
the placements are counted by rule, with every refused row's reason.

Run: ``python -m benchmarks.codings_placement [DATA_DIR] [--learn]`` (default
``/work/shared/realdata/pdpilot_interviews_maxqda``). Without the data it says so and exits
0: the data is not part of the repository.

``--learn`` then scores the learned suggester on the imported coding, as ``qualkit suggest
--evaluate --coder authors --learn --train-share 0.5`` would (seven interviews: half of
them to train on, the rest to score): a published coding with dozens of inductive codes,
each given to a handful of passages, the case where a learner should mostly abstain.
"""

from __future__ import annotations

import csv
import itertools
import re
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

DEFAULT = Path("/work/shared/realdata/pdpilot_interviews_maxqda")
ROW = re.compile(r"^(P\d+) ", re.M)
CODEBOOK = """\
name: PDPilot benchmark
version: 1
unit: sentence
themes:
  - id: placeholder
    name: Placeholder
    codes:
      - id: placeholder_code
        name: Placeholder code
"""


def code_names(code_system: str) -> list[str]:
    """Every prefix of every line of the code-system report: the name is one of them (the
    report puts a code's memo and frequency after its name on the same line)."""
    names: set[str] = set()
    for line in code_system.splitlines()[3:]:
        words = re.sub(r"\s+\d+$", "", line.strip()).split()
        names.update(" ".join(words[:n]) for n in range(1, len(words) + 1))
    return sorted(names, key=len, reverse=True)


def coded_segments(report: str, names: list[str]) -> list[tuple[str, str, str]]:
    """(document, code path as ``Parent\\Child``, segment) for each row of the report."""
    starts = [m.start() for m in ROW.finditer(report)] + [len(report)]
    rows = []
    for a, b in itertools.pairwise(starts):
        chunk = report[a:b].rstrip("\n")
        document, rest = chunk.split(" ", 1)
        flat = re.sub(r"\s+", " ", rest)
        path: list[str] = []
        while True:
            name = next((n for n in names if flat.startswith(n + " ")), None)
            if name is None:
                break
            path.append(name)
            flat = flat[len(name) + 1:]
            if not flat.startswith("> "):
                break
            flat = flat[2:]
        # The segment keeps its own line breaks: find where it starts in the chunk.
        words = flat.split()
        head = re.escape(words[0]) if words else ""
        found = re.search(r"(?<!\S)" + head, rest[len(" ".join(path)):]) if head else None
        segment = rest[len(" ".join(path)) + found.start():] if found else flat
        rows.append((document, "\\".join(path), segment.strip()))
    return rows


def main(argv: list[str]) -> int:
    learn = "--learn" in argv
    argv = [a for a in argv if a != "--learn"]
    data = Path(argv[0]) if argv else DEFAULT
    if not (data / "coded-segments.txt").is_file():
        print(f"{data}: no coded-segments.txt; this benchmark needs the PDPilot data "
              "(see the module docstring) and was skipped.")
        return 0
    from qualkit.codebook.versions import project_codebook
    from qualkit.coding.codings_file import import_codings_file
    from qualkit.ingest.importer import import_transcripts
    from qualkit.project import find

    names = code_names((data / "code-system.txt").read_text(encoding="utf-8"))
    rows = coded_segments((data / "coded-segments.txt").read_text(encoding="utf-8"), names)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "study"
        for folder in ("codebooks", "transcripts", "codings", "exports"):
            (root / folder).mkdir(parents=True)
        for path in sorted((data / "transcripts_txt").glob("*.txt")):
            shutil.copy(path, root / "transcripts" / path.name)
        (root / "codebooks" / "pdpilot.yaml").write_text(CODEBOOK, encoding="utf-8")
        table = root / "codings" / "maxqda.csv"
        with table.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["Color", "Document group", "Document name", "Code", "Begin",
                             "End", "Weight score", "Segment", "Comment"])
            for document, code, segment in rows:
                writer.writerow(["", "", document, code, "", "", "0", segment, ""])
        project = find(root)
        with project.open_store() as store:
            book = project_codebook(store, project)
            import_transcripts(store, project, unit=book.unit)
            result = import_codings_file(store, project, table, book, "authors",
                                         partial=True, new_codes=True)
            refused = [(r.line, r.reason) for r in result.refused]
            learned = _learned(store, project_codebook(store, project)) if learn else None
    placed = sum(result.placed.values())
    print(f"Read {len(rows)} coded segments of {data.name} as {result.format}.")
    print("\n| rule | rows | share |\n|---|--:|--:|")
    for rule, n in sorted(result.placed.items(), key=lambda kv: -kv[1]):
        print(f"| {rule} | {n} | {n / len(rows):.1%} |")
    print(f"| **placed** | **{placed}** | **{placed / len(rows):.1%}** |")
    print(f"| refused | {len(refused)} | {len(refused) / len(rows):.1%} |")
    if result.approximate:
        scores = Counter("100" if s >= 100 else f"{int(s) // 5 * 5}-{int(s) // 5 * 5 + 4}"
                         for _, s in result.approximate)
        print("\nAnchored and approximate placements by score: "
              + ", ".join(f"{k}: {v}" for k, v in sorted(scores.items())))
    print(f"\nNew inductive codes: {len(result.new_codes)}")
    for line, reason in refused:
        print(f"- line {line}: {reason}")
    if learned:
        print(learned)
    return 0


def _learned(store, book) -> str:  # type: ignore[no-untyped-def]
    """The learned suggester on the authors' coding, trained on half of the interviews."""
    from qualkit.suggest.engine import suggest_project
    from qualkit.suggest.learn_eval import evaluate_learned

    suggest_project(store, book)
    result = evaluate_learned(store, book, "authors", train_share=0.5, seed=0).as_dict()
    learned = result["learned"]
    overall, train = learned["overall"], learned["train"]
    scored = {c: v for c, v in learned["per_code"].items() if v.get("support")}
    found = sorted((v["f1"], c) for c, v in scored.items() if v.get("f1"))
    return (f"\nLearned, trained on {train['transcripts']} interviews ({train['decisions']} "
            f"decisions), scored on {learned['test']['transcripts']}: precision "
            f"{overall['precision']}, recall {overall['recall']}, F1 {overall['f1']} "
            f"({overall['support']} coded segments); {len(learned['abstaining'])} of "
            f"{len(learned['per_code'])} codes abstain; codes found: "
            + (", ".join(f"{c} {f:.3f}" for f, c in reversed(found)) or "none"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
