"""A worker pool whose first worker starts at once, in the background, while the caller gets ready to grade.

``grader check`` starts it before it loads the checks, so the worker's start-up (a Python under the sandbox
importing numpy) overlaps the grader's own imports: the first worker's process is launched before anything
here imports numpy (``WorkerProcess.launch`` needs none), and the pool that adopts it is built meanwhile. The
worker is started under bubblewrap straight away: a worker that starts and says it is ready proves the best
level works, so the probe of ``isolation.detect`` runs only when that start fails, and then picks the level
(bwrap, unshare, none, with the same warning) as it always does. The pool's level is fixed before any student
code runs; nothing here is weaker than ``WorkerPool()``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from grader.sandbox import isolation
from grader.sandbox.process import START_TIMEOUT, UNPROBED_START_TIMEOUT, WorkerLost, WorkerProcess

if TYPE_CHECKING:
    from grader.sandbox.pool import WorkerPool


def _started(pool: WorkerPool, timeout: float = START_TIMEOUT) -> bool:
    """Start ``pool``'s workers now, each within ``timeout`` seconds; whether they started (if not, first use
    restarts one and says why)."""
    try:
        pool.warm_up(timeout)
    except WorkerLost:
        return False
    return True


def launch_first(kind: str, *, collapse: bool = True) -> WorkerProcess | None:
    """Slot 0's ``kind`` worker under bubblewrap, its process launched and not waited for; None without
    bubblewrap. Imports no numpy."""
    if isolation.bwrap_binary() is None:
        return None
    worker = WorkerProcess.for_slot(0, kind, "bwrap", collapse=collapse)
    try:
        worker.launch()
    except OSError:  # cannot even be started: the probe decides
        worker.close()
        return None
    return worker


def open_started(slots: int = 1, kind: str | None = None, launched: WorkerProcess | None = None, *,
                 collapse: bool = True) -> WorkerPool:
    """A ``WorkerPool(kind, slots)`` with its workers started (of ``kind``, or numpy). Tries bubblewrap
    first, without the probe (adopting ``launched``, slot 0's worker from ``launch_first``, if given); falls
    back to the detected level when a bwrap worker does not start, or has not within
    ``UNPROBED_START_TIMEOUT`` (a bubblewrap that hangs)."""
    from grader.sandbox.pool import WorkerPool

    if launched is not None or isolation.bwrap_binary() is not None:
        pool = WorkerPool(kind, slots, level="bwrap", collapse=collapse)
        if launched is not None:
            pool.adopt(launched)
        if _started(pool, UNPROBED_START_TIMEOUT):
            return pool
        pool.close()
    pool = WorkerPool(kind, slots, collapse=collapse)  # isolation.detect(): the probe, and the warning when not bwrap
    _started(pool)
    return pool


class EarlyPool:
    """``open_started(slots, kind, collapse=...)`` run on a thread from construction; ``pool()`` waits for it. Close
    what ``pool()`` returns (or call ``close()`` when it is never asked for)."""

    def __init__(self, slots: int = 1, kind: str | None = None, *, collapse: bool = True) -> None:
        self._pool: WorkerPool | None = None
        self._error: BaseException | None = None
        launched = launch_first(kind or "numpy", collapse=collapse)
        self._thread = threading.Thread(target=self._open, args=(slots, kind, launched, collapse),
                                        name="sandbox-early", daemon=True)
        self._thread.start()

    def _open(self, slots: int, kind: str | None, launched: WorkerProcess | None, collapse: bool) -> None:
        try:
            self._pool = open_started(slots, kind, launched, collapse=collapse)
        except BaseException as exc:  # handed to the thread that asks for the pool
            self._error = exc

    def pool(self) -> WorkerPool:
        """The pool, once its workers started (or failed to: then first use says why)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        if self._pool is None:  # _open sets one or the other: this would be a grader bug
            raise RuntimeError("the early pool neither started nor failed")
        return self._pool

    def close(self) -> None:
        self._thread.join()
        if self._pool is not None:
            self._pool.close()
