"""Benchmark: grade a generated class and compare with the naive way, a fresh ``python -m pytest`` per student.

The class mixes correct students (the references laid out as hand-ins) and students with one to three
classic mistakes (``grader.authoring.samples.MUTATIONS``). From one run it prints, for hw2 alone and for the whole
course, each figure with what it measures:

- the grading phase (``grade_many`` as ``grader grade --jobs N`` runs it: judge processes for N > 1, workers
  started inside the timing) per student and per submission;
- cores used: CPU seconds of the grader's processes and of the sandboxes (read while the run goes,
  ``cpu_meter``) over wall seconds;
- core utilisation: seconds spent inside student calls / (wall seconds x N), a call's seconds being the time the
  grader waits for the child (sending it the request and receiving the reply; the grader's encoding and decoding of
  them are not in it: ``Session.student_seconds``), and where the rest of the slot time went: per assignment, the
  part of its submissions' time outside student calls, and the time outside any; and per assignment a typical
  submission's (the median) beside the two largest, which carry what a run pays once (a worker of each judge
  starting; for the lab, torch and the reference training);
- the isolation overhead per submission: the same class against an empty suite on a warm pool, one session at a
  time (sandbox session and import only);
- the naive way: the same checks in a fresh interpreter per student (importing numpy, torch for the lab, the
  references and the checks), N at a time, timed whole; the ratio naive / grading phase, with the naive run's
  parallelism beside it; for hw2 also ``--jobs 1`` against the naive way one at a time.

Student code and checks are the same on both sides; the naive way has no start-up to leave out, so its whole time
is its grading phase. Run on a quiet machine: other load shows up as cores not used.

    .venv/bin/python benchmarks/bench_grading.py                   # 120 students (naive way: the first 30)
    .venv/bin/python benchmarks/bench_grading.py --students 12     # a quick try
    .venv/bin/python benchmarks/bench_grading.py --skip-course     # hw2 alone
    .venv/bin/python benchmarks/bench_grading.py --only lab --skip-naive  # one or more assignments instead
    .venv/bin/python benchmarks/bench_grading.py --naive-students 0  # the whole class the naive way too
    .venv/bin/python benchmarks/bench_grading.py --cluster local:2 --skip-naive  # and on a Dask LocalCluster

With ``--cluster local:N`` the same class is also graded on a Dask ``LocalCluster`` of N worker processes
(one thread each, ``grader grade --cluster local:N``'s way), timed from the first task on like the local
run (the cluster's start-up and its workers' one-time set-up are printed apart): the ratio cluster / local,
and the scheduling overhead per submission, as slot time, (cluster wall - local wall) x slots / submissions,
and as CPU time, (cluster CPU - local CPU) / submissions, counting every process of the run (wall time
swings with other load on the machine, CPU time much less). Its rows must equal the local ones.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from cpu_meter import CpuMeter, change, kernel_thread_seconds, machine_seconds

from grader.authoring.samples import MUTATIONS, mutate, reference_submission, write_submission
from grader.course.assignments import ASSIGNMENTS, REPO_ROOT
from grader.pipeline.discover import discover
from grader.pipeline.engine import grade_many
from grader.pipeline.resources import default_references, isolation_level, sandbox_sessions
from grader.suites import load_checks

SECRET = "benchmark-secret"
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")
NAIVE_TEST = '''"""Naive grading of one student: the same checks, run in this fresh interpreter."""
import os
import sys
from pathlib import Path

import pytest

sys.path[:0] = [os.environ["BENCH_STUDENT"], os.environ["BENCH_TESTS"]]
from inprocess_worker import InProcessWorker, load_module  # noqa: E402

from grader.course.assignments import ASSIGNMENTS  # noqa: E402
from grader.checks.references import LiveReferences  # noqa: E402
from grader.suites.runner import run_check  # noqa: E402
from grader.suites import load_checks  # noqa: E402

STUDENT = Path(os.environ["BENCH_STUDENT"])
KEYS = os.environ["BENCH_ONLY"].split(",")
CHECKS = [c for key in KEYS for c in load_checks(key, include_hidden=True)]
REFERENCES = LiveReferences()
_workers = {}


def worker(key):
    if key not in _workers:
        path = STUDENT / ASSIGNMENTS[key].filename
        if path.suffix == ".ipynb":
            from grader.worker.notebook import notebook_to_source
            source = STUDENT / "_notebook_module.py"
            source.write_text(notebook_to_source(path.read_bytes()).source)
            path = source
        _workers[key] = InProcessWorker(module=load_module(path))
    return _workers[key]


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_check(check):
    verdict = run_check(check, worker(check.assignment), REFERENCES, os.environ["BENCH_SECRET"])
    assert verdict.status == "pass", verdict.message
'''


def make_class(root: Path, students: int, seed: int = 0) -> None:
    """``students`` folders: every third one correct, the others with one to three mistakes."""
    rng = np.random.default_rng(seed)
    correct = reference_submission()
    for i in range(students):
        picked = [MUTATIONS[k] for k in rng.choice(len(MUTATIONS), size=rng.integers(1, 4), replace=False)]
        # one mistake per line of code: two mutations of the same line cannot both apply
        chosen = () if i % 3 == 0 else tuple({(m[1], m[2]): m[0] for m in picked}.values())
        write_submission(root / f"student{i:04d}", mutate(correct, chosen))


def grade_class(root: Path, only: list[str], jobs: int, empty_suite: bool = False) -> dict:
    """Grade the class as ``grader grade --jobs N`` does (judge processes when N > 1); timed from the first
    session, so worker start-up counts, until the last submission is back. With ``empty_suite`` the pool is
    warmed first and grading stays on this process's threads: what remains is the cost of isolating one more
    hand-in. CPU is read while the run goes (``cpu_meter``), split between grader and sandbox processes, and the
    machine's own figures beside it (``machine_seconds``: what it did with the cores meanwhile)."""
    subs = discover(root, only)
    checks = {key: [] if empty_suite else load_checks(key, include_hidden=True) for key in only}
    answers = tempfile.TemporaryDirectory(dir=root.parent, prefix="answers-")  # a first run: none stored yet
    references = default_references(answers=Path(answers.name))  # shared by the judges, as grader grade shares
    with answers, sandbox_sessions(jobs) as open_session:
        if empty_suite:
            _warm_up(open_session, subs, jobs)
            open_session = _on_threads(open_session)
        meter = CpuMeter()
        start = time.perf_counter()
        meter.start()
        machine, kernel = machine_seconds(), kernel_thread_seconds()
        graded = []
        for one in grade_many(subs, checks.__getitem__, open_session, references, SECRET, jobs=jobs, progress=False):
            graded.append(one)
            if len(graded) == len(subs):  # read before the judges and their sandboxes end
                wall = time.perf_counter() - start
                machine, kernel = change(machine, machine_seconds()), change(kernel, kernel_thread_seconds())
                meter.stop()
    return summary(graded, wall, len(subs), meter.grader + meter.sandbox) | {
        "grader_cpu": meter.grader, "sandbox_cpu": meter.sandbox, "meter_cpu": meter.read_seconds, "machine": machine,
        "kernel": kernel}


