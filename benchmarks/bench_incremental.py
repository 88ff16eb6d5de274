"""What a rerun costs when little or nothing changed, measured whole, command against command.

    .venv/bin/python benchmarks/bench_incremental.py [--students 120] [--only hw1,hw2,hw3,lab] [--runs 5]
    .venv/bin/python benchmarks/bench_incremental.py --only-check [--runs 20]

Grades the generated benchmark class (``bench_grading.make_class``) once, untimed, then prints from this one
run, each figure the median of ``--runs`` whole-process timings taken in turn with its yardstick (A B A B ...,
so that a drift of the machine's speed hits both):

- a rerun of ``grader grade`` with nothing to grade, against ``python -c "import pandas"`` (target < 2x);
- ``grader check hw2`` on a correct ``backprop.py``, against ``python -c "import numpy"`` (target < 4x);
- a rerun after one student fixed one file: the whole command, and what it regraded (only that submission);
- a rerun after one student changed the lab notebook, with the slow reference answers the first run stored and
  without them (the grader then imports torch to train the hand-in's initial weights again);
- the reports of a 300-student gradebook (``class_gradebook.copy_class``), timed in this process: the first
  build, a rebuild after one student's hand-in and hw2 points changed (the median of ``--runs`` such
  rebuilds, a different student each), each also in CPU seconds of this process (less swayed by other load),
  and the check that finds them current (what a rerun with nothing to do pays).

``--only-check`` measures ``grader check hw2`` alone (no class is generated or graded): it takes seconds. The
figures are wall time; ``--only-check`` adds CPU time: each command's own and that of the children it waited
for. The sandboxed worker is killed, never waited for, so its CPU (about one numpy import and a fork per
session) is not in the figure. ``--only-reports`` times the reports alone: the 300-student gradebook is then
made from a class of ``--report-source`` students (12 by default) graded first.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_grading import SECRET, make_class  # noqa: E402
from class_gradebook import copy_class, random_module  # noqa: E402

from grader.course.assignments import REPO_ROOT  # noqa: E402
from grader.pipeline.config import load_course_config  # noqa: E402
from grader.reports import freshness  # noqa: E402
from grader.reports.build import write_reports  # noqa: E402
from grader.reports.similarity import _normalise_trusted  # noqa: E402

BIN = Path(sys.executable).parent


def children_cpu() -> float:
    """CPU seconds (user and system) of every child process waited for so far, and of theirs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_whole(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of ``command`` run whole, and what it printed."""
    cpu = children_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return seconds, children_cpu() - cpu, done.stdout


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    seconds, _, printed = run_whole(command, env)
    return seconds, printed


def paired(a: list[str], b: list[str], runs: int, env: dict[str, str]) -> tuple[float, float, float]:
    """Medians of A and B run in turn (after one warm-up of each), and the median of the ratios A/B."""
    return paired_wall_cpu(a, b, runs, env)[0]


Medians = tuple[float, float, float]


def paired_wall_cpu(a: list[str], b: list[str], runs: int, env: dict[str, str]) -> tuple[Medians, Medians]:
    """``paired``'s medians of wall time, and the same of CPU time."""
    run_whole(a, env), run_whole(b, env)
    pairs = [(run_whole(a, env), run_whole(b, env)) for _ in range(runs)]
    wall = [(x[0], y[0]) for x, y in pairs]
    cpu = [(x[1], y[1]) for x, y in pairs]
    return tuple(  # type: ignore[return-value]
        (statistics.median(p[0] for p in figures), statistics.median(p[1] for p in figures),
         statistics.median(p[0] / p[1] for p in figures))
        for figures in (wall, cpu)
    )  # fmt: skip


def check_command(work: Path) -> list[str]:
    """``grader check hw2`` on a correct ``backprop.py`` (the reference's) in a folder of ``work``."""
    mine = work / "mine"
    mine.mkdir()
    shutil.copy(REPO_ROOT / "reference" / "backprop_np.py", mine / "backprop.py")
    return [str(BIN / "grader"), "check", "hw2", "--path", str(mine)]


def report_check(work: Path, runs: int, env: dict[str, str], cpu: bool) -> None:
    """``grader check hw2`` against ``python -c "import numpy"``, with bytecode caches as an installed grader
    has them (numpy's were compiled at its install; the grader's are written by the warm-up run even where
    ``PYTHONDONTWRITEBYTECODE`` is set, which would have it compile every module on every run)."""
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    (a, b, ratio), (a_cpu, b_cpu, ratio_cpu) = paired_wall_cpu(check_command(work), [sys.executable, "-c",
                                                                "import numpy"], runs, env)  # fmt: skip
    print(f"grader check hw2 (correct file): {a:.2f} s; python -c 'import numpy' {b:.2f} s: {ratio:.2f}x "
          "(target < 4x)")  # fmt: skip
    if cpu:
        print(f"  in CPU time (the sandboxed worker's not counted): {a_cpu:.2f} s; python -c 'import numpy' "
              f"{b_cpu:.2f} s: {ratio_cpu:.2f}x")


def report_rebuild(graded_out: Path, work: Path, students: int, runs: int = 1) -> dict[str, float]:
    """Seconds to build the reports of a ``students`` class: first, after one hand-in changed (the median of
    ``runs``, a different student each), when current."""
    out = work / "out300"
    copy_class(graded_out, out, students)
    config = load_course_config()
    start, cpu = time.perf_counter(), time.process_time()
    write_reports(out, config)
    first, first_cpu = time.perf_counter() - start, time.process_time() - cpu
    rebuilds, rebuilds_cpu = [], []
    for n in range(runs):
        student = f"s{(7 + 10 * n) % students:04d}"
        text = random_module(np.random.default_rng(99 + n))  # one student hands in new code, and loses hw2's points
        filtered, offsets = _normalise_trusted(text)
        with sqlite3.connect(out / "gradebook.sqlite") as db:
            db.execute("UPDATE sources SET text = ?, filtered = ?, offsets = ? WHERE student = ? AND assignment = "
                       "'hw2'", (text, filtered, offsets.tobytes(), student))  # fmt: skip
            db.execute("UPDATE results SET points = 0 WHERE student = ? AND assignment = 'hw2'", (student,))
        start, cpu = time.perf_counter(), time.process_time()
        written = write_reports(out, config)
        rebuilds.append(time.perf_counter() - start)
        rebuilds_cpu.append(time.process_time() - cpu)
    after_one = statistics.median(rebuilds)
    freshness.remember(out, freshness.digest(out, config), written, [])
    start = time.perf_counter()
    current = freshness.unchanged(out, freshness.digest(out, config)) is not None
    check = time.perf_counter() - start
    if not current:
        raise SystemExit("the reports just written are not found current")
    return {"first": first, "after one change": after_one, "current check": check, "first cpu": first_cpu,
            "after one change cpu": statistics.median(rebuilds_cpu)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    sys.stdout.reconfigure(line_buffering=True)  # each figure as soon as it is measured
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=120)
    parser.add_argument("--report-students", type=int, default=300)
    parser.add_argument("--only", default="hw1,hw2,hw3,lab", help="what the class is graded on (default: all)")
    parser.add_argument("--runs", type=int, default=5, help="pairs of timings per figure (default: 5)")
    parser.add_argument("--only-check", action="store_true", help="measure grader check hw2 alone, wall and CPU")
    parser.add_argument("--only-reports", action="store_true", help="time the reports of a large class only")
    parser.add_argument("--report-source", type=int, default=12, help="with --only-reports: students graded first")
    args = parser.parse_args(argv)
    env = {**os.environ, "GRADER_SECRET": SECRET}
    if args.only_reports:
        return reports_only(args, env)
    grader = [str(BIN / "grader")]
    with tempfile.TemporaryDirectory(prefix="bench-incremental-") as tmp:
        work = Path(tmp)
        if args.only_check:
            report_check(work, args.runs, env, cpu=True)
            return 0
        root, out = work / "class", work / "out"
        make_class(root, args.students)
        grade = [*grader, "grade", str(root), "--out", str(out), "--only", args.only, "--quiet"]
        seconds, _ = timed(grade, env)
        print(f"class: {args.students} students, {args.only}, graded once in {seconds:.0f} s (not timed below)")

        a, b, ratio = paired(grade, [sys.executable, "-c", "import pandas"], args.runs, env)
        print(f"no-op rerun of grader grade: {a:.2f} s; python -c 'import pandas' {b:.2f} s: {ratio:.2f}x "
              "(target < 2x)")  # fmt: skip

        report_check(work, args.runs, env, cpu=False)

        correct = (root / "student0000" / "backprop.py").read_bytes()  # every third student is correct
        fixed = next(p for p in sorted(root.glob("*/backprop.py")) if p.read_bytes() != correct)
        fixed.write_bytes(correct)
        seconds, printed = timed(grade, env)
        said = [line.strip() for line in printed.splitlines() if "grading " in line or line.startswith("  ")]
        print(f"rerun after one student's fix of backprop.py: {seconds:.2f} s; " + " | ".join(said))
        report_lab_edit(root, out, grade, env)

        print_reports(report_rebuild(out, work, args.report_students, args.runs), args.report_students)
    return 0


def edit_notebook(path: Path, comment: str) -> None:
    """Add a comment line to the notebook's first graded cell: a new hand-in, graded the same."""
    notebook = json.loads(path.read_text())
    cell = next(c for c in notebook["cells"] if "graded" in (c.get("metadata", {}).get("tags") or []))
    cell["source"] = [*cell["source"], f"\n# {comment}"]
    path.write_text(json.dumps(notebook))


def report_lab_edit(root: Path, out: Path, grade: list[str], env: dict[str, str]) -> None:
    """A rerun after one student changed the lab notebook: with the slow reference answers the first run stored
    (``OUT/.grader-cache/answers``, the grader's training of the hand-in's initial weights), then without them."""
    notebook = root / "student0003" / "mlp_lab.ipynb"
    figures = []
    for n, stored in enumerate((True, False)):
        edit_notebook(notebook, f"edit {n}")
        if not stored:
            shutil.rmtree(out / ".grader-cache" / "answers", ignore_errors=True)
        seconds, cpu, printed = run_whole(grade, env)
        regraded = [line.strip() for line in printed.splitlines() if line.startswith("  ")]
        figures.append(f"{seconds:.2f} s ({cpu:.2f} s CPU), regraded {', '.join(regraded) or 'nothing'}")
    print(f"rerun after one student changed the lab notebook: {figures[0]}; without the stored reference answers: "
          f"{figures[1]}")


def reports_only(args: argparse.Namespace, env: dict[str, str]) -> int:
    """The report figures alone, from a small class graded first (untimed)."""
    import pandas  # noqa: F401  (imported before any timing, as a grading run has it)

    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        work = Path(tmp)
        root, out = work / "class", work / "out"
        make_class(root, args.report_source)
        grade = [str(BIN / "grader"), "grade", str(root), "--out", str(out), "--only", args.only, "--quiet"]
        seconds, _ = timed(grade, env)
        print(f"source class: {args.report_source} students, {args.only}, graded once in {seconds:.0f} s (not timed)")
        print_reports(report_rebuild(out, work, args.report_students, args.runs), args.report_students)
    return 0


def print_reports(costs: dict[str, float], students: int) -> None:
    print(f"reports for {students} students (in-process): first build {costs['first']:.2f} s "
          f"(CPU {costs['first cpu']:.2f} s), rebuild after one hand-in changed {costs['after one change']:.2f} s "
          f"(median; CPU {costs['after one change cpu']:.2f} s), "
          f"finding them current {costs['current check'] * 1000:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
