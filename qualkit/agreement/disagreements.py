"""Disagreements as a file a team discusses: CSV, an Excel workbook or one HTML page.

A coding meeting starts from this list, often printed or shared before the meeting, so
each row carries what the discussion needs without opening the project: where the segment
is, its text with the sentence before and after it in the same turn, every coder's codes
(by name as well as id) and every coder's memo. The files hold participants' words, so they
are written like every export: HTML autoescaped, spreadsheet cells that would start a
formula neutralised, and written beside the target, then renamed, so an interrupted write
never leaves half a file.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from qualkit.agreement.adjudication import Disagreements
from qualkit.errors import QualkitError
from qualkit.fileio import atomic_write_bytes, atomic_write_text, safe_cell
from qualkit.model import Codebook

FORMATS = (".csv", ".xlsx", ".html")


def _header(found: Disagreements) -> list[str]:
    columns = ["segment_id", "transcript", "position", "speaker", "before", "text", "after"]
    for coder in found.coders:
        columns += [f"{coder} codes", f"{coder} memo"]
    return columns


def _rows(found: Disagreements, codebook: Codebook) -> list[list[object]]:
    names = {c.id: c.name for c in codebook.codes}
    rows: list[list[object]] = []
    for d in found.rows:
        row: list[object] = [d.segment_id, d.transcript, d.position + 1, d.speaker, d.before,
                             d.text, d.after]
        memos = d.memos or tuple("" for _ in found.coders)
        for codes, memo in zip(d.codes, memos, strict=True):
            row += ["; ".join(f"{names.get(c, c)} [{c}]" for c in sorted(codes))
                    or "(none apply)", memo]
        rows.append(row)
    return rows


def write_disagreements(found: Disagreements, codebook: Codebook, path: Path) -> None:
    """Write the list in the format the file name's extension asks for."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise QualkitError(f"{path}: cannot write disagreements as `{suffix or 'no extension'}`"
                           f"; use one of {', '.join(FORMATS)}")
    header, rows = _header(found), _rows(found, codebook)
    if suffix == ".csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows([[safe_cell(v) for v in row] for row in rows])
        atomic_write_text(path, buffer.getvalue())
    elif suffix == ".xlsx":
        atomic_write_bytes(path, _xlsx(header, rows))
    else:
        atomic_write_text(path, _html(found, header, rows))


def _xlsx(header: list[str], rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Disagreements"
    sheet.append(header)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    widths = {"before": 40, "text": 60, "after": 40}
    for index, name in enumerate(header, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = widths.get(
            name, 30 if name.endswith(("codes", "memo")) else 12)
        if name in widths or name.endswith(("codes", "memo")):
            for cell in sheet[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Disagreements: {{ coders }}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #111; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #bbb; padding: .35rem .5rem; vertical-align: top; text-align: left; }
th { background: #eee; }
.context { color: #555; }
.text { font-weight: 600; }
@media print { body { margin: 0; font-size: 10pt; } tr { break-inside: avoid; } }
</style></head><body>
<h1>Disagreements between {{ coders }}</h1>
<p>{{ found.rows|length }} of {{ found.segments_compared }} segments reviewed by every coder
differ{% if found.code %} on <code>{{ found.code }}</code>{% endif %};
{{ found.segments_left_out }} segment(s) not reviewed by all were left out.</p>
<table>
<thead><tr>{% for name in header %}<th scope="col">{{ name }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in rows %}<tr>{% for value in row %}
<td class="{{ classes.get(loop.index0, '') }}">{{ value }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
</body></html>
"""


def _html(found: Disagreements, header: list[str], rows: list[list[object]]) -> str:
    from jinja2 import Environment

    template = Environment(autoescape=True).from_string(TEMPLATE)
    return template.render(found=found, coders=", ".join(found.coders), header=header,
                           rows=rows, classes={4: "context", 5: "text", 6: "context"})

