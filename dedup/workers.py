"""Worker processes that cannot hang a run when one of them dies.

``multiprocessing.Pool`` replaces a worker that dies, but the task it was running is lost and
whoever waits for that result waits forever: a worker killed by the kernel's out-of-memory killer
(or by hand) would hang the run with no message. So every wait here is a short wait in a loop,
and between waits the pool's workers are checked: if one of them has exited, the run stops with
:class:`~dedup.errors.WorkerError` (one line, non-zero exit; the previous output is intact since
nothing is published before the last result is in).

Workers also ask the kernel (Linux ``PR_SET_PDEATHSIG``) to kill them when the main process dies,
so a main process killed with SIGKILL does not leave workers computing for nobody.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from itertools import islice
from typing import Any

from .errors import WorkerError

#: Seconds between checks of the workers while a result is awaited.
POLL = 0.25


def _die_with_parent(parent: int) -> None:
    """Linux: have the kernel SIGKILL this worker when the process that forked it ends."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - no prctl
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


#: Signals a worker is forked with blocked, and unblocks once its initializer has set its own
#: handlers: until then it would take them with the main process's (SIGTERM raising
#: KeyboardInterrupt), so a run stopped as its pool started printed a worker's exception header.
HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _start_worker(parent: int, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    _die_with_parent(parent)
    initializer(*initargs)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD_SIGNALS)  # one held meanwhile arrives now


def _run_chunk(func: Callable[[Any], Any], chunk: list[Any]) -> list[Any]:
    return [func(task) for task in chunk]


def _how(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit status {exitcode}"


class QuietPool(multiprocessing.pool.Pool):
    """``multiprocessing.Pool`` whose worker-maintenance thread sleeps until there is work for it.

    The stock pool wakes that thread whenever a result is waiting in the result pipe, and the
    thread then loops (polling every worker's status) until the result thread has read the result
    out. Sketch batches are about a hundred kilobytes, so on the 100k scale corpus with two workers
    that thread used 5.3 s of CPU, about a sixth of the main process's (the run's wall time did not
    measurably change on two cores; the CPU was waste all the same).

    The thread has no use for results: it replaces dead workers (each worker's sentinel wakes it)
    and notices shutdown and an emptied cache (the pool's change notifier wakes it). So it waits on
    those alone, as ``multiprocessing.pool.ThreadPool`` already does.
    """

    def _get_sentinels(self) -> list[Any]:
        return [self._change_notifier._reader]  # type: ignore[attr-defined]


class WatchedPool:
    """A ``multiprocessing.Pool`` whose results are awaited in short waits, checking the workers between."""

    def __init__(self, jobs: int, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
        # fork where there is one: workers start at once and work from any __main__ (a script on
        # stdin, a notebook); spawn re-imports __main__, which fails there. dedup starts no threads
        # before this.
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        # The workers (and the pool's threads, which fork replacements) start with HELD_SIGNALS
        # blocked; this process unblocks them right after, and one that came meanwhile is delivered then.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS) if hasattr(signal, "pthread_sigmask") else None
        try:
            self._pool = QuietPool(jobs, initializer=_start_worker, initargs=(os.getpid(), initializer, initargs),
                                   context=multiprocessing.get_context(method))
        finally:
            if held is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)
        self._seen: dict[int, Any] = {}
        self._note_workers()

    def _note_workers(self) -> None:
        # Pool keeps its live workers in ``_pool`` (a private attribute, stable since Python 2.7)
        # and drops a dead one within a tenth of a second: remember every worker ever seen.
        for worker in list(getattr(self._pool, "_pool", ())):
            self._seen.setdefault(worker.pid, worker)

    def check(self) -> None:
        """Raise :class:`WorkerError` if a worker has died (a pool never ends a worker on its own)."""
        self._note_workers()
        for pid, worker in sorted(self._seen.items()):
            if worker.exitcode is not None:
                raise WorkerError(
                    f"worker process {pid} died ({_how(worker.exitcode)}) while cleaning; stopped, and the "
                    "previous output is intact. If memory is short (the kernel kills the largest process), "
                    "rerun with fewer --jobs")

    def imap(self, func: Callable[[Any], Any], tasks: Iterable[Any], chunksize: int = 1) -> Iterator[Any]:
        """``Pool.imap``, submitted at once, its results awaited with checks.

        Chunks are made here: ``Pool.imap`` with a chunk size returns a plain generator, whose
        waits cannot be bounded.
        """
        it = iter(tasks)
        chunks = iter(lambda: list(islice(it, chunksize)), [])
        return self._watch(self._pool.imap(partial(_run_chunk, func), chunks))

    def _watch(self, results: Any) -> Iterator[Any]:
        while True:
            try:
                values = results.next(POLL)
            except multiprocessing.TimeoutError:
                self.check()
                continue
            except StopIteration:
                return
            yield from values

    def terminate(self) -> None:
        """``Pool.terminate``, which can block forever when a worker died holding the task queue's
        lock (an idle worker waits for tasks holding it): after a few seconds the workers are
        killed and the run goes on; the stuck helper thread is a daemon and dies with the process."""
        import threading

        stopper = threading.Thread(target=self._pool.terminate, daemon=True)
        stopper.start()
        stopper.join(5)
        if stopper.is_alive():
            self._note_workers()
            for worker in self._seen.values():
                if worker.exitcode is None:
                    worker.kill()
            stopper.join(5)
