"""Profile a whole hw2 class run on both sides of the sandbox: where a student's time goes.

Grades a generated class (``bench_grading.make_class``) on hw2 with its public and hidden checks, as
``grader grade --only hw2`` grades it (a warm pool, ``grade_many``), twice:

- ``--jobs 1``, while a sampler thread reads the grading thread's stack every millisecond and charges the
  wall and CPU time since the last sample to the phase of the outermost recognised frame (py-spy's method,
  in-process): the grader side per student and phase;
- ``--jobs N`` (when N > 1), as a class is graded: CPU seconds of the grader's processes (this one and its
  judge processes) and of the sandboxes (the workers and every child they forked), read while it runs
  (``cpu_meter.CpuMeter``), and the core time left: ``wall x N - grader CPU - sandbox CPU``, idle or taken
  by other load on the machine.

    .venv/bin/python benchmarks/profile_hw2.py                 # 30 students, --jobs 1 and 2
    .venv/bin/python benchmarks/profile_hw2.py --jobs 1 --students 12
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_grading import SECRET, make_class  # noqa: E402
from cpu_meter import CpuMeter  # noqa: E402

from grader.pipeline.discover import discover  # noqa: E402
from grader.pipeline.engine import grade_many  # noqa: E402
from grader.pipeline.resources import default_references, sandbox_sessions  # noqa: E402
from grader.suites import load_checks  # noqa: E402

# (phase, function names that mark it), outermost concern first: a sample goes to the first phase any frame
# of its stack belongs to, so the finite differences' reference calls count as finite differences.
PHASES: tuple[tuple[str, frozenset[str]], ...] = (
    ("fork + send files + import (session start)", frozenset({"Session._ensure_child", "WorkerProcess.spawn"})),
    ("end of a child (reap, wipe scratch)", frozenset({"Session._end_child"})),
    ("waiting for the sandbox (student calls)", frozenset({"recv_frame", "_recv_exact"})),
    ("finite differences", frozenset({"numeric_gradient", "numeric_gradients"})),
    ("mistake variants", frozenset({"variants"})),
    ("reference answers", frozenset({"LiveReferences.__call__", "CachedReferences.__call__", "Context.reference"})),
    ("encoding, shared memory", frozenset({"send_frame", "encode", "decode_payload", "SharedArgs.__init__",
                                           "SharedArgs.read_back", "SharedArgs.__exit__", "Session._outcome"})),
    ("judging (compare, match)", frozenset({"compare", "match", "judge_value", "gradient_mismatch",
                                             "mismatch_verdict", "_same", "right_given_own"})),
    ("making inputs", frozenset({"_inputs", "make_context"})),
)
OTHER = "bookkeeping (suite order, rows, vocabulary)"


def phase_of(frame) -> str | None:
    """The phase of a grading thread's stack, or None when it is not grading (idle in the pool)."""
    names: list[str] = []
    grading = False
    while frame is not None:
        names.append(getattr(frame.f_code, "co_qualname", frame.f_code.co_name))  # qualified from 3.11
        grading = grading or frame.f_code.co_name == "grade_one"
        frame = frame.f_back
    if not grading:
        return None
    found = set(names)
    for phase, marks in PHASES:
        if found & marks:
            return phase
    return OTHER