def _on_threads(open_session):
    """The same sessions, not recognisable as ``sandbox_sessions``' own: ``grade_many`` keeps them on threads."""
    return lambda assignment, files, **options: open_session(assignment, files, **options)


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and every process under it, running or reaped (the sandboxes,
    and a LocalCluster's workers with theirs); unlike wall time, hardly changed by other load on the machine.
    NaN without psutil (installed with the cluster extra)."""
    try:
        import psutil
    except ImportError:
        return float("nan")
    me = psutil.Process()
    total = 0.0
    for process in [me, *me.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:  # it ended between the listing and now; its parent counts it once reaped
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def summary(graded: list, wall: float, n: int, cpu: float) -> dict:
    # key -> [submissions, seconds in grade_one, in student calls, waiting for children to be forked and ended]
    by_assignment: dict[str, list[float]] = {}
    outside: dict[str, list[float]] = {}  # key -> each submission's seconds outside student calls
    for g in graded:
        counts = by_assignment.setdefault(g.submission.assignment, [0, 0.0, 0.0, 0.0])
        counts[0] += 1
        counts[1] += g.seconds
        counts[2] += g.student_seconds
        counts[3] += g.isolation_seconds
        outside.setdefault(g.submission.assignment, []).append(g.seconds - g.student_seconds)
    return {
        "n": n,
        "wall": wall,
        "cpu": cpu,
        "student_seconds": sum(g.student_seconds for g in graded),
        "rows": sum(len(g.results) for g in graded),
        "table": sorted((r.student, r.check_id, r.points, r.status, r.message) for g in graded for r in g.results),
        "by_assignment": by_assignment,
        "outside": outside,
    }


def grade_on_local_cluster(root: Path, only: list[str], address: str) -> dict:
    """The class on a fresh ``LocalCluster``, graded as ``grade_class`` grades it (same secret, suites and
    budgets). Timed like ``grade_class`` from the first task on, so the sandboxes' start-up counts; the
    cluster's processes starting and the workers' set-up (sandbox probe, suites, fingerprints) are apart."""
    from grader.cluster.connect import connect
    from grader.cluster.coordinator import prepared
    from grader.cluster.wire import GradingPlan
    from grader.pipeline.config import CourseConfig
    from grader.pipeline.gradebook import suite_hash

    subs = discover(root, only)
    config = CourseConfig(secret=SECRET)
    hashes = {key: suite_hash(load_checks(key, include_hidden=True), config) for key in only}
    plan = GradingPlan(config, tuple(only), include_hidden=True, fresh_public=False, hashes=hashes)
    start = time.perf_counter()
    with connect(address) as client:
        started = time.perf_counter()
        with prepared(client, plan) as workers:
            ready, cpu = time.perf_counter(), cpu_seconds()
            graded = list(workers.grade(subs, progress=False))
            wall, cpu = time.perf_counter() - ready, cpu_seconds() - cpu
    return summary(graded, wall, len(subs), cpu) | {"startup": started - start, "setup": ready - started}


def _warm_up(open_session, subs: list, jobs: int) -> None:
    """Start every slot's workers before timing, so the empty-suite run measures only the cost of
    isolating one more hand-in, not worker start-up."""
    for key in sorted({s.assignment for s in subs}):
        first = next(s for s in subs if s.assignment == key)
        for _ in range(jobs):  # the pool hands out slots in turn
            with open_session(first.assignment, first.files):
                pass


def naive_class(root: Path, only: list[str], jobs: int, limit: int) -> dict:
    """A fresh ``python -m pytest`` per student on the same checks, ``jobs`` at a time."""
    students = sorted(p for p in root.iterdir() if p.is_dir())[:limit]
    test_file = root.parent / "naive" / "test_naive.py"
    test_file.parent.mkdir(exist_ok=True)
    test_file.write_text(NAIVE_TEST)

    def one(student: Path) -> int:
        # One thread per process, as in the sandbox: `jobs` interpreters share the cores.
        env = (
            os.environ
            | dict.fromkeys(THREAD_VARS, "1")
            | {
                "BENCH_STUDENT": str(student),
                "BENCH_TESTS": str(REPO_ROOT / "tests"),
                "BENCH_ONLY": ",".join(only),
                "BENCH_SECRET": SECRET,
            }
        )
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(test_file.parent),
            str(test_file),
        ]
        return subprocess.run(command, env=env, capture_output=True, cwd=test_file.parent).returncode

    start = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        codes = list(pool.map(one, students))
    wall = time.perf_counter() - start
    if any(code not in (0, 1) for code in codes):
        print(f"  warning: naive pytest exit codes {sorted(set(codes))} (2+ means it could not run)")
    return {"n": len(students), "wall": wall}


def report_cluster(address: str, graded: dict, cluster: dict) -> None:
    slots = int(address.split(":")[1])
    n = cluster["n"]
    same = "yes" if cluster["table"] == graded["table"] else "NO"
    ratio = cluster["wall"] / graded["wall"]
    print(
        f"  cluster {address}  {cluster['wall']:7.2f} s wall   cluster / local: {ratio:4.2f}x"
        f"   rows identical to local: {same}   (apart: {cluster['startup']:.1f} s to start its processes, "
        f"{cluster['setup']:.1f} s to set up its workers)"
    )
    print(
        f"  scheduling overhead per submission: {1000 * (cluster['wall'] - graded['wall']) * slots / n:6.1f} ms of "
        f"slot time, {1000 * (cluster['cpu'] - graded['cpu']) / n:6.1f} ms of CPU "
        f"(CPU per submission: {1000 * graded['cpu'] / n:.0f} ms local, {1000 * cluster['cpu'] / n:.0f} ms cluster; "
        f"CPU cluster / local: {cluster['cpu'] / graded['cpu']:4.2f}x)"
    )


def report_slot_time(graded: dict, jobs: int) -> None:
    """Where the slot time (wall x N) that student calls did not use went: per assignment, the rest of its
    submissions' time (the grader's side of the checks, sessions and children starting and ending), and the time
    outside any submission (judges and workers starting, hand-over, slots idle at the end)."""
    slots = graded["wall"] * jobs
    inside = sum(seconds for _, seconds, _, _ in graded["by_assignment"].values())
    parts = ", ".join(f"{key} {1000 * (seconds - student) / count:.0f} ms per submission ({seconds - student:.1f} s)"
                      for key, (count, seconds, student, _) in sorted(graded["by_assignment"].items()))
    print(f"  slot time not in student calls, --jobs {jobs}: {slots - graded['student_seconds']:.1f} of {slots:.1f} s; "
          f"inside submissions: {parts}; outside any submission: {slots - inside:.1f} s")
    forks = ", ".join(f"{key} {1000 * isolation / count:.1f} ms per submission ({isolation:.1f} s)"
                      for key, (count, _, _, isolation) in sorted(graded["by_assignment"].items()))
    print(f"  of the time inside submissions, waiting for children to be forked and ended (the isolation): {forks}")
    # a typical hand-in, and the two that paid for what a run pays once (workers starting)
    typical = ", ".join(f"{key} {1000 * statistics.median(times):.0f} ms (largest: "
                        f"{', '.join(f'{1000 * t:.0f}' for t in sorted(times)[-2:])})"
                        for key, times in sorted(graded["outside"].items()))
    print(f"  per submission, median time not in student calls: {typical}")


def report_machine(graded: dict, jobs: int) -> None:
    """What the machine did with its cores during the run, from its own counters (``/proc/stat``, all cores): idle
    (some of it waiting for the disk), taken by the hypervisor (steal), and busy in neither the grader's processes
    nor the sandboxes (other processes and the kernel's own threads: the machine's CPU less the run's, read by
    the meter). With as many jobs as cores, the slot time is the cores' time, and these are the part of the slot
    time not in student calls that the run did not spend itself."""
    machine = graded.get("machine")
    if not machine:
        return
    others = max(0.0, machine["busy"] - graded["grader_cpu"] - graded["sandbox_cpu"])
    busiest = max(graded.get("kernel", {}).items(), key=lambda item: item[1], default=None)
    named = f", the busiest kernel thread {busiest[0].split(' ', 1)[1]} {busiest[1]:.1f} s" if busiest else ""
    print(f"  the machine's {os.cpu_count()} cores meanwhile: idle {machine['idle'] + machine['iowait']:.1f} s "
          f"({machine['iowait']:.1f} s of it waiting for the disk), taken by the hypervisor {machine['steal']:.1f} s, "
          f"busy outside the run {others:.1f} s (other processes and kernel threads{named}); "
          f"slot time {graded['wall'] * jobs:.1f} s")


TARGET_UTILISATION = 0.90  # the whole course's target


def report_utilisation_gap(graded: dict, jobs: int, cores: float, target: float) -> None:
    """Below ``target``: the wall the same student calls would need to reach it, and the CPU that is about, at the
    cores the run used, beside the CPU not spent in student calls (the processes' CPU less the seconds in calls)."""
    student = graded["student_seconds"]
    if student >= target * graded["wall"] * jobs:
        return
    less = graded["wall"] - student / (target * jobs)
    outside = graded["grader_cpu"] + graded["sandbox_cpu"] - student
    print(f"  to reach {100 * target:.0f} %: {student / (target * jobs):.1f} s wall at most, {less:.1f} s less; at "
          f"{cores:.2f} cores, about {less * cores:.1f} s less of the {outside:.1f} s of CPU not in student calls")


def report(label: str, students: int, graded: dict, empty: dict, naive: dict | None, jobs: int,
           serial: dict | None = None, naive_serial: dict | None = None) -> None:
    """Each figure says what it measures; every ratio names the naive run's parallelism beside it."""
    n = graded["n"]
    per_student = graded["wall"] / students
    overhead = empty["wall"] / empty["n"]
    utilisation = graded["student_seconds"] / (graded["wall"] * jobs)
    cores = (graded["grader_cpu"] + graded["sandbox_cpu"]) / graded["wall"]
    print(f"\n{label}: {students} students, {n} submissions, {graded['rows']} rows")
    print(
        f"  grading phase, --jobs {jobs}: {graded['wall']:7.2f} s wall   {students / graded['wall']:6.2f} students/s   "
        f"{1000 * per_student:7.1f} ms per student   {1000 * graded['wall'] / n:7.1f} ms per submission"
    )
    print(
        f"  cores used, --jobs {jobs}: {cores:4.2f} of {jobs} (CPU of the grader's processes "
        f"{graded['grader_cpu']:.1f} s + sandboxes {graded['sandbox_cpu']:.1f} s, over {graded['wall']:.1f} s wall; "
        f"the meter reading them used {graded['meter_cpu']:.2f} s of it)"
    )
    print(
        f"  core utilisation, --jobs {jobs}: {100 * utilisation:5.1f} % "
        f"({graded['student_seconds']:.1f} s in student calls / ({graded['wall']:.1f} s wall x {jobs} cores))"
    )
    report_utilisation_gap(graded, jobs, cores, TARGET_UTILISATION)
    report_slot_time(graded, jobs)
    report_machine(graded, jobs)
    print(
        f"  isolation overhead (empty suite, warm pool, one session at a time): {1000 * overhead:5.1f} ms per "
        f"submission ({empty['wall']:.2f} s wall for {empty['n']})"
    )
    if naive:
        naive_per = naive["wall"] / naive["n"]
        print(
            f"  naive, a fresh pytest per student, {jobs} at a time: {1000 * naive_per:7.1f} ms per student "
            f"({naive['wall']:.1f} s wall for {naive['n']})   naive ({jobs} at a time) / grading phase "
            f"(--jobs {jobs}): {naive_per / per_student:5.1f}x"
        )
    if serial and naive_serial:
        serial_per = serial["wall"] / students
        naive_serial_per = naive_serial["wall"] / naive_serial["n"]
        print(
            f"  grading phase, --jobs 1: {1000 * serial_per:7.1f} ms per student; naive, one at a time: "
            f"{1000 * naive_serial_per:7.1f} ms per student   naive (1 at a time) / grading phase (--jobs 1): "
            f"{naive_serial_per / serial_per:5.1f}x"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=120, help="class size (default 120)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel sandboxes (default: cores)")
    parser.add_argument(
        "--naive-students", type=int, default=30, help="grade the first N the naive way (default 30; 0: all)"
    )
    parser.add_argument("--skip-naive", action="store_true", help="leave out the naive comparison")
    parser.add_argument("--skip-course", action="store_true", help="hw2 alone, not the whole course")
    parser.add_argument("--cluster", default=None, metavar="local:N", help="also grade on a Dask LocalCluster")
    parser.add_argument("--only", default=None, metavar="A,B", help="these assignments instead of hw2 alone and the "
                        "whole course (e.g. lab or hw3,lab)")
    args = parser.parse_args(argv)
    only_keys = None if args.only is None else [key.strip() for key in args.only.split(",") if key.strip()]
    if only_keys is not None and (not only_keys or any(key not in ASSIGNMENTS for key in only_keys)):
        parser.error(f"--only takes assignments among {', '.join(ASSIGNMENTS)}, separated by commas")
    if args.cluster is not None and not (args.cluster.startswith("local:") and args.cluster[6:].isdigit()):
        parser.error("--cluster takes local:N (N worker processes on this machine)")
    if args.cluster is not None and int(args.cluster[6:]) != args.jobs:
        print(f"note: {args.jobs} local jobs against {args.cluster}: the ratio compares unequal numbers of slots")
    print(f"isolation: {isolation_level()}; {args.jobs} jobs on {os.cpu_count()} cores; {args.students} students")
    with tempfile.TemporaryDirectory(prefix="bench-class-") as tmp:
        root = Path(tmp) / "class"
        make_class(root, args.students)
        parts = (("hw2 alone", ["hw2"]),) + (() if args.skip_course else (("whole course", list(ASSIGNMENTS)),))
        if only_keys is not None:
            parts = ((f"{', '.join(only_keys)} alone", only_keys),)
        for label, only in parts:
            graded = grade_class(root, only, args.jobs)
            empty = grade_class(root, only, 1, empty_suite=True)
            naive = serial = naive_serial = None
            limit = args.naive_students or args.students
            if not args.skip_naive:
                naive = naive_class(root, only, args.jobs, limit)
            if only == ["hw2"] and args.jobs > 1:
                serial = grade_class(root, only, 1)
                if not args.skip_naive:
                    naive_serial = naive_class(root, only, 1, limit)
            report(label, args.students, graded, empty, naive, args.jobs, serial, naive_serial)
            if args.cluster:
                report_cluster(args.cluster, graded, grade_on_local_cluster(root, only, args.cluster))
    return 0


if __name__ == "__main__":
    sys.exit(main())
