"""Inductive codes: codes a coder adds while coding, kept beside the codebook file.

Real coding mixes deductive codes (the codebook file) with open ones that emerge from the
data. An added code must not be lost the next time the codebook file is loaded, and the
researcher's hand-written YAML must not be rewritten (its comments and order are theirs).
So the project keeps its inductive codes in a setting, with who added each one, when and
from where, and every codebook version made from the file gets them appended under a theme
of their own. Adding a code therefore makes a new codebook version (a new content hash),
like any other change of meaning. A code the file itself later defines (same id) is taken
from the file.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from qualkit.store import Store

SETTING = "inductive_codes"
THEME_ID = "inductive"
THEME_NAME = "Inductive codes"
THEME_DEFINITION = "Codes added while coding; they are not in the codebook file."
NOTE = "Inductive code added by {coder} from {source} on {at:%Y-%m-%d %H:%M} UTC."
"""What an added code's definition says until someone writes one: who added it, from
where and when."""
_NOTE = re.compile(r"Inductive code added by .+ from .+ on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\.")


def stored(store: Store) -> list[dict[str, Any]]:
    """The project's inductive codes as codebook content, oldest first."""
    raw = store.setting(SETTING)
    return list(json.loads(raw)) if raw else []


def merge(content: dict[str, Any], codes: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """``content`` with the inductive codes it lacks appended under their own theme (the
    one already there, when ``content`` came from an earlier merge)."""
    taken = {c["id"] for t in content["themes"] for c in _walk(t["codes"])}
    extra = [c for c in codes if c["id"] not in taken]
    if not extra:
        return content
    merged = copy.deepcopy(content)
    own = [t for t in merged["themes"] if t.get("definition") == THEME_DEFINITION]
    if own:
        own[0]["codes"].extend(extra)
        return merged
    themes = {t["id"] for t in merged["themes"]}
    theme_id = THEME_ID
    while theme_id in themes or theme_id in taken:
        theme_id += "_codes"
    merged["themes"].append({"id": theme_id, "name": THEME_NAME,
                             "definition": THEME_DEFINITION, "codes": extra})
    return merged


def new_code(name: str, taken: set[str], coder: str, source: str,
             at: datetime | None = None) -> dict[str, Any]:
    """Codebook content for a code named ``name``, with an id not in ``taken``."""
    at = at or datetime.now(UTC)
    base = slug(name)
    code_id, n = base, 2
    while code_id in taken:
        code_id, n = f"{base}_{n}", n + 1
    return {"id": code_id, "name": name,
            "definition": NOTE.format(coder=coder, source=source, at=at),
            "include": [], "exclude": [], "keywords": [], "examples": [], "color": None}


def written_definition(definition: str) -> str:
    """The definition someone wrote for a code: empty while it is still the :data:`NOTE`
    of who added it. Readers of a code's meaning (the learned suggester compares segments
    with it) must not take that note for one: every code added from one file would read
    alike, and the minute of the import would change what is suggested."""
    return "" if _NOTE.fullmatch(definition.strip()) else definition


def slug(name: str) -> str:
    """A codebook id from a code's name: ``Tool complexity`` → ``tool_complexity``."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")[:60].rstrip("_")
    if not text:
        return "code"
    return text if text[0].isalpha() else f"code_{text}"


def _walk(codes: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for code in codes:
        yield code
        yield from _walk(code.get("codes", []))