class Sampler(threading.Thread):
    """Every ``interval`` seconds, the phase of every other thread that is grading, charged with the wall
    seconds since the previous sample and the CPU seconds that thread used meanwhile (its own CPU clock).
    A sample waits for the GIL: the switch interval is cut to a tenth of a millisecond meanwhile, so a
    thread in pure Python is caught where it is rather than where it next releases the GIL (a system
    call), which would charge its Python work to that call."""

    def __init__(self, interval: float = 0.001) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.wall: Counter[str] = Counter()
        self.cpu: Counter[str] = Counter()
        self._stop_event = threading.Event()

    def run(self) -> None:
        me = threading.get_ident()
        switch = sys.getswitchinterval()
        sys.setswitchinterval(1e-4)
        clocks: dict[int, float] = {}
        try:
            last = time.perf_counter()
            while not self._stop_event.wait(self.interval):
                now = time.perf_counter()
                for ident, frame in sys._current_frames().items():
                    if ident == me:
                        continue
                    cpu = _thread_cpu(ident)
                    used, clocks[ident] = cpu - clocks.get(ident, cpu), cpu
                    phase = phase_of(frame)
                    if phase is not None:
                        self.wall[phase] += now - last
                        self.cpu[phase] += used
                last = now
        finally:
            sys.setswitchinterval(switch)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _thread_cpu(ident: int) -> float:
    """CPU seconds thread ``ident`` has used (0 where the platform cannot say)."""
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(ident))
    except (AttributeError, OSError):
        return 0.0


def grade(root: Path, jobs: int, sample: bool) -> dict:
    """Grade the class's hw2 as ``grader grade --only hw2 --jobs N`` does, on a warm pool; with ``sample`` the
    grading threads of this process are sampled by phase."""
    subs = discover(root, ["hw2"])
    checks = load_checks("hw2", include_hidden=True)
    references = default_references()
    with sandbox_sessions(jobs) as open_session:
        for _ in range(jobs):  # the workers start before timing: a class run pays that once
            with open_session("hw2", subs[0].files):
                pass
        sampler = Sampler()
        meter = CpuMeter()
        start = time.perf_counter()
        meter.start()
        if sample:
            sampler.start()
        graded = []
        for one in grade_many(subs, lambda key: checks, open_session, references, SECRET, jobs=jobs, progress=False):
            graded.append(one)
            if len(graded) == len(subs):  # before the judges and their sandboxes end
                meter.stop()
                wall = time.perf_counter() - start
        if sample:
            sampler.stop()
    return {"n": len(subs), "wall": wall, "grader_cpu": meter.grader, "sandbox_cpu": meter.sandbox,
            "wall_by_phase": sampler.wall, "cpu_by_phase": sampler.cpu, "checks": len(checks),
            "student_seconds": sum(g.student_seconds for g in graded)}


def report_phases(p: dict) -> None:
    n = p["n"]
    print(f"hw2, {n} students x {p['checks']} checks, --jobs 1: {1000 * p['wall'] / n:.1f} ms per student")
    print("  grader side, per student and phase (sampled): wall time, and CPU time")
    for phase, seconds in p["wall_by_phase"].most_common():
        print(f"  {1000 * seconds / n:8.2f} ms wall  {1000 * p['cpu_by_phase'][phase] / n:8.2f} ms CPU  {phase}")
    report_cpu(p, 1)


def report_cpu(p: dict, jobs: int) -> None:
    n, wall = p["n"], p["wall"]
    idle = max(0.0, wall * jobs - p["grader_cpu"] - p["sandbox_cpu"])
    print(f"  CPU per student: grader processes {1000 * p['grader_cpu'] / n:.1f} ms, sandboxes "
          f"{1000 * p['sandbox_cpu'] / n:.1f} ms, idle (or taken by other load) {1000 * idle / n:.1f} ms, of "
          f"{1000 * wall * jobs / n:.1f} core-ms ({jobs} x {1000 * wall / n:.1f} ms wall)")
    print(f"  cores used: {(p['grader_cpu'] + p['sandbox_cpu']) / wall:.2f} of {jobs}; grader processes alone "
          f"{p['grader_cpu'] / wall:.2f}; wall time inside student calls {1000 * p['student_seconds'] / n:.1f} ms "
          "per student")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="profile-hw2-") as tmp:
        root = Path(tmp) / "class"
        make_class(root, args.students)
        report_phases(grade(root, 1, sample=True))
        if args.jobs > 1:
            p = grade(root, args.jobs, sample=False)
            print(f"hw2, the same class, --jobs {args.jobs}: {1000 * p['wall'] / p['n']:.1f} ms per student")
            report_cpu(p, args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
