"""The sandboxed runner: the only part of the grader that runs student code.

Usage::

    from grader.sandbox import WorkerPool, isolation_level

    level, description = isolation_level()          # "bwrap" | "unshare" | "none", and a one-liner
    with WorkerPool(slots=4) as pool:                # kind=None: numpy or torch worker per assignment
        with pool.session("hw2", {"backprop.py": source_bytes}, budget=300) as worker:
            if worker.import_error is not None:      # Raised / TimedOut / Crashed: the whole file fails
                ...
            outcome = worker.call("relu_forward", (X,), {}, timeout=5)   # Returned | Raised | TimedOut | Crashed
            outcome = worker.procedure("train", {...}, timeout=30)
            worker.restart()                         # optional: the next call gets a fresh child
            worker.student_seconds                   # wall time inside student code so far
            worker.imports                           # top-level modules the student's import pulled in

A pool has ``slots`` warm workers per kind, each started once (numpy, or numpy+torch, preloaded; one
thread each). Every session forks a fresh child of a warm worker, so isolating one more submission
costs a fork and the student's own import, not an interpreter start-up. Sessions in different threads
run in parallel, one per slot; ``session`` blocks while all slots are busy. A crash, exit, hang or
garbage reply inside a call costs that call; the next call runs in a fresh child. A notebook
(``mlp_lab.ipynb``) is turned into a module here (``grader.notebook``) before it is sent, and its
tracebacks name cells. ``Limits`` sets memory, processes, file size, output and CPU per child.
Opening sessions on a trivial module measures the per-session overhead (about 10 ms for numpy, 60 ms
for torch workers on the development machine, against ~2 s for a fresh interpreter importing torch).
"""

from grader.sandbox.isolation import Isolation, detect, isolation_level
from grader.sandbox.limits import Limits
from grader.sandbox.pool import WorkerPool
from grader.sandbox.session import Session

__all__ = ["Isolation", "Limits", "Session", "WorkerPool", "detect", "isolation_level"]
