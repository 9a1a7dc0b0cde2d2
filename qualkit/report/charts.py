"""The report's figures, drawn with matplotlib: SVG for the HTML page, PNG for Word.

SVG text stays text (``svg.fonttype = none``), so the page is small and searchable, and the
output is deterministic (fixed hash salt, no date), so a report regenerated from the same
decisions is byte-identical. The non-interactive Agg backend is used: no display needed.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from qualkit.report.analysis import ThemeTable

MAX_TICKS = 30
MAX_BARS = 40


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "qualkit",
                                "font.size": 9, "axes.spines.top": False,
                                "axes.spines.right": False})
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, fmt: str) -> bytes:
    plt = _pyplot()
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {}
    fig.savefig(buffer, format=fmt, bbox_inches="tight", metadata=metadata,
                dpi=150 if fmt == "png" else None)
    plt.close(fig)
    return buffer.getvalue()


def saturation(frame: pd.DataFrame, fmt: str = "svg") -> bytes:
    """New codes per transcript (bars) and the cumulative number of codes (line)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    x = list(range(1, len(frame) + 1))
    ax.bar(x, frame["new_codes"], color="#9ecae1", label="new codes in the transcript")
    ax.plot(x, frame["cumulative"], color="#08519c", marker="o" if len(x) <= 40 else None,
            label="codes used so far")
    step = max(1, -(-len(x) // MAX_TICKS))
    ax.set_xticks(x[::step], list(frame["transcript"])[::step], rotation=45 if
                  len(x) > 8 else 0, ha="right" if len(x) > 8 else "center")
    ax.set_xlabel("Transcripts in coding order")
    ax.set_ylabel("Codes")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, loc="lower right")
    return _save(fig, fmt)


def frequency(table: ThemeTable, fmt: str = "svg") -> bytes:
    """Participants per code (the most frequent :data:`MAX_BARS` codes), as bars."""
    plt = _pyplot()
    rows = sorted(table.rows, key=lambda r: -r.participants)[:MAX_BARS][::-1]
    fig, ax = plt.subplots(figsize=(7, 0.8 + 0.24 * max(1, len(rows))))
    ax.barh([r.code for r in rows], [r.participants for r in rows], color="#3182bd")
    ax.set_xlabel(f"Participants (of {table.participants})")
    return _save(fig, fmt)


def svg_markup(svg: bytes) -> str:
    """The ``<svg>`` element alone, for inlining into an HTML page."""
    text = svg.decode("utf-8")
    return text[text.index("<svg"):]
