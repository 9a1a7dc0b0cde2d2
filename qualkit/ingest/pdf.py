"""PDF transcripts (a transcription service's output, a journal's supplement) to text.

A PDF keeps no paragraphs, only positioned lines, so its text is rebuilt page by page
with what a reader would skip taken out: page numbers (``3``, ``3/12``, ``Page 3 of
12``, ``- 3 -``), the line numbers some exports print in the margin (a run of lines
``1``, ``2``, ``3``, … at the end of each page), and headers and footers that repeat on
most pages (``Focus group 2 — confidential``). Pages are then joined so that a turn runs
on across a page break, and a word hyphenated at the end of a page is made whole. The
result is read like any plain text file, so the label styles and checks are the same;
a finding or a warning names the page through the locator.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

from qualkit.errors import FileError
from qualkit.normalise import check_lines, normalise

PAGE_NUMBER = re.compile(
    r"^(?:(?:page|p\.|seite|página|pagina)\s*)?[-\u2013\u2014(\[]?\s*\d{1,4}\s*"
    r"(?:(?:/|of|von|de|sur)\s*\d{1,4})?\s*[-\u2013\u2014)\]]?$", re.IGNORECASE)
EDGE = 3
"""Lines at the top and at the bottom of a page where headers, footers and page numbers
are looked for."""
REPEATED = 0.5
"""A top or bottom line on at least this share of the pages (digits aside) is a header
or footer."""
MIN_RUN = 3
"""Consecutive numbers on lines of their own, counting up by one: margin line numbers."""
_DIGITS = re.compile(r"\d+")


def _page_lines(text: str) -> list[str]:
    lines = []
    for line in normalise(text).split("\n"):
        lines.append(" ".join(line.replace("\t", " ").split()))
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def _without_line_numbers(lines: list[str]) -> list[str]:
    """Drop runs of lines ``n``, ``n+1``, ``n+2``, … (margin line numbers)."""
    keep = [True] * len(lines)
    i = 0
    while i < len(lines):
        if not lines[i].isdigit():
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j].isdigit() and int(lines[j]) == int(lines[j - 1]) + 1:
            j += 1
        if j - i >= MIN_RUN:
            keep[i:j] = [False] * (j - i)
        i = j
    return [line for line, k in zip(lines, keep, strict=True) if k]


def _edges(lines: list[str]) -> set[int]:
    return set(range(min(EDGE, len(lines)))) | set(range(max(len(lines) - EDGE, 0),
                                                         len(lines)))


def _shape(line: str) -> str:
    return _DIGITS.sub("#", line.casefold())


def clean_pages(pages: list[str]) -> list[list[str]]:
    """Each page's lines without page numbers, margin line numbers, headers and footers."""
    cleaned = [_without_line_numbers(_page_lines(p)) for p in pages]
    edge: Counter[str] = Counter()
    body: Counter[str] = Counter()
    for lines in cleaned:
        edges = _edges(lines)
        edge.update({_shape(lines[i]) for i in edges if lines[i]})
        body.update(_shape(line) for i, line in enumerate(lines) if i not in edges)
    # A header or footer is on most pages and never inside one; a speaker label is often
    # at the top of a page too, but also all through the pages.
    repeated = {shape for shape, n in edge.items()
                if n >= max(2, REPEATED * len(cleaned)) and not body[shape]}
    out = []
    for lines in cleaned:
        edges = _edges(lines)
        out.append([line for i, line in enumerate(lines)
                    if i not in edges or not (PAGE_NUMBER.match(line)
                                              or _shape(line) in repeated)])
    return out


def join_pages(pages: list[list[str]]) -> tuple[str, list[tuple[int, int]]]:
    """The pages as one text, and (offset, page number) where each page starts."""
    text = ""
    marks: list[tuple[int, int]] = []
    for number, lines in enumerate(pages, start=1):
        if not lines:
            continue
        body = "\n".join(lines)
        if text and re.search(r"[^\W\d_]-$", text) and body[:1].islower():
            text = text[:-1]  # "infor-" at the foot of a page, "mation" at the top
        elif text:
            text += "\n"
        marks.append((len(text), number))
        text += body
    return text, marks


def pdf_text(path: Path, data: bytes) -> tuple[str, list[tuple[int, int]]]:
    """The PDF's text, cleaned and joined, with the offset at which each page starts."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise FileError(path, "is an encrypted PDF; save an unprotected copy, or export "
                                  "the transcript as .docx or .txt")
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        raise FileError(path, "is not a readable PDF (damaged, or another format renamed); "
                              "export the transcript again as .pdf, .docx or .txt") from None
    text, marks = join_pages(clean_pages(pages))
    if not text.strip():
        raise FileError(path, "has no text to read (a scanned PDF?); run text recognition "
                              "(OCR) on it, or export the transcript as .docx or .txt")
    check_lines(text, path)
    return text + "\n", marks
