"""CPU seconds of a grading run, split between the grader's processes and the sandboxes, read while it runs.

A run's processes do not all end as children of this one (a judge process's sandbox dies with the judge and is
reaped elsewhere), so the operating system's totals at the end miss some of them. ``CpuMeter`` reads the whole
process tree every ``interval`` seconds instead and keeps each process's latest CPU time (its own, plus its
reaped children's): a sandbox is a process started as ``bwrap`` or ``unshare``, or running the worker's
zygote, with everything under it (the children that ran student code, reaped by the zygote, included).
A process that ended is left to its parent's figure, which holds it once reaped; what a process that ends
unreaped by the tree used is missed: stop the meter before the run's processes end.
Needs psutil (installed with the dev extra).
"""

from __future__ import annotations

import os
import threading
import time

import psutil

SANDBOX_NAMES = ("bwrap", "unshare")


def _is_sandbox(process: psutil.Process) -> bool:
    try:
        return process.name() in SANDBOX_NAMES or any("grader.worker.zygote" in part for part in process.cmdline())
    except psutil.Error:
        return False


def _cpu(times: psutil._common.pcputimes) -> float:
    return times.user + times.system + times.children_user + times.children_system


class CpuMeter(threading.Thread):
    """``grader`` and ``sandbox`` CPU seconds used by this process's tree since ``start()`` (after ``stop()``).

    One read is one pass over the machine's processes (their parent and CPU times, from one ``stat`` file each),
    about 2 ms: the meter itself uses well under 1 % of a core at its default ``interval``, so it does not take
    from the run it measures. (Asking each process for its children, as it did, scans every process once per
    process of the tree: 6 % of a core at a read every 0.25 s.)"""

    def __init__(self, interval: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self._sides: dict[int, bool] = {}  # pid -> whether it is a sandbox's root (read once: /proc is not free)
        self._first: dict[int, float] = {}
        self._last: dict[int, tuple[str, float]] = {}
        self._done = threading.Event()
        self.grader = self.sandbox = 0.0
        self.read_seconds = 0.0  # CPU this meter used reading
        self._read(baseline=True)

    def _read(self, baseline: bool = False) -> None:
        started = time.thread_time()
        children: dict[int, list[int]] = {}
        used: dict[int, float] = {}
        for process in psutil.process_iter(["ppid", "cpu_times"]):
            info = process.info
            if info["cpu_times"] is None:  # ended, or not ours to read
                continue
            children.setdefault(info["ppid"], []).append(process.pid)
            used[process.pid] = _cpu(info["cpu_times"])
        alive: dict[int, tuple[str, float]] = {}
        me = os.getpid()
        todo: list[tuple[int, str]] = [(me, "grader")]
        while todo:
            pid, side = todo.pop()
            if pid not in used:
                continue
            if side == "grader" and self._sides.setdefault(pid, pid != me and _is_sandbox(psutil.Process(pid))):
                side = "sandbox"
            alive[pid] = (side, used[pid])
            self._first.setdefault(pid, used[pid] if baseline else 0.0)
            todo += [(child, side) for child in children.get(pid, [])]
        # only the processes alive now: one that ended was reaped by its parent, whose figure now holds it
        self._last = alive
        self.read_seconds += time.thread_time() - started

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self._read()

    def stop(self) -> None:
        self._done.set()
        self.join()
        self._read()
        totals = {"grader": 0.0, "sandbox": 0.0}
        for pid, (side, used) in self._last.items():
            totals[side] += used - self._first[pid]
        self.grader, self.sandbox = totals["grader"], totals["sandbox"]
