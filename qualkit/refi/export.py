"""A qualkit project as a REFI-QDA project (.qdpx), for co-authors and reviewers who work
in NVivo, ATLAS.ti, MAXQDA, QualCoder or the ``qualitative-coding`` tool.

What goes where (the REFI-QDA 1.5 Project schema; ``docs/refi-qda.md`` has the table):

- each coder is a ``User``; each coding a ``Coding`` with that user as ``creatingUser``, so
  per-coder codings — what agreement needs — survive the trip;
- the active codebook is the ``CodeBook``, written by the same code as a .qdc export
  (themes as ``isCodable="false"`` parents, the definition first in ``Description``);
- each transcript is an internal UTF-8 text source, byte for byte the normalised text
  qualkit's offsets point into, so positions need no translation;
- each segment someone coded (or wrote a memo on) is one ``PlainTextSelection`` over the
  segment's span, holding a ``Coding`` per coder and code; its name is ``line:N`` (N the
  0-based line it starts on), the convention the ``qualitative-coding`` tool reads;
- participants are ``Case``\\s and their attributes ``VariableValue``\\s (transcript
  attributes are variable values of the source); memos are ``Note``\\s.

REFI-QDA has no place for turns, segment boundaries, "reviewed, none apply" or the
codebook's name, version label and unit, so those go in a ``qualkit.json`` member beside
``project.qde``. Other tools ignore it; qualkit reads it back so that a round trip is exact.
What cannot be carried at all (suggestions, quote marks, the history of the coding log)
is listed in :attr:`ExportResult.notes`.

Text is put into the XML by the XML library, which escapes it; nothing here logs it.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from qualkit import __version__
from qualkit.codebook.formats.qdc import code_guid, write_codes
from qualkit.decisions import fold
from qualkit.model import CodedSpan, CodingAction, NoteKind, Segment, Transcript
from qualkit.project import Project
from qualkit.refi.archive import SOURCES, write_archive
from qualkit.refi.positions import STANDARD, Convention, to_positions
from qualkit.refi.xml import NS, guid, tag
from qualkit.store import Store

SIDECAR = "qualkit.json"
SIDECAR_FORMAT = 1
CODEBOOK_KEYS = (("name", "name"), ("label", "version"), ("description", "description"),
                 ("unit", "unit"), ("authors", "authors"))
"""Codebook fields REFI-QDA cannot hold: (key in qualkit's content, key in a YAML file)."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    transcripts: int
    coders: int
    codes: int
    selections: int
    codings: int
    memos: int
    participants: int
    notes: tuple[str, ...] = ()
    """What the file does not carry, for the user to know."""


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def user_guid(coder: str) -> str:
    return guid("user", coder)


def source_guid(name: str) -> str:
    return guid("source", name)


def variable_guid(name: str) -> str:
    return guid("variable", name)


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
REPLACED = {"count": 0}


def xml_safe(text: str) -> str:
    """XML 1.0 cannot hold most control characters at all, escaped or not; a memo or an
    attribute holding one (pasted from a PDF, say) gets U+FFFD in its place, counted so the
    export can say so, rather than writing a file no tool can parse."""
    cleaned, count = _NOT_XML.subn("\ufffd", text)
    REPLACED["count"] += count
    return cleaned


def _sub(parent: ET.Element, name: str, attrs: Mapping[str, str] | None = None,
         text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag(name), {k: xml_safe(v) for k, v in
                                                (attrs or {}).items()})
    if text is not None:
        element.text = xml_safe(text)
    return element


def _when(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def _line_of(starts: list[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset) - 1


@dataclass(frozen=True)
class _State:
    """Current codings (renames carried over), memos, and when each code was applied."""

    codes: dict[tuple[str, int], frozenset[str]]
    applied_at: dict[tuple[str, int, str], datetime]
    memos: dict[tuple[str, int], str]
    dropped: dict[str, int]


def _state(store: Store, known: set[str], mapping: Mapping[str, str]) -> _State:
    events = store.events()
    applied_at: dict[tuple[str, int, str], datetime] = {}
    for event in events:
        if event.action is CodingAction.APPLY and event.code_id is not None:
            code = mapping.get(event.code_id, event.code_id)
            applied_at[(event.coder, event.segment_id, code)] = event.at
    codes: dict[tuple[str, int], frozenset[str]] = {}
    dropped: dict[str, int] = defaultdict(int)
    for key, coding in fold(events).items():
        current = frozenset(mapping.get(c, c) for c in coding.codes)
        for code in current - known:
            dropped[code] += 1
        codes[key] = current & known
    return _State(codes, applied_at, store.notes(NoteKind.MEMO), dict(dropped))


def _ranges(indices: Iterable[int]) -> list[list[int]]:
    """Sorted segment indices as [first, last] runs (a reviewed transcript is one run)."""
    runs: list[list[int]] = []
    for index in sorted(indices):
        if runs and runs[-1][1] == index - 1:
            runs[-1][1] = index
        else:
            runs.append([index, index])
    return runs


_Entry = tuple[str, str, datetime | None]  # coder, code, when it was applied
_Group = tuple[str, list[_Entry], list[tuple[str, str, int]]]
"""A selection's GUID key, its codings, and its memos (coder, text, segment index)."""


def _selections(transcript: Transcript, segments: list[Segment], coders: list[str],
                state: _State, spans: list[CodedSpan], mapping: Mapping[str, str],
                known: set[str], dropped: dict[str, int]
                ) -> list[tuple[tuple[int, int], _Group]]:
    """A transcript's selections in text order: the exact spans imported from another
    tool, then each segment coding no such span already carries, grouped by span.

    An imported span is written while its coder still has its code on a segment it
    touches (a code removed in qualkit removes the span too); a span over no segment (a
    label, a header) is always written. A memo goes on the span that starts in its
    segment, else on the segment's own selection."""
    ends = [s.end for s in segments]
    groups: dict[tuple[int, int], _Group] = {}
    covered: set[tuple[str, int, str]] = set()
    first_of: dict[tuple[str, int], tuple[int, int]] = {}
    for span in spans:
        code = mapping.get(span.code_id, span.code_id)
        if code not in known:
            dropped[code] += 1
            continue
        hit = _touching(segments, ends, span.start, span.end)
        if hit and not any(code in state.codes.get((span.coder, segments[i].id), ())
                           for i in hit):
            continue
        where = (span.start, span.end)
        group = groups.setdefault(where, (f"{span.start}-{span.end}", [], []))
        if (span.coder, code) not in {(c, k) for c, k, _ in group[1]}:
            group[1].append((span.coder, code, span.at))
        for i in hit:
            covered.add((span.coder, segments[i].id, code))
        if hit:
            first_of.setdefault((span.coder, hit[0]), where)
    for segment in segments:
        where = (segment.start, segment.end)
        for coder in coders:
            codes = state.codes.get((coder, segment.id), frozenset())
            for code in sorted(codes):
                if (coder, segment.id, code) in covered:
                    continue
                group = groups.setdefault(where, (str(segment.index), [], []))
                group[1].append((coder, code, state.applied_at.get((coder, segment.id, code))))
            memo = state.memos.get((coder, segment.id))
            if memo is not None:
                target = first_of.get((coder, segment.index), where)
                group = groups.setdefault(target, (str(segment.index), [], []))
                group[2].append((coder, memo, segment.index))
    return sorted(groups.items())


def _touching(segments: list[Segment], ends: list[int], start: int, end: int) -> list[int]:
    """Indices of the segments a span overlaps (the rule the import codes them by)."""
    found = []
    for i in range(bisect.bisect_right(ends, start), len(segments)):
        if segments[i].start >= max(end, start + 1):
            break
        found.append(i)
    return found


def build_project(store: Store, project: Project, positions: Convention = STANDARD
                  ) -> tuple[bytes, dict[str, bytes], ExportResult]:
    """project.qde, the other members (sources, qualkit.json) and the counts; the caller
    writes them. Reads the store only. ``positions``: how selection positions are
    counted (REFI's code points unless a tool reads another convention)."""
    from qualkit.codebook.versions import project_code_mapping, project_codebook

    book = project_codebook(store, project)
    content = store.codebook_content(book.version)
    assert content is not None  # project_codebook stored it
    known = {c.id for c in book.codes}
    mapping = project_code_mapping(store, book)
    state = _state(store, known, mapping)
    coders = store.coders()
    transcripts = store.transcripts()
    by_transcript: dict[int, list[Segment]] = defaultdict(list)
    for segment in store.segments():
        by_transcript[segment.transcript_id].append(segment)
    people = store.participants()
    notes: list[str] = []
    REPLACED["count"] = 0

    ET.register_namespace("", NS)
    root = ET.Element(tag("Project"), {"name": project.root.resolve().name,
                                       "origin": f"qualkit {__version__}"})
    if coders:
        users = _sub(root, "Users")
        for coder in coders:
            _sub(users, "User", {"guid": user_guid(coder), "name": coder})
    codebook = _sub(root, "CodeBook")
    write_codes(codebook, content, NS)

    variables = sorted({k for p in people.values() for k in p.attributes}
                       | {k for t in transcripts for k in t.attributes})
    if variables:
        holder = _sub(root, "Variables")
        for name in variables:
            _sub(holder, "Variable", {"guid": variable_guid(name), "name": name,
                                      "typeOfVariable": "Text"})
    speakers_in: dict[str, list[Transcript]] = defaultdict(list)
    for transcript in transcripts:
        for speaker in sorted({t.speaker for t in store.turns(transcript.id)}):
            speakers_in[speaker].append(transcript)
    if people:
        cases = _sub(root, "Cases")
        for name in sorted(people):
            case = _sub(cases, "Case", {"guid": guid("case", name), "name": name})
            _values(case, people[name].attributes)
            for transcript in speakers_in.get(name, []):
                _sub(case, "SourceRef", {"targetGUID": source_guid(transcript.name)})

    members: dict[str, bytes] = {}
    sidecar_sources: dict[str, Any] = {}
    memo_notes: list[tuple[str, str, str]] = []  # (note guid, coder, text)
    selections = codings = 0
    coded_codes: set[str] = set()
    if transcripts:
        sources = _sub(root, "Sources")
    dropped_spans: dict[str, int] = defaultdict(int)
    spans_of: dict[int, list[CodedSpan]] = defaultdict(list)
    for span in store.coded_spans():
        spans_of[span.transcript_id].append(span)
    for transcript in transcripts:
        sguid = source_guid(transcript.name)
        members[f"{SOURCES}/{sguid}.txt"] = transcript.text.encode("utf-8")
        source = _sub(sources, "TextSource", {"guid": sguid, "name": transcript.name,
                                              "plainTextPath": f"internal://{sguid}.txt"})
        starts = [0] + [i + 1 for i, ch in enumerate(transcript.text) if ch == "\n"]
        at_position = to_positions(transcript.text, positions)
        segments = by_transcript.get(transcript.id, [])
        reviewed: dict[str, list[int]] = defaultdict(list)
        for segment in segments:
            for coder in coders:
                if (coder, segment.id) in state.codes:
                    reviewed[coder].append(segment.index)
        groups = _selections(transcript, segments, coders, state,
                             spans_of.get(transcript.id, []), mapping, known, dropped_spans)
        for (start, end), (key, entries, memos) in groups:
            selections += 1
            selection = _sub(source, "PlainTextSelection", {
                "guid": guid("selection", transcript.name, key),
                "name": f"line:{_line_of(starts, start)}",
                "startPosition": str(at_position[start]),
                "endPosition": str(at_position[end])})
            for coder, code, at in entries:
                codings += 1
                coded_codes.add(code)
                attrs = {"guid": guid("coding", transcript.name, key, coder, code),
                         "creatingUser": user_guid(coder)}
                if at is not None:
                    attrs["creationDateTime"] = _when(at)
                coding = _sub(selection, "Coding", attrs)
                _sub(coding, "CodeRef", {"targetGUID": code_guid(content, code)})
            for coder, memo, index in memos:
                nguid = guid("memo", transcript.name, str(index), coder)
                _sub(selection, "NoteRef", {"targetGUID": nguid})
                memo_notes.append((nguid, coder, memo))
        _values(source, transcript.attributes)
        sidecar_sources[sguid] = {
            "name": transcript.name, "sha256": text_sha(transcript.text),
            "turns": [[t.speaker, t.start, t.end, t.timestamp]
                      for t in store.turns(transcript.id)],
            "segments": [[s.turn_index, s.start, s.end, s.speaker] for s in segments],
            "reviewed": {coder: _ranges(ix) for coder, ix in sorted(reviewed.items())}}
    if memo_notes:
        holder = _sub(root, "Notes")
        for nguid, coder, memo in memo_notes:
            note = _sub(holder, "Note", {"guid": nguid, "name": f"Memo by {coder}",
                                         "creatingUser": user_guid(coder)})
            _sub(note, "PlainTextContent", text=memo)

    if state.dropped:
        listed = ", ".join(f"`{c}` ({n})" for c, n in sorted(state.dropped.items()))
        notes.append(f"codings of code(s) no longer in the active codebook were left out: "
                     f"{listed}")
    if dropped_spans:
        listed = ", ".join(f"`{c}` ({n})" for c, n in sorted(dropped_spans.items()))
        notes.append(f"exact spans imported with code(s) no longer in the active codebook "
                     f"were left out: {listed}")
    if REPLACED["count"]:
        notes.append(f"{REPLACED['count']} control character(s) XML cannot hold were "
                     "replaced by U+FFFD in names, memos or attributes")
    quotes = store.notes(NoteKind.QUOTE)
    if quotes:
        notes.append(f"{len(quotes)} illustrative-quote mark(s) left out: REFI-QDA has no "
                     "place for them")
    notes.append("machine suggestions are not exported (they are not coding)")

    sidecar = {"format": SIDECAR_FORMAT, "qualkit": __version__,
               "positions": "utf16" if positions.utf16 else "characters",
               "codebook": {out: content[key] for key, out in CODEBOOK_KEYS if key in content},
               "sources": sidecar_sources}
    members[SIDECAR] = json.dumps(sidecar, ensure_ascii=False, indent=1).encode("utf-8")
    ET.indent(root, space=" ")
    qde = (b'<?xml version="1.0" encoding="utf-8"?>\n'
           + ET.tostring(root, encoding="utf-8", xml_declaration=False) + b"\n")
    result = ExportResult(path=Path(), transcripts=len(transcripts), coders=len(coders),
                          codes=len(book.codes), selections=selections, codings=codings,
                          memos=len(memo_notes), participants=len(people), notes=tuple(notes))
    return qde, members, result


def _values(parent: ET.Element, attributes: Mapping[str, str]) -> None:
    for name, value in attributes.items():
        holder = _sub(parent, "VariableValue")
        _sub(holder, "VariableRef", {"targetGUID": variable_guid(name)})
        _sub(holder, "TextValue", text=str(value))


def export_qdpx(store: Store, project: Project, path: Path,
                positions: Convention = STANDARD) -> ExportResult:
    """Write the project to ``path`` (atomically) and say what it holds and left out."""
    from dataclasses import replace

    from qualkit.errors import QualkitError

    if path.suffix.lower() != ".qdpx":
        raise QualkitError(f"{path}: a REFI-QDA project file ends in .qdpx; name it "
                           f"{path.with_suffix('.qdpx').name}")
    qde, members, result = build_project(store, project, positions)
    try:
        write_archive(path, qde, members)
    except OSError as exc:
        from qualkit.errors import FileError

        raise FileError(path, f"cannot be written ({exc.strerror})") from None
    return replace(result, path=path)
