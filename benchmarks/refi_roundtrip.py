"""``python -m benchmarks.refi_roundtrip``: how many codings of a REFI-QDA project from
NVivo, ATLAS.ti, MAXQDA or QualCoder cover the same text, under the same code, by the
same user, after qualkit imports it and exports it again (and once more).

Two kinds of project (``benchmarks/qdpx_tools.py`` writes each as every tool does):

- the NVivo-like study of issue 20, generated: 2 sources (a focus group with emoji,
  decomposed accents and astral CJK; a table exported one field per line), 152 codes,
  303 codings by 2 users, a fifth of them on labels, headers or several lines;
- when ``../shared/realdata/pdpilot_interviews_maxqda`` is there (it is not part of the
  repository): its 7 real interview transcripts with the real MAXQDA coded segments
  placed where their text is, written as MAXQDA and as NVivo would. Nothing of it is
  copied anywhere; the script says so when the folder is missing.

"exact" counts a coding kept when the re-exported file has a coding of the same source,
user and code over exactly the same text; "covering" when its text contains the original.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from benchmarks.qdpx_tools import TOOLS, Code, Coding, Project, codings_in, expected, write
from benchmarks.qdpx_tools import nvivo_study as make_study

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
PDPILOT = "pdpilot_interviews_maxqda"


def round_trip(path: Path, work: Path) -> tuple[Path, Path]:
    """import -> export -> import -> export with qualkit's library; both exports."""
    from qualkit import project as projects
    from qualkit.refi.export import export_qdpx
    from qualkit.refi.import_ import import_into, import_qdpx

    outs = []
    for step in ("one", "two"):
        root = work / step
        import_into(root, path, lambda store, project, p=path: import_qdpx(
            store, project, p, allow_pii=True, ner=None))
        project = projects.find(root)
        out = work / f"{step}.qdpx"
        with project.open_store() as store:
            export_qdpx(store, project, out)
        outs.append(out)
        path = out
    return outs[0], outs[1]


def scores(project: Project, exported: Path) -> tuple[int, int, int]:
    """(exact, covering, all) codings of ``project`` found again in ``exported``."""
    want, have = expected(project), codings_in(exported)
    exact = sum(min(n, have[key]) for key, n in want.items())
    by_owner: dict[tuple[str, str, str], list[str]] = {}
    for (source, user, code, text), n in have.items():
        by_owner.setdefault((source, user, code), []).extend([text] * n)
    covering = sum(n for (source, user, code, text), n in want.items()
                   if any(text in t for t in by_owner.get((source, user, code), [])))
    return exact, covering, sum(want.values())


def pdpilot(folder: Path) -> tuple[Project, int]:
    """The real interviews with their MAXQDA coded segments placed on their text; and how
    many segments could not be placed (their PDF-extracted text differs)."""
    texts = {p.stem: p.read_text(encoding="utf-8") for p in
             sorted((folder / "transcripts_txt").glob("*.txt"))}
    flat: dict[str, tuple[str, list[int]]] = {}
    for name, text in texts.items():
        chars, where = [], []
        for i, ch in enumerate(text):
            if ch.isspace():
                if chars and chars[-1] == " ":
                    continue
                ch = " "
            chars.append(ch)
            where.append(i)
        where.append(len(text))
        flat[name] = ("".join(chars), where)
    rows = re.split(r"\n(?=P\d+ )", (folder / "coded-segments.txt").read_text(
        encoding="utf-8").split("\n", 2)[2])
    names = list(texts)
    tree: dict[str, list[str]] = {}
    codings: list[Coding] = []
    missed = 0
    for row in rows:
        head = re.match(r"(P\d+) (.+?) > ", row)
        if not head or head[1] not in flat:
            missed += 1
            continue
        rest = " ".join(row[head.end():].split())
        haystack, where = flat[head[1]]
        placed = False
        for cut in (m.start() for m in re.finditer(" ", rest)):
            code, quote = rest[:cut], rest[cut + 1:]
            at = haystack.find(quote)
            if at >= 0:
                start, end = where[at], where[at + len(quote) - 1] + 1
                tree.setdefault(head[2], [])
                if code not in tree[head[2]]:
                    tree[head[2]].append(code)
                codings.append(Coding(names.index(head[1]), start, end, code, "PDPilot team"))
                placed = True
                break
        missed += not placed
    codes = [Code(parent, children=[Code(c) for c in children])
             for parent, children in tree.items()]
    return Project([(n, texts[n]) for n in names], codes, codings, ["PDPilot team"]), missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--realdata", type=Path, default=REALDATA)
    args = parser.parse_args(argv)
    cases: list[tuple[str, Project]] = [("NVivo-like study (152 codes, 303 codings)",
                                         make_study())]
    folder = args.realdata / PDPILOT
    if folder.is_dir():
        real, missed = pdpilot(folder)
        print(f"{folder}: {len(real.codings)} coded segments placed on their transcript, "
              f"{missed} not found in the transcript text (PDF extraction differs)")
        cases.append((f"PDPilot interviews ({len(real.codings)} real MAXQDA codings)", real))
    else:
        print(f"{folder} is not there: the real-data row is skipped (it is never part of "
              "the repository)")
    print()
    print("| project | written as | exact after 1 trip | covering | exact after 2 trips |")
    print("|---|---|--:|--:|--:|")
    with tempfile.TemporaryDirectory() as tmp:
        for label, project in cases:
            for tool in TOOLS:
                if label.startswith("PDPilot") and tool not in ("maxqda", "nvivo"):
                    continue
                work = Path(tmp, f"{len(label)}-{tool}")
                work.mkdir()
                one, two = round_trip(write(project, tool, work / "in.qdpx"), work)
                exact, covering, total = scores(project, one)
                again = scores(project, two)[0]
                print(f"| {label} | {TOOLS[tool].origin} | {exact}/{total} "
                      f"({100 * exact / total:.1f} %) | {covering}/{total} | "
                      f"{again}/{total} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
