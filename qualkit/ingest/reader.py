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
import signal
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
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
AHEAD = 3
"""Files read ahead of the one being stored: enough to keep the worker busy, few enough
that memory stays flat."""


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
    return 1 if idle_cores() >= 0.5 else 0


def idle_cores() -> float:
    """Cores this process could have beside its own, judging by the load average.

    A worker only helps when a core would otherwise sit idle: on a machine already busy
    with other work, the import's two processes share the same cores with it and the
    hand-over costs more than the overlap gives (measured: a fifth slower on two busy
    cores). The one-minute load counts this process itself (at least 1); where there is
    no load average, every other core counts as idle."""
    available = cpus()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = 1.0
    return available - max(load, 1.0)


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


def _cut(text: str, turns: list[Turn]) -> list[Span]:
    """One transcript's segments, in the worker."""
    assert _CONTEXT is not None
    return list(iter_segments(text, turns, _CONTEXT.unit, _CONTEXT.spacy_model))


class Reader:
    """Reads planned files in order; with a worker, it cuts each file's segments there
    while the caller stores the previous ones and this process reads the next."""

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
            try:  # built once here, so that the worker inherits it
                sentence_pipeline(self.context.spacy_model)
            except QualkitError:
                return None  # cutting in-process raises it where an import always has
        try:
            return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context(
                "fork"), initializer=_start_worker, initargs=(self.context,))
        except (OSError, ValueError, NotImplementedError) as exc:
            log.info("segmenting in this process: no worker process (%s)", exc)
            return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def read(self, plans: Iterable[Planned], allow_pii: bool
             ) -> Iterator[tuple[Planned, Read | None]]:
        """Each plan with its file read (None for an unchanged file), in order.

        With a worker, files are read up to ``AHEAD`` ahead of the caller and their
        segments cut in the worker meanwhile (not once the gate has found something
        without ``allow_pii``: nothing more will be stored). A file that cannot be read
        still stops the import in its turn: the files before it are handed over first,
        then its error is raised."""
        if self.pool is None:
            for plan in plans:
                yield plan, None if plan.unchanged else read_one(
                    self.context, plan.path, plan.rel, segment=False)
            return
        ahead: deque[tuple[Planned, Read | None, Future[list[Span]] | None]] = deque()
        clean = True
        try:
            for plan in plans:
                got = None if plan.unchanged else read_one(self.context, plan.path, plan.rel,
                                                           segment=False)
                if got is not None and got.found:
                    clean = False
                cut = got is not None and (allow_pii or clean)
                ahead.append((plan, got, self._submit(got) if cut and got else None))
                while len(ahead) > AHEAD:
                    yield self._done(*ahead.popleft())
        except QualkitError:
            while ahead:
                yield self._done(*ahead.popleft())
            raise
        while ahead:
            yield self._done(*ahead.popleft())

    def _submit(self, got: Read) -> Future[list[Span]] | None:
        if self.pool is None:
            return None
        try:
            return self.pool.submit(_cut, got.text, got.turns)
        except RuntimeError as exc:  # a broken pool (BrokenProcessPool is one)
            log.info("no worker process any more (%s); segmenting in this process",
                     type(exc).__name__)
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None
            return None

    def _done(self, plan: Planned, got: Read | None, future: Future[list[Span]] | None
              ) -> tuple[Planned, Read | None]:
        if got is None or future is None:
            return plan, got
        try:
            spans = future.result()
        except Exception as exc:  # the worker, not the file: the caller cuts it here
            if self.pool is not None:  # and every file after it: once is enough
                log.info("the worker failed (%s); segmenting in this process from %s on",
                         type(exc).__name__, plan.path.name)
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = None
            return plan, got
        return plan, replace(got, spans=spans)
