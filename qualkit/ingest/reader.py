"""Reading transcripts for an import, with their segments cut in a worker process.

Cutting sentences (spaCy's tokenizer and the sentence rule) is the largest share of an
import; reading a file (decode, normalise, find turns), the privacy gate and storing are
the rest, in about the same measure. On a machine with more than one core a large import
splits along that line: the main process reads, scans and stores, strictly in file order
and in its one transaction, while one worker process cuts the segments of the files it
has read a few files ahead. The worker only ever computes segments from text it is sent,
so what is stored, what is found and which error stops an import are the same with it or
without it. One worker, not one per core: every tokenizer learns the vocabulary afresh,
and the two halves take about as long as each other.

The worker is forked from the importing process, so it starts in milliseconds with what
is already imported and learnt (the sentence pipeline, the tokenizer's vocabulary so
far); it builds the pipeline itself when the import has not yet. Outside Linux (no fork,
or an unsafe one), on one core, on a machine whose other work leaves no core idle
(measured over the import's first moments), or for a small import (a process start-up
would cost more than it saves), segments are cut in the importing process, as before. A
worker that fails for any reason (killed, a bug) hands its file and every later one back
to the importing process, which then succeeds, or fails, exactly as an import without a
worker would. At most a few files are in flight, so memory does not grow with the corpus.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from qualkit.errors import QualkitError
from qualkit.gate.scan import Finding, Scanner, locate
from qualkit.ingest.formats import read_source
from qualkit.ingest.segment import Span, iter_segments, sentence_pipeline
from qualkit.ingest.source import Concern, ReadOptions, Source
from qualkit.model import Participant, Turn, Unit

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
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
BEHIND = 3
"""When this many transcripts handed to the worker are not cut yet (all those in flight),
the main process cuts the next one itself, while storing it, so that neither process
waits long for the other: the worker takes the larger share, the main process what it
has time for (at 10M words on a busy machine: 28 s against 33 s without). Not sooner,
because each process that cuts learns the vocabulary afresh."""
PIPE_BYTES = 1 << 20
"""How much the pipe to the worker holds (Linux's default cap for a pipe): room for a
few transcripts in flight, so sending never waits."""


@dataclass(frozen=True)
class ReadContext:
    """Everything reading one file needs besides the file: the same for every file."""

    options: ReadOptions
    roster: Mapping[str, Participant]
    scanner: Scanner
    unit: Unit
    spacy_model: str | None
    spelling: Mapping[str, str] = field(init=False, repr=False)
    """:func:`spellings` of ``roster``, made once (see :meth:`__post_init__`)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "spelling", spellings(self.roster))


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
    concerns: tuple[Concern, ...] = ()
    """What looked odd but plausible in its reading: warnings for the import summary."""


class Planned(Protocol):
    """What the reader needs to know of a file the import has planned."""

    @property
    def path(self) -> Path: ...
    @property
    def rel(self) -> str: ...
    @property
    def unchanged(self) -> bool: ...


def spellings(roster: Mapping[str, Participant]) -> dict[str, str]:
    """Each roster name by its case-folded form."""
    return {name.casefold(): name for name in roster}


def canonical_turns(turns: Iterable[Turn], roster: Mapping[str, Participant],
                    transcript_id: int = 0, spelling: Mapping[str, str] | None = None
                    ) -> list[Turn]:
    """Speakers spelt as on the roster (``MODERATOR`` is ``Moderator``). ``spelling`` is
    :func:`spellings` of the roster, made once by a caller with many files: made per
    file, it cost more than the rest of this function at 1,000 files and 7,000 people."""
    if spelling is None:
        spelling = spellings(roster)
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
    return [locate(rel, h, source.text, p) for h, p in zip(hits, places, strict=True)]


def read_one(context: ReadContext, path: Path, rel: str, segment: bool) -> Read:
    """Read, scan and (when ``segment``) cut one file. Stores nothing; raises the file's
    :class:`QualkitError` if it cannot be read."""
    source = read_source(path, context.options)
    turns = canonical_turns(source.turns, context.roster, spelling=context.spelling)
    found = findings_of(source, context.scanner, rel, turns)
    spans = (list(iter_segments(source.text, turns, context.unit, context.spacy_model))
             if segment else None)
    return Read(source.text, source.format, source.style, source.participants, turns,
                found, spans, source.concerns)


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
    return 1 if cpus() >= 2 else 0


def _cut(text: str, turns: list[Turn], context: ReadContext) -> list[Span]:
    """One transcript's segments (in the worker)."""
    return list(iter_segments(text, turns, context.unit, context.spacy_model))


