"""CPU seconds of a grading run, split between the grader's processes and the sandboxes, read while it runs.

A run's processes do not all end as children of this one (a judge process's sandbox dies with the judge and is
reaped elsewhere), so the operating system's totals at the end miss some of them. ``CpuMeter`` reads the whole
process tree every ``interval`` seconds instead and keeps each process's latest CPU time (its own, plus its
reaped children's): a sandbox is a process started as ``bwrap`` or ``unshare``, or running the worker's
zygote, with everything under it (the children that ran student code, reaped by the zygote, included).
A process that ended is left to its parent's figure, which holds it once reaped; what a process that ends
unreaped by the tree used is missed: stop the meter before the run's processes end.
Linux only: it reads ``/proc`` itself.
"""

from __future__ import annotations

import os
import threading
import time

SANDBOX_NAMES = ("bwrap", "unshare")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100  # /proc counts CPU time in clock ticks


def _stat(pid: str) -> tuple[str, int, float] | None:
    """A process's name, parent and CPU seconds (user + system, its own and its reaped children's), from its
    ``/proc/PID/stat``; None if it ended meanwhile."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            line = f.read()
    except OSError:
        return None
    name_end = line.rindex(b")")  # the name is in parentheses and may itself hold spaces and parentheses
    fields = line[name_end + 2 :].split()  # from the state on: fields 3, 4, ... of proc(5)
    ticks = int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])  # utime stime cutime cstime
    return line[line.index(b"(") + 1 : name_end].decode(errors="replace"), int(fields[1]), ticks / TICKS


def machine_seconds(path: str = "/proc/stat") -> dict[str, float]:
    """The machine's CPU seconds so far, summed over its cores (the first line of ``/proc/stat``): ``busy`` (user,
    nice, system, irq, softirq: any process or the kernel running), ``idle``, ``iowait`` (idle while something waits
    for the disk) and ``steal`` (taken by the hypervisor for other machines)."""
    with open(path) as f:
        ticks = [int(v) for v in f.readline().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = ticks + [0] * (8 - len(ticks))
    return {"busy": (user + nice + system + irq + softirq) / TICKS, "idle": idle / TICKS, "iowait": iowait / TICKS,
            "steal": steal / TICKS}


def kernel_thread_seconds() -> dict[str, float]:
    """CPU seconds so far of each of the kernel's own threads (children of ``kthreadd``, pid 2), by pid and name."""
    threads = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(entry)) is not None and stat[1] == 2:
            threads[f"{entry} {stat[0]}"] = stat[2]
    return threads


def change(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """``after - before`` for each key read both times (a process that started or ended in between has no figure)."""
    return {key: seconds - before[key] for key, seconds in after.items() if key in before}


def _is_sandbox(pid: int, name: str) -> bool:
    if name in SANDBOX_NAMES:
        return True
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"grader.worker.zygote" in f.read()
    except OSError:
        return False


class CpuMeter(threading.Thread):
    """``grader`` and ``sandbox`` CPU seconds used by this process's tree since ``start()`` (after ``stop()``).

    One read is one pass over the machine's processes (their name, parent and CPU times, from one ``stat`` file
    each), about 1 ms: the meter itself uses well under 1 % of a core at its default ``interval``, so it hardly
    takes from the run it measures (its own CPU is kept in ``read_seconds``)."""

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
        names: dict[int, str] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and (stat := _stat(entry)) is not None:
                pid = int(entry)
                names[pid], parent, used[pid] = stat
                children.setdefault(parent, []).append(pid)
        alive: dict[int, tuple[str, float]] = {}
        me = os.getpid()
        todo: list[tuple[int, str]] = [(me, "grader")]
        while todo:
            pid, side = todo.pop()
            if pid not in used:
                continue
            if side == "grader":
                if pid not in self._sides:  # setdefault would read /proc again at every pass
                    self._sides[pid] = pid != me and _is_sandbox(pid, names[pid])
                if self._sides[pid]:
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
