"""The sandboxed runner: the only part of the grader that runs student code.

Usage::

    from grader.sandbox import WorkerPool, isolation_level

    level, description = isolation_level()          # "bwrap" | "unshare" | "none", and a one-liner
    with WorkerPool(slots=4) as pool:                # kind=None: numpy or torch worker per assignment
        with pool.session("hw2", {"backprop.py": source_bytes}, budget=300) as worker:
            worker.banned                            # banned imports read from the sources before any ran
            if worker.import_error is not None:      # Raised / TimedOut / Crashed: the whole file fails
                ...
            outcome = worker.call("relu_forward", (X,), {}, timeout=5)   # Returned | Raised | TimedOut | Crashed
            outcome.args_after                       # the arguments as the grader read them back
            outcomes = worker.call_many([("relu_forward", (X,), {}, 5), ...])  # one frame, replied to one by one
            outcome = worker.procedure("lab_train", {...}, timeout=30)
            worker.restart()                         # the next call gets a fresh child
            worker.banned_at_run_time                # a child ended by importing torch & co.
            worker.student_seconds                   # wall time waiting for the child so far (not encoding)
            worker.isolation_seconds                 # wall time waiting for children to be forked and ended

A pool has ``slots`` warm workers per kind, each started once (numpy, or numpy+torch, preloaded; one
thread each). Every session forks a fresh child of a warm worker, so isolating one more submission
costs a fork and the student's own import, not an interpreter start-up. Sessions in different threads
run in parallel, one per slot; ``session`` blocks while all slots are busy. A crash, exit, hang or
garbage reply inside a call costs that call; the next call runs in a fresh child. ``call_many`` sends
several calls in one frame: the child runs them in turn and replies to each as it ends; each call is timed
from the previous reply and has its own timeout, and the calls after one that ended the child do not run.
Their arguments share one memory file, read back once all have ended, so a caller that judges the read-back
arguments of a call makes it the last of its frame (``grader.suites.ahead``).

Why a verdict cannot be bought from inside. Once a child has imported the student's module, everything
in that process is the student's: they can replace any function, class or table in it, including the
grader's own worker code. So nothing that judges runs there, and nothing the child reports about itself
counts. A verdict rests only on
- values the student's functions returned, carried as data (a frame of JSON and ``.npy`` arrays read
  with ``allow_pickle=False``, validated field by field; never unpickled, never evaluated); and
- what is observed outside the child: the arguments as they are in memory the grader owns after the call
  (``shared_args``: an in-place change cannot be hidden by a forged report), how the child ended (its
  exit status or signal, from the zygote, which runs no student code: a banned import ends the child with
  a status of its own), and what the child said *before* any student code ran (its report on the files:
  the notebook's cells, the banned imports found by reading the sources).
The child's view holds no judging code: of the grader package it sees only ``grader.protocol`` (the frame
format), ``grader.worker`` and ``grader.data`` (``isolation.WORKER_VIEW``); checks, suites, references,
held-out data and compiled copies of them are covered. What the child computes about its own objects (a
lab model's layers, a flag it sets) may at most choose a hint from the catalogue, never earn a point.

Nothing survives a child. Each runs under a uid of its own (as root), a seccomp filter refuses the kernel
objects that outlive a process (SysV IPC, POSIX message queues, keyrings) and new namespaces or mounts
(``grader.worker.seccomp``), its memory limit is address space (every mapping counts, shared or not), and
when it ends the zygote kills everything it started and wipes its scratch folder. A notebook is turned into
a module inside the child, before any student code runs (``grader.worker.notebook``), so a hostile file
costs that child's limits, not the grader's. ``Limits`` sets memory, processes, file size, output and CPU
per child. Opening and closing sessions on a warm pool measures the per-session overhead (about 7 ms for
numpy, 20 ms for torch workers on the development machine, against ~2 s for a fresh interpreter importing torch).
"""

from typing import TYPE_CHECKING, Any

from grader.sandbox.isolation import Isolation, detect, isolation_level
from grader.sandbox.limits import Limits

if TYPE_CHECKING:
    from grader.sandbox.pool import WorkerPool
    from grader.sandbox.session import Session


def __getattr__(name: str) -> Any:
    """``WorkerPool`` and ``Session`` on first use: they import numpy, which a worker launched before them
    (``grader.sandbox.early``) need not wait for."""
    if name == "WorkerPool":
        from grader.sandbox.pool import WorkerPool

        return WorkerPool
    if name == "Session":
        from grader.sandbox.session import Session

        return Session
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["Isolation", "Limits", "Session", "WorkerPool", "detect", "isolation_level"]