def _serve(context: ReadContext, tasks: Connection, results: Connection,
           theirs: Sequence[Connection]) -> None:
    """The worker: cut each transcript it is sent, in order, until the pipe closes."""
    for end in theirs:  # the main process's ends: closed here, so its exit is our EOF
        end.close()
    # Ctrl-C goes to the whole process group; the main process handles it and ends the
    # worker, which must not print a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if context.unit is not Unit.TURN:
        # Built here rather than before the fork, so the main process reads and scans
        # the first files meanwhile. Should it fail, so does every cut, and the main
        # process cuts in-process, where the error is raised as it always has been.
        with contextlib.suppress(Exception):
            sentence_pipeline(context.spacy_model)
    while True:
        try:
            text, turns = pickle.loads(tasks.recv_bytes())
        except (EOFError, OSError):
            return
        try:
            reply: tuple[bool, object] = (True, _cut(text, turns, context))
        except Exception as exc:  # reported by its kind only: messages may quote text
            reply = (False, type(exc).__name__)
        try:
            results.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            return


def _pipe_size(end: Connection, wanted: int) -> int:
    """Widen a pipe (Linux) so that what the main process sends never waits for the
    worker; returns the size it has."""
    import fcntl

    set_size, get_size = 1031, 1032  # F_SETPIPE_SZ, F_GETPIPE_SZ
    try:
        fcntl.fcntl(end.fileno(), set_size, wanted)
        return int(fcntl.fcntl(end.fileno(), get_size))
    except OSError:
        return 0


class _Worker:
    """One forked process cutting segments, fed and read through two pipes by the main
    thread itself: no helper threads, so nothing waits for the main thread's turn at the
    interpreter lock while it reads and scans (with a process pool's feeder threads, a
    busy machine made the import twice as slow)."""

    def __init__(self, context: ReadContext) -> None:
        fork = multiprocessing.get_context("fork")
        tasks_out, self.tasks = fork.Pipe(duplex=False)
        self.results, results_in = fork.Pipe(duplex=False)
        self.capacity = _pipe_size(self.tasks, PIPE_BYTES)
        _pipe_size(results_in, PIPE_BYTES)
        self.queued = 0
        self.waiting: deque[int] = deque()  # sizes of the transcripts handed over
        self.ready: deque[tuple[bool, object]] = deque()  # their answers, taken early
        self.process = fork.Process(target=_serve, daemon=True, name="qualkit-cut",
                                    args=(context, tasks_out, results_in,
                                          (self.tasks, self.results)))
        self.process.start()
        tasks_out.close()
        results_in.close()

    def send(self, text: str, turns: list[Turn]) -> int | None:
        """Hand a transcript over; its size in the pipe, or None when it does not fit
        (the main process never waits to send, so the two can never wait on each other)."""
        data = pickle.dumps((text, turns), protocol=pickle.HIGHEST_PROTOCOL)
        if self.queued + len(data) > self.capacity:
            return None
        self.tasks.send_bytes(data)
        self.queued += len(data)
        self.waiting.append(len(data))
        return len(data)

    def behind(self) -> int:
        """How many transcripts handed over are still being cut or waiting to be (the
        segments that have come back are taken from the pipe, without waiting)."""
        while len(self.ready) < len(self.waiting) and self.results.poll():
            self.ready.append(pickle.loads(self.results.recv_bytes()))
        return len(self.waiting) - len(self.ready)

    def receive(self) -> list[Span]:
        """The segments of the oldest transcript handed over."""
        if not self.ready:
            self.ready.append(pickle.loads(self.results.recv_bytes()))
        self.queued -= self.waiting.popleft()
        ok, value = self.ready.popleft()
        if not ok:
            raise RuntimeError(f"the worker failed: {value}")
        return value  # type: ignore[no-any-return]

    def close(self) -> None:
        self.tasks.close()  # the worker's EOF: it ends when it has finished the current one
        self.results.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


PROBE_SECONDS = 0.15
"""How long an import runs alone before it decides whether to start the worker."""


