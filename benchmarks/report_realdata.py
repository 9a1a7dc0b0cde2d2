"""Read a report as an author would, on a real coded interview study (issue 23).

Builds a project in a temporary folder from ../shared/realdata/pdpilot_interviews_maxqda
(7 interviews as text, a MAXQDA code system and its coded-segments export), records the
coded segments as one coder's codings file (placed in the transcript's own words, as the
PDF's text differs; then ``qualkit run``), and prints what an author checks: coded
passages against segments, quotes (reused? rule? length?), sources, the methods
paragraph. Runs only where ../shared/realdata exists; says so otherwise.

    .venv/bin/python benchmarks/report_realdata.py [--keep DIR]
"""

from __future__ import annotations

import csv
import re
import shutil
import sys
import tempfile
from pathlib import Path

REAL = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "pdpilot_interviews_maxqda"


def _place(quote: str, text: str) -> str | None:
    """The transcript's own words for a quote whose text came out of a PDF (hyphens,
    line breaks and dropped characters differ): matched on letters and digits only, by
    its first and last 30 of them."""
    keep = [(i, ch.lower()) for i, ch in enumerate(text) if ch.isalnum()]
    flat = "".join(ch for _, ch in keep)
    want = "".join(ch.lower() for ch in quote if ch.isalnum())
    if len(want) < 10:
        return None
    head, tail = want[:30], want[-30:]
    start = flat.find(head)
    if start < 0:
        return None
    end = flat.find(tail, start)
    if end < 0 or end - start > 2 * len(want):
        return None
    first, last = keep[start][0], keep[end + len(tail) - 1][0] + 1
    return " ".join(text[first:last].split())


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40] or "code"


def _segments(codes: list[str]) -> list[tuple[str, str, str, str]]:
    """(document, parent, child, text) from the coded-segments export."""
    text = (REAL / "coded-segments.txt").read_text(encoding="utf-8")
    start = re.compile(r"^(P\d) (.+?) > ")
    found: list[list[str]] = []
    for line in text.splitlines()[2:]:
        head = start.match(line)
        if head:
            rest = line[head.end():]
            child = next((c for c in sorted(codes, key=len, reverse=True)
                          if rest.startswith(c + " ") or rest == c), None)
            if child is not None:
                found.append([head.group(1), head.group(2), child, rest[len(child):].strip()])
                continue
        if found:
            found[-1][3] += " " + line.strip()
    return [tuple(f) for f in found]  # type: ignore[misc]


def build(root: Path) -> None:
    from qualkit.cli.app import main

    for folder in ("transcripts", "codebooks", "codings", "exports"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for path in sorted((REAL / "transcripts_txt").glob("*.txt")):
        shutil.copy(path, root / "transcripts" / path.name)
    # What a user writes once: the interviewer is the moderator (qualkit cannot know "Dan"),
    # and P5's transcript misspells its interviewee once.
    (root / "transcripts" / "participants.csv").write_text(
        "participant,role\nDan,moderator\nParticipant,interviewee\n"
        "Particpant,interviewee\n", encoding="utf-8")
    system = (REAL / "code-system.txt").read_text(encoding="utf-8").splitlines()[3:]
    parents = {"Explainability purposes", "Explainability techniques", "PDP/ICE",
               "Which features to look at", "PDPilot General Usage"}
    tree: dict[str, list[str]] = {}
    current = ""
    for line in system:
        name = re.sub(r"\s+\d+$", "", line).strip()
        parent = next((p for p in parents if name.startswith(p)), None)
        if parent:
            current = parent
            tree[current] = []
            continue
        if current and name:
            tree[current].append(name)
    segments = _segments([c for cs in tree.values() for c in cs])
    # Parents met in the export but not listed above join the tree as they come.
    for _, parent, child, _ in segments:
        tree.setdefault(parent, [])
        if child not in tree[parent]:
            tree[parent].append(child)
    ids: dict[tuple[str, str], str] = {}
    lines = ["name: PDPilot user study", "unit: sentence", "themes:"]
    for parent, children in tree.items():
        lines += [f"  - id: {_slug(parent)}_theme", f"    name: {parent!r}", "    codes:"]
        for child in children:
            code = _slug(child)
            while code in ids.values():
                code += "_"
            ids[(parent, child)] = code
            words = ", ".join(repr(w) for w in child.lower().split()[:2])
            lines += [f"      - id: {code}", f"        name: {child!r}",
                      "        definition: 'From the MAXQDA code system.'",
                      f"        keywords: [{words}]"]
    (root / "codebooks" / "pdpilot.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with (root / "codings" / "team.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["transcript", "speaker", "quote", "codes", "memo"])
        texts = {p.stem: p.read_text(encoding="utf-8")
                 for p in (root / "transcripts").glob("*.txt")}
        placed = 0
        for doc, parent, child, text in segments:
            quote = _place(text, texts[doc]) if (parent, child) in ids else None
            if quote:
                placed += 1
                writer.writerow([doc, "", quote, ids[(parent, child)], ""])
        print(f"coded segments in the export: {len(segments)}, placed: {placed}")
    for args in (["run", "-p", str(root), "-q"],):
        try:
            main(args)
        except SystemExit as done:
            if done.code:
                print(f"qualkit {' '.join(args)} exited {done.code}")


def read(root: Path) -> None:
    exports = root / "exports"
    with (exports / "theme_table.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with (exports / "quotes.csv").open(encoding="utf-8") as handle:
        quotes = list(csv.DictReader(handle))
    coded = [r for r in rows if int(r["segments"])]
    passages = sum(int(r["passages"]) for r in rows)
    print(f"codes {len(rows)}, coded {len(coded)}; passages {passages}, "
          f"segments {sum(int(r['segments']) for r in rows)}")
    ratio = max(coded, key=lambda r: int(r["segments"]) / int(r["passages"]))
    print(f"largest segments/passage: {ratio['code']}: {ratio['segments']} segments, "
          f"{ratio['passages']} passages")
    texts = [q["quote"] for q in quotes]
    print(f"quotes {len(quotes)}, distinct {len(set(texts))}; rules: "
          + ", ".join(f"{r.split(':')[0]}{':' + r.split(':')[1][:20] if ':' in r else ''}"
                      f" {sum(q['chosen'] == r for q in quotes)}"
                      for r in sorted({q['chosen'] for q in quotes})))
    words = sorted(len(t.replace("…", "").split()) for t in texts)
    if words:
        print(f"quote words: min {words[0]}, median {words[len(words) // 2]}, max {words[-1]}; "
              f"trimmed {sum('…' in t for t in texts)}")
    print("sources:", sorted({q["source"] for q in quotes})[:8])
    markdown = (exports / "report.md").read_text(encoding="utf-8")
    print(markdown[markdown.index("## Methods"):markdown.index("## Coder:")].strip())


def main() -> int:
    if not REAL.exists():
        print(f"{REAL} is not here: nothing to measure (this script reads real data only).")
        return 0
    keep = Path(sys.argv[2]) if sys.argv[1:2] == ["--keep"] else None
    root = keep or Path(tempfile.mkdtemp(prefix="qualkit-pdpilot-"))
    try:
        build(root)
        read(root)
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
