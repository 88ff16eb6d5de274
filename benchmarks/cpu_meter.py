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

import threading

import psutil

SANDBOX_NAMES = ("bwrap", "unshare")


def _is_sandbox(process: psutil.Process) -> bool:
    try:
        return process.name() in SANDBOX_NAMES or any("grader.worker.zygote" in part for part in process.cmdline())
    except psutil.Error:
        return False


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system + times.children_user + times.children_system


class CpuMeter(threading.Thread):
    """``grader`` and ``sandbox`` CPU seconds used by this process's tree since ``start()`` (after ``stop()``)."""

    def __init__(self, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self._sides: dict[int, bool] = {}  # pid -> whether it is a sandbox's root (read once: /proc is not free)
        self._first: dict[int, float] = {}
        self._last: dict[int, tuple[str, float]] = {}
        self._done = threading.Event()
        self.grader = self.sandbox = 0.0
        self._read(baseline=True)

    def _read(self, baseline: bool = False) -> None:
        alive: dict[int, tuple[str, float]] = {}
        todo: list[tuple[psutil.Process, str]] = [(psutil.Process(), "grader")]
        while todo:
            process, side = todo.pop()
            if side == "grader" and self._sides.setdefault(process.pid, _is_sandbox(process)):
                side = "sandbox"
            try:
                used = _cpu(process)
                children = process.children()
            except psutil.Error:
                continue
            alive[process.pid] = (side, used)
            self._first.setdefault(process.pid, used if baseline else 0.0)
            todo += [(child, side) for child in children]
        # only the processes alive now: one that ended was reaped by its parent, whose figure now holds it
        self._last = alive

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
