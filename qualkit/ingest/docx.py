"""Word ``.docx`` transcripts to turns.

Each paragraph becomes one line of text, so the plain-text label rules apply unchanged
(``P3: talk``, ``[00:01:23] P3: talk``, a speaker alone on a line) and a finding names the
paragraph. Word users often mark the speaker in bold instead of with a colon; a bold run
opening a paragraph is read as its label (``**Interviewer** So tell me…``), and a
paragraph that is only a short bold name is a label whose talk follows.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from qualkit.errors import FileError
from qualkit.ingest.speakers import TIME_ONLY
from qualkit.normalise import check_lines, normalise

MAX_LABEL_WORDS = 4


def _bold_label(paragraph: Any) -> tuple[str, str] | None:
    """(label, rest) when the paragraph opens with bold text that reads as a name."""
    style = getattr(getattr(paragraph, "style", None), "name", "") or ""
    if style.startswith(("Heading", "Title")):
        return None
    label: list[str] = []
    runs = list(paragraph.runs)
    i = 0
    while i < len(runs) and (runs[i].bold or (label and not runs[i].text.strip())):
        label.append(runs[i].text)
        i += 1
    name = "".join(label).strip().rstrip(":").strip()
    if not name or len(name.split()) > MAX_LABEL_WORDS or not name[0].isupper():
        return None
    raw = "".join(label).strip()
    text = " ".join(paragraph.text.split("\n")).replace("\t", " ").strip()
    rest = text[len(raw):] if text.startswith(raw) else "".join(r.text for r in runs[i:])
    if TIME_ONLY.match(rest):
        return None  # Otter's bold `Speaker 1` then `0:04`: a header line, kept as it is
    return name, rest.strip().lstrip(":").strip()


def _paragraph_lines(document: Any) -> list[str]:
    lines = []
    for paragraph in document.paragraphs:
        text = " ".join(paragraph.text.split("\n")).replace("\t", " ")
        bold = _bold_label(paragraph) if text.strip() else None
        if bold is not None and not text.lstrip().startswith(f"{bold[0]}:"):
            name, rest = bold
            text = f"{name}: {rest}" if rest else f"{name}:"
        lines.append(text)
    return lines


def docx_text(path: Path, data: bytes) -> str:
    """The document as normalised text, one line per paragraph."""
    from docx import Document

    try:
        document = Document(io.BytesIO(data))
    except Exception:  # python-docx raises several unrelated types for a damaged file
        raise FileError(path, "is not a readable Word .docx file (damaged, or another "
                              "format renamed); open it in Word and save it again as "
                              ".docx") from None
    text = normalise("\n".join(_paragraph_lines(document)))
    if not text.strip():
        raise FileError(path, "is empty; nothing to import")
    check_lines(text, path)
    return text + "\n"
