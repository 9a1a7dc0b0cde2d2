"""Reading Excel workbooks that may be damaged.

openpyxl reports a damaged file with whatever its layers raise — ``BadZipFile``, a
``zlib.error`` from a corrupted stream, ``KeyError`` for a missing part, XML parse errors,
``ValueError``, ``EOFError`` — and in read-only mode only once the damaged part is reached,
while rows are being read. So the whole read, not just the open, goes inside
:func:`reading_workbook`, which turns any of these into the caller's one-line error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from qualkit.errors import QualkitError


@contextmanager
def reading_workbook(error: Callable[[str], QualkitError]) -> Iterator[None]:
    """Run a workbook read; a failure other than qualkit's own becomes ``error(reason)``."""
    try:
        yield
    except QualkitError:
        raise
    except Exception as exc:  # openpyxl and its layers raise many unrelated types
        raise error(type(exc).__name__) from None
