"""A fixed number of slots, each with warm workers started on first use; one session per slot at a time."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from grader.course.assignments import Assignment, get_assignment
from grader.sandbox import isolation
from grader.sandbox.limits import Limits
from grader.sandbox.process import START_TIMEOUT, WorkerProcess
from grader.sandbox.session import DEFAULT_IMPORT_TIMEOUT, Session


class WorkerPool:
    """``slots`` parallel sandboxes. ``kind`` "numpy" or "torch" fixes the worker kind; None picks it per
    assignment (``Assignment.uses_torch``). ``limits`` default to ``Limits.for_kind``. ``hide``: extra
    directories to mask at the ``unshare`` level (bwrap shows nothing it was not told to). ``collapse=False``
    for a pool that grades one student (``grader check``, ``grader ci``): its workers skip the move into huge
    pages, which pays back only over a class's children (``WorkerProcess``)."""

    def __init__(self, kind: str | None = None, slots: int | None = None, limits: Limits | None = None, *,
                 level: str | None = None, import_timeout: float = DEFAULT_IMPORT_TIMEOUT,
                 hide: tuple[str, ...] = (), collapse: bool = True) -> None:
        if kind not in (None, "numpy", "torch"):
            raise ValueError(f"unknown worker kind {kind!r}; use 'numpy' or 'torch'")
        self.kind = kind
        self.slots = max(1, slots or os.cpu_count() or 1)
        self.level = level or isolation.detect().level
        self.import_timeout = import_timeout
        self._limits = limits
        self._hide = tuple(hide)
        self._collapse = collapse
        self._free: queue.Queue[int] = queue.Queue()
        for i in range(self.slots):
            self._free.put(i)
        self._workers: dict[tuple[int, str], WorkerProcess] = {}
        self._lock = threading.Lock()
        self._closed = False

    @property
    def isolation(self) -> isolation.Isolation:
        return isolation.Isolation(self.level, isolation.DESCRIPTIONS[self.level])

    def _worker(self, slot: int, kind: str) -> WorkerProcess:
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            worker = self._workers.get((slot, kind))
            if worker is None:
                worker = self._new_worker(slot, kind)
                self._workers[(slot, kind)] = worker
        return worker

    def _new_worker(self, slot: int, kind: str) -> WorkerProcess:
        return WorkerProcess.for_slot(slot, kind, self.level, self._limits, self._hide, collapse=self._collapse)

    def adopt(self, worker: WorkerProcess, slot: int = 0) -> None:
        """Make ``worker`` (launched ahead, see ``grader.sandbox.early``) slot ``slot``'s worker of its kind.
        It must be the worker this pool would have made there: same level, limits, uid and hidden paths."""
        wanted = self._new_worker(slot, worker.kind)
        made = (worker.level, worker.limits, worker.uid, worker.hide, worker.collapse)
        if made != (wanted.level, wanted.limits, wanted.uid, wanted.hide, wanted.collapse):
            worker.close()
            raise ValueError(f"a worker launched as {made} is not this pool's slot {slot} worker")
        with self._lock:
            if self._closed or (slot, worker.kind) in self._workers:
                worker.close()
                raise RuntimeError(f"the worker pool is closed or already has slot {slot}'s {worker.kind} worker")
            self._workers[(slot, worker.kind)] = worker

    @contextmanager
    def session(self, assignment: Assignment | str, files: dict[str, bytes], *,
                budget: float | None = None) -> Iterator[Session]:
        """A ``Worker`` for one submission; blocks until a slot is free. ``budget``: wall-clock seconds
        for the whole session, after which calls come back TimedOut without running."""
        if isinstance(assignment, str):
            assignment = get_assignment(assignment)
        kind = self.kind or ("torch" if assignment.uses_torch else "numpy")
        slot = self._free.get()
        session = None
        try:
            session = Session(self._worker(slot, kind), assignment, files, import_timeout=self.import_timeout,
                              budget=budget)
            yield session
        finally:
            if session is not None:
                session.close()
            self._free.put(slot)

    def warm_up(self, timeout: float = START_TIMEOUT) -> None:
        """Start every slot's worker now (of the fixed kind, or numpy) rather than on first use, each within
        ``timeout`` seconds (WorkerLost if one does not)."""
        for slot in range(self.slots):
            worker = self._worker(slot, self.kind or "numpy")
            if not worker.running:
                worker.start(timeout)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._workers = list(self._workers.values()), {}
        for worker in workers:
            worker.close()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
