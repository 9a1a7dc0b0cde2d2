"""Reading transcripts for an import: in the importing process, or ahead of it in workers.

Reading a file (decode, normalise, find turns), running the privacy gate on it and cutting
its sentences cost about four fifths of an import; storing it, the rest. They need
nothing from each other's files, so on a machine with more than one core a large import
reads the next files in worker processes while the main process stores the current one,
and both cores work. The main process still takes the files strictly in order and does
every write, in its one transaction, so what is stored, what is found and which error
stops an import are the same with workers or without; a worker only ever reads.

Workers are forked from the importing process, so they start in milliseconds with
spaCy, the sentence pipeline and the privacy scanner already loaded, and nothing is
pickled on the way in. Where fork is not available (Windows, macOS's default), where there
is one core, or for a small import (a process start-up would cost more than it saves),
files are read in the importing process, as before. A file whose worker failed for any
reason other than a problem with the file (a worker killed, a bug) is read again in the
importing process, which then fails, or not, exactly as an import without workers would.
At most a few files are read ahead, so memory does not grow with the corpus.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from qualkit.errors import QualkitError
from qualkit.ingest.formats import read_source
from qualkit.ingest.segment import Span, iter_segments, sentence_pipeline
from qualkit.ingest.source import ReadOptions, Source
from qualkit.model import Participant, Turn, Unit
from qualkit.privacy.scan import Finding, Scanner

if TYPE_CHECKING:
    from typing import Self

log = logging.getLogger(__name__)

MIN_FILES = 4
"""Fewer files than this are read in the importing process: nothing to overlap."""
MIN_BYTES = 2_000_000
"""Nor are fewer bytes than this (about 300,000 words of plain text, a second or two of
work), so that small imports (and the test suite) never pay for starting processes."""
MAX_WORKERS = 4
"""Beyond this many readers the main process's storing is the bottleneck."""


@dataclass(frozen=True)
class ReadContext:
    """Everything reading one file needs besides the file: the same for every file."""

    options: ReadOptions
    roster: Mapping[str, Participant]
    scanner: Scanner
    unit: Unit
    spacy_model: str | None


@dataclass(frozen=True)
class Read:
    """One transcript read and scanned: what a worker sends back (no locator, which only
    the findings need and they are made where the file was read)."""

    text: str
    format: str
    style: str
    participants: Mapping[str, Mapping[str, str]]
    turns: list[Turn]
    found: list[Finding]
    spans: list[Span] | None
    """Its segments, when they were cut with the reading; None: cut them when storing."""


class Planned(Protocol):
    """What the reader needs to know of a file the import has planned."""

    @property
    def path(self) -> Path: ...
    @property
    def rel(self) -> str: ...
    @property
    def unchanged(self) -> bool: ...


def canonical_turns(turns: Iterable[Turn], roster: Mapping[str, Participant],
                    transcript_id: int = 0) -> list[Turn]:
    """Speakers spelt as on the roster (``MODERATOR`` is ``Moderator``)."""
    spelling = {name.casefold(): name for name in roster}
    canonical: dict[str, str] = {}
    out = []
    # A turn already right is kept as it is: building a new one per turn was a noticeable
    # share of an import.
    for t in turns:
        speaker = canonical.get(t.speaker)
        if speaker is None:
            speaker = canonical[t.speaker] = spelling.get(t.speaker.casefold(), t.speaker)
        out.append(t if speaker == t.speaker and t.transcript_id == transcript_id else
                   Turn(transcript_id, t.index, speaker, t.start, t.end, t.timestamp))
    return out


def findings_of(source: Source, scanner: Scanner, rel: str,
                turns: Sequence[Turn] | None = None) -> list[Finding]:
    """The gate's findings for one read file, located in the original file."""
    hits = scanner.hits(source.text, turns if turns is not None else source.turns,
                        source.labelled)
    places = (source.locator.place(h.start) for h in hits)
    return [Finding(rel, h.kind, p.line, p.column, p.unit)
            for h, p in zip(hits, places, strict=True)]


def read_one(context: ReadContext, path: Path, rel: str, segment: bool) -> Read:
    """Read, scan and (when ``segment``) cut one file. Stores nothing; raises the file's
    :class:`QualkitError` if it cannot be read."""
    source = read_source(path, context.options)
    turns = canonical_turns(source.turns, context.roster)
    found = findings_of(source, context.scanner, rel, turns)
    spans = (list(iter_segments(source.text, turns, context.unit, context.spacy_model))
             if segment else None)
    return Read(source.text, source.format, source.style, source.participants, turns,
                found, spans)


