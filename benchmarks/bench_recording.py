"""Benchmark: how fast the coordinator records graded submissions in the gradebook (one SQLite transaction
each), which caps a cluster run however many workers it has.

Records ``--students`` students x every assignment into a fresh gradebook, each submission with as many rows
as its real suite (public and hidden checks), and prints the milliseconds per recorded submission and the
students per second that this allows (every student has one submission per assignment).

    .venv/bin/python benchmarks/bench_recording.py                 # 500 students
    .venv/bin/python benchmarks/bench_recording.py --students 100  # a quick try
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from grader.course.assignments import ASSIGNMENTS
from grader.pipeline.gradebook import Gradebook
from grader.pipeline.results import CheckResult
from grader.suites import load_checks


def rows_for(student: str, assignment: str, ids: list[str]) -> list[CheckResult]:
    """One submission's rows: every check passed, with a message of a typical length."""
    return [CheckResult(student, assignment, check_id, check_id.split(".")[1], 1.0, 1.0, "pass",
                        "values match the reference", 0.01) for check_id in ids]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=500, help="students to record (default 500)")
    args = parser.parse_args(argv)
    suites = {key: [c.id for c in load_checks(key, include_hidden=True)] for key in ASSIGNMENTS}
    with tempfile.TemporaryDirectory(prefix="bench-recording-") as tmp, Gradebook(Path(tmp)) as book:
        run_id = book.start_run(["bench"])
        start = time.perf_counter()
        for number in range(args.students):
            student = f"s{number:05d}"
            for key, ids in suites.items():
                book.record(run_id, student, key, f"{number}-{key}", "suite", None, rows_for(student, key, ids))
        seconds = time.perf_counter() - start
    submissions = args.students * len(suites)
    per_submission = seconds / submissions
    print(f"recorded {submissions} submissions ({args.students} students x {len(suites)} assignments, "
          f"{sum(map(len, suites.values()))} rows a student) in {seconds:.1f} s")
    print(f"  {1000 * per_submission:.1f} ms per submission, {1 / per_submission:.0f} submissions a second: "
          f"a run records at most {1 / (per_submission * len(suites)):.0f} students a second")
    return 0


if __name__ == "__main__":
    sys.exit(main())
