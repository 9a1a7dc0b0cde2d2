"""The spreadsheet round trip: ``qualkit sheet export`` and ``qualkit sheet import``.

For coders who work in Excel. The sheet has one row per segment and one column per code,
where a coder types ``x`` (Excel offers it from a drop-down and refuses anything else).
Everything that identifies a row travels with it: the segment id and a hash of the
segment's text. So sorting, filtering or hiding rows is harmless, while an edited text, a
column sorted on its own or a row pasted from another project is caught.

Import checks every cell before anything is recorded, and records all of it in one
transaction or nothing (``--partial`` applies the valid rows and lists the others).
Problems name the row, the column and the segment id, never the text: error messages end
up in e-mails and bug reports.

A row with nothing marked leaves the segment as it was: an untouched row is not a "no".

The adjudication sheet (``qualkit adjudicate --sheet``) is the consensus coder's sheet over
the disagreements only, with one grey reference column per coder (header ``codes: NAME``)
that import ignores: the coders' codes are there to read, not to edit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qualkit import __version__
from qualkit.decisions import diff
from qualkit.errors import FileError, NotFoundError, ProblemsError, QualkitError, did_you_mean
from qualkit.fileio import FORMULA_START, replacing, safe_cell
from qualkit.model import Codebook, CodingEvent, NoteKind, Segment, SegmentNote
from qualkit.store import Store

__all__ = ["ExportResult", "ImportResult", "SheetError", "export_sheet", "import_sheet",
           "text_hash"]

SHEET = "coding"
CODES_SHEET = "codes"
META_SHEET = "_qualkit"
FORMAT = "1"
FIXED = ("segment_id", "text_hash", "transcript", "position", "speaker", "context", "text",
         "suggested", "none_apply")
TRAILING = ("quote", "memo")
REQUIRED = ("segment_id", "text_hash", "text")
MARK = "x"
REFERENCE_PREFIX = "codes: "  # a read-only column of another coder's codes; import skips it
YES = {"x", "1", "yes", "y", "true", "✓", "✔"}
CONTEXT_CHARS = 200


def text_hash(text: str) -> str:
    """What identifies a segment's text in a sheet (16 hex digits of its SHA-256)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


SheetError = ProblemsError  # the name the sheet round trip has always used


@dataclass(frozen=True)
class ExportResult:
    rows: int
    decided: int


@dataclass(frozen=True)
class ImportResult:
    rows_applied: int  # rows with a decision (codes or none_apply marked)
    events: int
    notes: int
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)
    meta: Mapping[str, str] = field(default_factory=dict)  # the sheet's hidden _qualkit keys


# -- export ---------------------------------------------------------------------------