def cpus() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def workers_for(files: int, size: int) -> int:
    """How many worker processes an import of ``files`` files of ``size`` bytes in all
    should read with: none for a small import or a single core."""
    if files < MIN_FILES or size < MIN_BYTES:
        return 0
    available = cpus()
    return 0 if available < 2 else min(available, MAX_WORKERS)


_CONTEXT: ReadContext | None = None


def _start_worker(context: ReadContext) -> None:
    """A worker's set-up (it was forked, so ``context`` came by memory, not pickle)."""
    global _CONTEXT
    _CONTEXT = context
    # Ctrl-C goes to the whole process group; the main process handles it and ends the
    # workers, which must not print tracebacks of their own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        # A main process that is killed (kill -9) cannot end its workers: the kernel does.
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        if os.getppid() == 1:  # the parent died before the line above
            os._exit(1)


def _work(path: Path, rel: str, segment: bool) -> Read | QualkitError:
    """One file, in a worker. A problem with the file comes back as the error itself
    (not raised, so no remote traceback is attached to it)."""
    assert _CONTEXT is not None
    try:
        return read_one(_CONTEXT, path, rel, segment)
    except QualkitError as exc:
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:  # an error class that cannot travel: keep its message
            plain = QualkitError(str(exc))
            plain.exit_code = exc.exit_code
            return plain
        return exc


class Reader:
    """Reads planned files in order, in workers ahead of the caller when ``workers``."""

    def __init__(self, context: ReadContext, workers: int = 0) -> None:
        self.context = context
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Self:
        if self.workers > 0:
            self.pool = self._pool()
        return self

    def _pool(self) -> ProcessPoolExecutor | None:
        if "fork" not in multiprocessing.get_all_start_methods():
            return None
        if self.context.unit is not Unit.TURN:
            try:  # built once here, so that every worker inherits it
                sentence_pipeline(self.context.spacy_model)
            except QualkitError:
                return None  # reading in-process raises it where an import always has
        try:
            return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context(
                "fork"), initializer=_start_worker, initargs=(self.context,))
        except (OSError, ValueError, NotImplementedError) as exc:
            log.info("reading in this process: no worker processes (%s)", exc)
            return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def read(self, plans: Iterator[Planned], segment: Callable[[], bool]
             ) -> Iterator[tuple[Planned, Read | None]]:
        """Each plan with its file read (None for an unchanged file), in order. A plan that
        raises stops the reading when its turn comes, as it would have without workers.
        ``segment`` says, as each file is handed to a worker, whether its segments will be
        wanted (not once the gate has found something without --allow-pii)."""
        if self.pool is None:
            for plan in plans:
                yield plan, None if plan.unchanged else read_one(
                    self.context, plan.path, plan.rel, segment=False)
            return
        depth = 2 * self.workers
        ahead: deque[tuple[Planned | QualkitError, Future[Read | QualkitError] | None]] = deque()
        more = True
        while True:
            while more and len(ahead) < depth:
                try:
                    plan = next(plans)
                except StopIteration:
                    more = False
                    break
                except QualkitError as exc:
                    ahead.append((exc, None))
                    more = False
                    break
                ahead.append((plan, None if plan.unchanged else self._submit(plan, segment())))
            if not ahead:
                return
            planned, future = ahead.popleft()
            if isinstance(planned, QualkitError):
                raise planned
            if planned.unchanged:
                yield planned, None
                continue
            yield planned, self._result(planned, future)

    def _submit(self, plan: Planned, segment: bool) -> Future[Read | QualkitError] | None:
        if self.pool is None:
            return None
        try:
            return self.pool.submit(_work, plan.path, plan.rel, segment)
        except RuntimeError as exc:  # a broken pool (BrokenProcessPool is one)
            log.info("no more worker processes (%s); reading in this process",
                     type(exc).__name__)
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None
            return None

    def _result(self, plan: Planned, future: Future[Read | QualkitError] | None) -> Read:
        try:
            got = future.result() if future is not None else None
        except Exception as exc:  # the worker, not the file: read it here instead
            log.info("a worker failed (%s); reading %s in this process",
                     type(exc).__name__, plan.path.name)
            got = None
        if isinstance(got, QualkitError):
            raise got
        if got is None:
            return read_one(self.context, plan.path, plan.rel, segment=False)
        return got
