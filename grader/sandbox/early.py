"""A worker pool whose first worker starts at once, in the background, while the caller gets ready to grade.

``grader check`` starts it before it loads the checks, so the worker's start-up (a Python under the sandbox
importing numpy) overlaps the grader's own imports. The worker is started under bubblewrap straight away:
a worker that starts and says it is ready proves the best level works, so the probe of ``isolation.detect``
runs only when that start fails, and then picks the level (bwrap, unshare, none, with the same warning) as
it always does. The pool's level is fixed before any student code runs; nothing here is weaker than
``WorkerPool()``.
"""

from __future__ import annotations

import threading

from grader.sandbox import isolation
from grader.sandbox.pool import WorkerPool
from grader.sandbox.process import WorkerLost


def _started(pool: WorkerPool) -> bool:
    """Start ``pool``'s workers now; whether they started (if not, first use restarts one and says why)."""
    try:
        pool.warm_up()
    except WorkerLost:
        return False
    return True


def open_started(slots: int = 1, kind: str | None = None) -> WorkerPool:
    """A ``WorkerPool(kind, slots)`` with its workers started (of ``kind``, or numpy). Tries bubblewrap
    first, without the probe; falls back to the detected level when a bwrap worker does not start."""
    if isolation.bwrap_binary() is not None:
        pool = WorkerPool(kind, slots, level="bwrap")
        if _started(pool):
            return pool
        pool.close()
    pool = WorkerPool(kind, slots)  # isolation.detect(): the probe, and the warning when not bwrap
    _started(pool)
    return pool


class EarlyPool:
    """``open_started(slots, kind)`` run on a thread from construction; ``pool()`` waits for it. Close what
    ``pool()`` returns (or call ``close()`` when it is never asked for)."""

    def __init__(self, slots: int = 1, kind: str | None = None) -> None:
        self._pool: WorkerPool | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._open, args=(slots, kind), name="sandbox-early", daemon=True)
        self._thread.start()

    def _open(self, slots: int, kind: str | None) -> None:
        try:
            self._pool = open_started(slots, kind)
        except BaseException as exc:  # handed to the thread that asks for the pool
            self._error = exc

    def pool(self) -> WorkerPool:
        """The pool, once its workers started (or failed to: then first use says why)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._pool is not None
        return self._pool

    def close(self) -> None:
        self._thread.join()
        if self._pool is not None:
            self._pool.close()
