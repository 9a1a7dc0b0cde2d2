"""Writing output files so that an interrupted export never replaces a good one.

Everything is written beside the target and renamed over it (atomic on POSIX and Windows),
and CSV/spreadsheet cells are neutralised against formula injection: a transcript line that
begins with ``=`` must not run as a formula when a co-author opens the table in Excel.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _file_mode() -> int:
    """The mode a plainly created file gets here (0o666 less the umask): mkstemp makes its
    file private (0o600), and an export should be as readable as any file the user saves."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` for the caller to write; once the block ends
    without error it is synced to disk and renamed over ``path``, otherwise removed. The
    one place an export is written, so every format gets the same guarantee."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """As :func:`atomic_write_text`, for a spreadsheet's or an archive's bytes."""
    with replacing(path) as tmp:
        tmp.write_bytes(data)


def safe_cell(value: object) -> object:
    """A spreadsheet cell that cannot be read as a formula (OWASP CSV injection advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
