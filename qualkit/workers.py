"""Work spread over the machine's cores, in order, with a bounded backlog.

Reading a corpus is CPU work in pure Python, so a second core only helps in a second
process. :func:`ordered_map` keeps a few items in flight per worker (memory stays flat
however long the input) and yields results in input order, so the caller's bookkeeping
and what it stores are the same as with one process. Small jobs run in-process: starting
workers costs more than it saves below a few tens of thousands of segments.

On Linux the workers are forked, and inherit what the parent has already loaded (the
lemma tables, the compiled codebook); elsewhere they are spawned and an initializer
rebuilds it. Workers ignore Ctrl-C: the parent stops them, and reports the interruption
once instead of once per process.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

JOBS_ENV = "QUALKIT_JOBS"
MAX_JOBS = 4
BACKLOG_PER_WORKER = 2
PARENT_CHECK_SECONDS = 0.5


def configured_jobs() -> int | None:
    """The worker processes the user asked for with ``QUALKIT_JOBS``, if any."""
    configured = os.environ.get(JOBS_ENV, "").strip()
    return int(configured) if configured.isdigit() and int(configured) > 0 else None


def default_jobs() -> int:
    """Worker processes to use: ``QUALKIT_JOBS`` when set, else the usable cores (at
    most :data:`MAX_JOBS`)."""
    configured = configured_jobs()
    if configured is not None:
        return configured
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_JOBS))


def _exit_with(parent: int) -> None:
    """End this worker once its parent is gone. A worker waits on a pipe whose writing
    end its forked siblings also hold, so a parent killed outright (SIGKILL, the OOM
    killer) would otherwise leave it waiting for ever, holding the terminal's output."""
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


def _start(setup: Callable[..., None] | None, args: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
    gc.disable()  # results are plain data without cycles; collection only costs time
    if setup is not None:
        setup(*args)


def ordered_map(func: Callable[[T], R], items: Iterable[T], *, jobs: int,
                setup: Callable[..., None] | None = None, setup_args: tuple[Any, ...] = ()
                ) -> Iterator[R]:
    """``map(func, items)`` over ``jobs`` processes (in-process when ``jobs`` is 1).

    ``func`` and ``setup`` must be module-level functions; ``setup(*setup_args)`` runs once
    in each worker before its first item."""
    if jobs <= 1:
        yield from map(func, items)
        return
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    method = "fork" if sys.platform == "linux" else "spawn"
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(method),
                               initializer=_start, initargs=(setup, setup_args))
    pending: deque[Future[R]] = deque()
    finished = False
    try:
        for item in items:
            pending.append(pool.submit(func, item))
            if len(pending) >= BACKLOG_PER_WORKER * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
        finished = True
    finally:
        # Idle workers end at once and are waited for; after an error or an interruption
        # nothing is waited for.
        pool.shutdown(wait=finished, cancel_futures=not finished)