def _cpu_ticks() -> tuple[int, int] | None:
    """(idle, total) clock ticks of all the machine's cores since boot (Linux)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    if len(fields) < 5 or fields[0] != "cpu":
        return None
    ticks = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
    return ticks[3] + ticks[4], sum(ticks)


class _Idle:
    """How many cores other processes leave idle, measured while the import runs alone.

    A worker pays for itself only on a core that would otherwise idle. On a machine busy
    with other work it competes with the import's own process for the same cores, and the
    duplicated work (each tokenizer learns the vocabulary) made a 1M-word import a fifth
    slower. The load average cannot tell: it trails by a minute and counts the import's
    own last run. So the import starts alone, and after its first ``PROBE_SECONDS`` looks
    at how much of the machine sat idle meanwhile (it kept one core busy itself)."""

    def __init__(self) -> None:
        self.start = _cpu_ticks()
        self.began = time.perf_counter()

    def ready(self) -> bool:
        return time.perf_counter() - self.began >= PROBE_SECONDS

    def cores(self) -> float:
        """Idle cores over the probe (every other core, when that cannot be known)."""
        end = _cpu_ticks()
        if self.start is None or end is None or end[1] <= self.start[1]:
            return float(cpus() - 1)
        share = (end[0] - self.start[0]) / (end[1] - self.start[1])
        return share * (os.cpu_count() or 1)


class Reader:
    """Reads planned files in order; with a worker, it cuts each file's segments there
    while the caller stores the previous ones and this process reads the next."""

    def __init__(self, context: ReadContext, workers: int = 0, probe: bool = False) -> None:
        """``probe``: start the worker only if, over the import's first moments, the
        machine has a core to spare (see :class:`_Idle`); otherwise at once."""
        self.context = context
        self.workers = workers
        self.probe = probe
        self.worker: _Worker | None = None

    def __enter__(self) -> Self:
        if self.workers > 0 and not self.probe:
            self.worker = self._start()
        return self

    def _start(self) -> _Worker | None:
        if not sys.platform.startswith("linux") or (
                "fork" not in multiprocessing.get_all_start_methods()):
            return None  # fork elsewhere is either missing or unsafe (macOS)
        try:
            worker = _Worker(self.context)
        except (OSError, ValueError, ImportError) as exc:
            log.info("segmenting in this process: no worker process (%s)", exc)
            return None
        if worker.capacity < PIPE_BYTES // 4:
            worker.close()  # a narrow pipe would make every send wait
            return None
        return worker

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop()

    def _stop(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None

    def read(self, plans: Iterable[Planned], allow_pii: bool
             ) -> Iterator[tuple[Planned, Read | None]]:
        """Each plan with its file read (None for an unchanged file), in order.

        With a worker, files are read up to ``AHEAD`` ahead of the caller and their
        segments cut in the worker meanwhile (not once the gate has found something
        without ``allow_pii``: nothing more will be stored). A file that cannot be read
        still stops the import in its turn: the files before it are handed over first,
        then its error is raised."""
        probe = _Idle() if self.probe and self.workers > 0 and self.worker is None else None
        if self.worker is None and probe is None:
            for plan in plans:
                yield plan, None if plan.unchanged else read_one(
                    self.context, plan.path, plan.rel, segment=False)
            return
        ahead: deque[tuple[Planned, Read | None, int | None]] = deque()
        clean = True
        try:
            for plan in plans:
                if probe is not None and probe.ready():
                    idle = probe.cores()
                    if idle >= 0.5:
                        self.worker = self._start()
                    else:
                        log.info("segmenting in this process: %.1f core(s) idle", idle)
                    probe = None
                got = None if plan.unchanged else read_one(self.context, plan.path, plan.rel,
                                                           segment=False)
                if got is not None and got.found:
                    clean = False
                sent = None
                if (got is not None and (allow_pii or clean) and self.worker is not None
                        and self._behind() < BEHIND):
                    sent = self._send(got)
                ahead.append((plan, got, sent))
                while len(ahead) > AHEAD:
                    yield self._done(*ahead.popleft())
        except QualkitError:
            while ahead:
                yield self._done(*ahead.popleft())
            raise
        while ahead:
            yield self._done(*ahead.popleft())

    def _behind(self) -> int:
        assert self.worker is not None
        try:
            return self.worker.behind()
        except (OSError, EOFError) as exc:  # the worker is gone
            self._fail(exc)
            return 0

    def _send(self, got: Read) -> int | None:
        if self.worker is None:  # it has just failed
            return None
        try:
            return self.worker.send(got.text, got.turns)
        except OSError as exc:  # the worker is gone
            self._fail(exc)
            return None

    def _done(self, plan: Planned, got: Read | None, sent: int | None
              ) -> tuple[Planned, Read | None]:
        if got is None or sent is None:
            return plan, got
        if self.worker is None:  # it failed on an earlier file
            return plan, got
        try:
            spans = self.worker.receive()
        except (OSError, EOFError, RuntimeError) as exc:  # the worker, not the file
            self._fail(exc, plan)
            return plan, got  # the caller cuts it (and the rest) here
        return plan, replace(got, spans=spans)

    def _fail(self, exc: BaseException, plan: Planned | None = None) -> None:
        log.info("the worker failed (%s); segmenting in this process from %s on",
                 type(exc).__name__, plan.path.name if plan is not None else "here")
        self._stop()