def _save_beside(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file renamed over ``path``, so an interrupted export never
    leaves a half-written workbook where a good one was."""
    with replacing(path) as tmp:
        write(tmp)


def _context(previous: Segment | None, seg: Segment) -> str:
    if previous is None or previous.transcript_id != seg.transcript_id:
        return ""
    text = previous.text
    if len(text) > CONTEXT_CHARS:
        text = "… " + text[-CONTEXT_CHARS:].split(" ", 1)[-1]
    return f"{previous.speaker}: {text}"


def export_sheet(store: Store, codebook: Codebook, coder: str, path: Path,
                 transcript: str | None = None, *,
                 segment_ids: Collection[int] | None = None,
                 reference: Mapping[str, Mapping[int, str]] | None = None,
                 extra_meta: Mapping[str, str] | None = None) -> ExportResult:
    """Write ``coder``'s sheet: every segment (or one transcript's) with the coder's own
    current decisions filled in (blind: nobody else's), and the suggestions as a hint.

    For adjudication: ``segment_ids`` keeps only those segments, ``reference`` adds a grey
    column ``codes: NAME`` per entry (segment id to the text shown), which import skips,
    and ``extra_meta`` adds keys to the hidden sheet."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    if not coder.strip():
        raise QualkitError("--coder needs a name")
    if path.suffix.lower() != ".xlsx":
        raise QualkitError(f"{path}: the sheet must be an .xlsx file; name it {path.stem}.xlsx")
    names = {t.id: t.name for t in store.transcripts()}
    ids = None
    if transcript is not None:
        found = [i for i, n in names.items() if n == transcript]
        if not found:
            raise NotFoundError(f"no transcript `{transcript}`"
                                f"{did_you_mean(transcript, list(names.values()))}")
        ids = found
    everything = store.segments(ids)
    # The context column shows the segment before in the transcript, exported or not.
    previous_of = {seg.id: prev for prev, seg in zip([None, *everything], everything,
                                                     strict=False)}
    segments = everything
    if segment_ids is not None:
        wanted = set(segment_ids)
        segments = [s for s in everything if s.id in wanted]
    if not segments:
        raise QualkitError("there are no segments to export; import transcripts first")
    codings = {seg: c.codes for seg, c in store.codings(coder).items()}
    memos = {seg: v for (_, seg), v in store.notes(NoteKind.MEMO, coder).items()}
    quotes = {seg for (_, seg), v in store.notes(NoteKind.QUOTE, coder).items() if v}
    suggested: dict[int, list[str]] = {}
    for s in store.suggestions(codebook.version):
        words = ", ".join(dict.fromkeys(e.matched for e in s.evidence))
        suggested.setdefault(s.segment_id, []).append(
            f"{s.code_id} ({words})" if words else s.code_id)
    code_ids = [c.id for c in codebook.codes]
    references = dict(reference or {})
    before_marks = list(FIXED[:-1])  # up to "suggested"; none_apply starts the marks
    header = [*before_marks, *(f"{REFERENCE_PREFIX}{name}" for name in references),
              FIXED[-1], *code_ids, *TRAILING]

    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    first_mark = header.index("none_apply") + 1
    last_mark = len(header)
    marks = DataValidation(type="list", formula1=f'"{MARK}"', allow_blank=True,
                           showErrorMessage=True, errorTitle="Mark with x",
                           error="Type x to mark, or leave the cell empty.")
    marks.add(f"{get_column_letter(first_mark)}2:{get_column_letter(last_mark - 1)}"
              f"{len(segments) + 1}")
    sheet.data_validations.append(marks)  # write-only sheets lack add_data_validation
    sheet.freeze_panes = "H2"
    widths = [10, 18, 10, 8, 10, 40, 60, 30, *(30 for _ in references), 6]
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.append(header)
    grey = PatternFill("solid", start_color="E7E6E6", end_color="E7E6E6")

    def read_only(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=safe_cell(value) or None)
        cell.fill, cell.font = grey, Font(italic=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell

    decided = 0
    for seg in segments:
        have = codings.get(seg.id)
        decided += have is not None
        row: list[Any] = [
            seg.id, text_hash(seg.text), safe_cell(names[seg.transcript_id]), seg.index,
            safe_cell(seg.speaker), safe_cell(_context(previous_of[seg.id], seg)),
            safe_cell(seg.text),
            "; ".join(suggested.get(seg.id, ())),
            *(read_only(shown.get(seg.id, "")) for shown in references.values()),
            MARK if have == frozenset() else None]
        row += [MARK if have and code in have else None for code in code_ids]
        row += [MARK if seg.id in quotes else None, safe_cell(memos.get(seg.id)) or None]
        sheet.append(row)

    reference = book.create_sheet(CODES_SHEET)
    reference.append(["number", "code (column)", "name", "theme", "definition"])
    themes = {t.id: t.name for t in codebook.themes}
    for number, code in enumerate(codebook.codes, start=1):
        reference.append([number, code.id, safe_cell(code.name),
                          safe_cell(themes.get(code.theme_id, "")),
                          safe_cell(code.definition)])
    meta = book.create_sheet(META_SHEET)
    meta.sheet_state = "hidden"
    for key, value in (("format", FORMAT), ("coder", coder),
                       ("codebook_version", codebook.version),
                       ("exported_at", datetime.now(UTC).isoformat(timespec="seconds")),
                       ("qualkit", __version__), *(extra_meta or {}).items(),
                       ("segments", "")):
        meta.append([key, value])
    for seg in segments:
        meta.append([seg.id])
    _save_beside(path, book.save)
    return ExportResult(rows=len(segments), decided=decided)


# -- import ---------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A cell as typed, without the quote :func:`safe_cell` put before a formula start."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def _is_formula(cell: Any) -> bool:
    value = cell.value
    return getattr(cell, "data_type", None) == "f" or (
        value is not None and not isinstance(value, str | int | float | bool | datetime)
    ) or (isinstance(value, str) and value.startswith("=") and len(value) > 1)


@dataclass(frozen=True)
class _Cell:
    """What the checks need of a cell, read while the workbook was open (a read-only
    workbook reads lazily, so damage can only surface inside the read)."""

    row: int
    column: int
    value: Any
    data_type: str | None


@dataclass
class _Row:
    number: int
    segment_id: int
    codes: frozenset[str] | None  # None: nothing marked, leave as is
    quote: bool
    memo: str


def _damaged(path: Path) -> Any:
    def error(_reason: str) -> FileError:
        return FileError(path, "cannot be read (not an .xlsx workbook, or damaged); export "
                               "a fresh sheet with `qualkit sheet export`")
    return error


def _meta(path: Path, book: Any) -> tuple[dict[str, str], list[int]]:
    if META_SHEET not in book.sheetnames or SHEET not in book.sheetnames:
        raise FileError(path, f"is not a qualkit coding sheet (no `{SHEET}` and "
                              f"`{META_SHEET}` sheets); make one with `qualkit sheet export`")
    info: dict[str, str] = {}
    exported: list[int] = []
    listing = False
    for key, *rest in book[META_SHEET].iter_rows(values_only=True):
        if listing:
            if isinstance(key, int):
                exported.append(key)
            continue
        if key == "segments":
            listing = True
            continue
        info[str(key)] = str(rest[0]) if rest and rest[0] is not None else ""
    return info, exported


def import_sheet(store: Store, codebook: Codebook, coder: str, path: Path,
                 partial: bool = False, origin: str | None = None) -> ImportResult:
    """Check every cell of a coder's sheet, then record its decisions in one transaction.

    Raises :class:`SheetError` listing every problem unless ``partial``, in which case the
    valid rows are applied and the problems returned. ``origin`` (default
    ``sheet:FILE.xlsx``) is what the events record as how they were reached."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    from qualkit.xlsx import reading_workbook

    if not path.is_file():
        raise FileError(path, "cannot be read (no such file); check the path")
    with reading_workbook(_damaged(path)):
        book = load_workbook(path, read_only=True, data_only=False)
        try:
            info, exported = _meta(path, book)
            if info.get("coder") and info["coder"] != coder:
                raise FileError(path, f"was exported for coder {info['coder']}, not "
                                      f"{coder}; import it with --coder {info['coder']}")
            rows = [[_Cell(getattr(c, "row", None) or number,
                           getattr(c, "column", None) or column, c.value,
                           getattr(c, "data_type", None))
                     for column, c in enumerate(row, start=1)]
                    for number, row in enumerate(book[SHEET].iter_rows(), start=1)]
        finally:
            book.close()
    warnings: list[str] = []
    if info.get("codebook_version") and info["codebook_version"] != codebook.version:
        warnings.append(f"{path} was exported under codebook {info['codebook_version'][:12]}"
                        f"; its codes are checked against the current codebook "
                        f"{codebook.version[:12]}")
    if not rows:
        raise FileError(path, f"the `{SHEET}` sheet is empty; export a fresh sheet")
    header = [str(c.value).strip() if c.value is not None else "" for c in rows[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise FileError(path, f"sheet `{SHEET}` row 1 lacks the column(s) "
                              f"{', '.join(missing)}; export a fresh sheet")
    code_ids = [c.id for c in codebook.codes]
    known = set(FIXED) | set(TRAILING)
    header_problems = []
    code_columns: dict[int, str] = {}
    for i, name in enumerate(header):
        if not name or name in known or name.startswith(REFERENCE_PREFIX):
            continue
        if name in code_ids:
            code_columns[i] = name
        else:
            header_problems.append(
                f"row 1, column {get_column_letter(i + 1)}: unknown code `{name}`"
                f"{did_you_mean(name, code_ids)}")
    if header_problems:
        raise SheetError(path, header_problems)
    where = {name: header.index(name) for name in (*FIXED, *TRAILING) if name in header}
    segments = {s.id: s for s in store.segments()}
    problems: list[str] = []
    good: list[_Row] = []
    seen: dict[int, int] = {}
    for cells in rows[1:]:
        number = cells[0].row if cells and hasattr(cells[0], "row") else 0
        if all(c.value is None or c.value == "" for c in cells):
            continue
        found = _check_row(cells, number, where, code_columns, segments, seen)
        if isinstance(found, str):
            problems.append(found)
        else:
            good.append(found)
    absent = [s for s in exported if s not in seen]
    if absent:
        shown = ", ".join(str(s) for s in absent[:5]) + (" …" if len(absent) > 5 else "")
        problems.append(f"{len(absent)} exported segment(s) have no row (deleted rows?): "
                        f"segment(s) {shown}; restore them from the exported file")
    if problems and not partial:
        raise SheetError(path, problems)
    events, notes = _record(store, codebook, coder, origin or f"sheet:{path.name}", good)
    decided = sum(1 for r in good if r.codes is not None)
    return ImportResult(rows_applied=decided, events=events, notes=notes,
                        problems=tuple(problems), warnings=tuple(warnings), meta=info)


def _check_row(cells: Any, number: int, where: dict[str, int], code_columns: dict[int, str],
               segments: dict[int, Segment], seen: dict[int, int]) -> _Row | str:
    """One row as a decision, or the first thing wrong with it (row, column, segment id)."""
    from openpyxl.utils import get_column_letter

    def cell(name: str) -> Any:
        i = where.get(name)
        return cells[i] if i is not None and i < len(cells) else None

    id_cell = cell("segment_id")
    raw_id = id_cell.value if id_cell is not None and not _is_formula(id_cell) else None
    try:
        segment_id = int(str(raw_id).strip())
    except ValueError:
        return f"row {number}: segment_id is missing or not a number; restore it from the export"
    segment = segments.get(segment_id)
    if segment is None:
        return (f"row {number}: segment {segment_id} is not in this project (edited id, or a "
                "row from another project?)")
    if segment_id in seen:
        return f"row {number}: segment {segment_id} is also on row {seen[segment_id]}; keep one"
    seen[segment_id] = number
    for i, c in enumerate(cells):
        if _is_formula(c):
            return (f"row {number}, column {get_column_letter(i + 1)}, segment {segment_id}: "
                    "holds a formula; type a value (x to mark) instead")
    stored = text_hash(segment.text)
    given_hash = str(cell("text_hash").value or "").strip()
    text = _plain(cell("text").value)
    text = "" if text is None else str(text)
    if given_hash != stored:
        return (f"row {number}: segment {segment_id} does not match its text hash (were "
                "rows or columns sorted separately, or the id edited?); export a fresh sheet")
    if text_hash(text) != stored:
        return (f"row {number}: the text of segment {segment_id} was edited; only the code, "
                "none_apply, quote and memo cells may change — restore the text")

    def mark(c: Any, name: str) -> bool | str:
        if c is None or c.value is None or str(c.value).strip() == "":
            return False
        value = c.value
        if value is True or str(value).strip().lower() in YES:
            return True
        return (f"row {number}, column {get_column_letter(c.column)} ({name}), segment "
                f"{segment_id}: `{str(value)[:20]}` is not a mark; type x or leave it empty")

    chosen: set[str] = set()
    for i, code in code_columns.items():
        if i < len(cells):
            marked = mark(cells[i], code)
            if isinstance(marked, str):
                return marked
            if marked:
                chosen.add(code)
    none = mark(cell("none_apply"), "none_apply")
    quote = mark(cell("quote"), "quote")
    for value in (none, quote):
        if isinstance(value, str):
            return value
    if none and chosen:
        return (f"row {number}, segment {segment_id}: marked none_apply and codes "
                f"({', '.join(sorted(chosen))}); keep one")
    memo_cell = cell("memo")
    memo = _plain(memo_cell.value) if memo_cell is not None else None
    codes = frozenset(chosen) if chosen or none else None
    return _Row(number=number, segment_id=segment_id, codes=codes, quote=bool(quote),
                memo="" if memo is None else str(memo).strip())


def _record(store: Store, codebook: Codebook, coder: str, origin: str,
            rows: Iterable[_Row]) -> tuple[int, int]:
    """The events and notes that bring the coder in line with the rows, in one transaction."""
    rows = list(rows)
    current = {seg: c.codes for seg, c in store.codings(coder).items()}
    wanted = {r.segment_id: r.codes for r in rows if r.codes is not None}
    changes = diff({s: current[s] for s in wanted if s in current}, wanted)
    at = datetime.now(UTC)
    events = [CodingEvent(segment_id=seg, coder=coder, action=action, code_id=code,
                          codebook_version=codebook.version, origin=origin, at=at)
              for seg, action, code in changes]
    memos = {seg: v for (_, seg), v in store.notes(NoteKind.MEMO, coder).items()}
    quotes = {seg for (_, seg), v in store.notes(NoteKind.QUOTE, coder).items() if v}
    notes = []
    for r in rows:
        if r.memo != memos.get(r.segment_id, ""):
            notes.append(SegmentNote(r.segment_id, coder, NoteKind.MEMO, r.memo, at))
        if r.quote != (r.segment_id in quotes):
            notes.append(SegmentNote(r.segment_id, coder, NoteKind.QUOTE,
                                     "1" if r.quote else "", at))
    if events or notes:
        with store.transaction() as conn:
            store.ensure_coder(conn, coder)
            store.append_events(conn, events)
            store.add_notes(conn, notes)
    return len(events), len(notes)
