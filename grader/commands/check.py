"""``grader check [ASSIGNMENT] [--path DIR]``: a student's own check of their work on the public checks.

Finds the file in DIR (default: the current folder) itself, or in the course layout below it
(``assignments/hw2_backprop/backprop.py``), runs it in the same sandbox as the real grading, and prints
one line per check with what to fix. Exit code 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import shutil
import textwrap
from pathlib import Path

from grader.course.assignments import ASSIGNMENTS, Assignment
from grader.errors import UserError
from grader.pipeline.discover import Submission, own_submission
from grader.pipeline.engine import grade_one
from grader.pipeline.resources import default_references, isolation_level, sandbox_sessions
from grader.pipeline.results import CheckResult
from grader.reports.safe_text import one_line
from grader.suites import load_checks

HELP = "check your work on the public checks (e.g. `grader check hw2`)"
INDENT = " " * 6
STATUS_MARK = {"pass": "pass", "fail": "FAIL", "error": "ERROR", "timeout": "TIMEOUT"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", nargs="?", choices=list(ASSIGNMENTS), help="default: every one found")
    parser.add_argument("--path", type=Path, default=Path("."), help="folder holding your work (default: here)")


def locate(assignment: Assignment, folder: Path) -> Path | None:
    """The assignment's file in ``folder`` itself, or in the course layout below it."""
    for candidate in (
        folder / assignment.filename,
        folder / assignment.folder / assignment.filename,
        folder / "assignments" / assignment.folder / assignment.filename,
    ):
        if candidate.is_file() or candidate.is_symlink():  # a link is found, to be refused by name
            return candidate
    return None


def run(args: argparse.Namespace) -> int:
    folder: Path = args.path
    if not folder.is_dir():
        raise UserError(f"--path {folder}: no such folder")
    keys = [args.assignment] if args.assignment else list(ASSIGNMENTS)
    found = {key: path for key in keys if (path := locate(ASSIGNMENTS[key], folder)) is not None}
    if not found:
        names = " or ".join(ASSIGNMENTS[k].filename for k in keys)
        raise UserError(
            f"no {names} in {folder.resolve()} or its assignments/ folder; "
            "run this from your course folder, or point at your work with --path"
        )
    submissions = [own_submission(key, path, folder) for key, path in found.items()]
    references = default_references()
    failed = False
    with sandbox_sessions(slots=1) as open_session:
        print(f"isolation: {isolation_level()}")
        for sub in submissions:
            graded = grade_one(sub, load_checks(sub.assignment, include_hidden=False), open_session, references, "")
            print_table(sub, graded.results)
            failed |= any(r.status != "pass" for r in graded.results) or not graded.results
    return 1 if failed else 0


def print_table(sub: Submission, results: list[CheckResult]) -> None:
    """One line per check (target, check, points, status) and what to fix under each one that did not pass."""
    width = shutil.get_terminal_size((100, 20)).columns
    print(f"\n{sub.assignment}: {one_line(sub.source)}")
    if not results:
        print("  no public checks for this assignment yet")
        return
    target_width = max(len(r.target) for r in results)
    case_width = max(len(_case(r)) for r in results)
    for r in results:
        points = f"{r.points:g}/{r.max_points:g}"
        print(f"  {r.target:<{target_width}}  {_case(r):<{case_width}}  {points:>7}  {STATUS_MARK[r.status]}")
        if r.status != "pass" and r.message:
            message = one_line(r.message)  # it quotes the student's code: no escape sequence reaches the terminal
            print(textwrap.fill(message, width=max(60, width - 2), initial_indent=INDENT, subsequent_indent=INDENT))
    earned, total = sum(r.points for r in results), sum(r.max_points for r in results)
    passed = sum(r.status == "pass" for r in results)
    print(f"  total {earned:g}/{total:g} points ({100 * earned / total:.0f} %), {passed} of {len(results)} checks pass")


def _case(result: CheckResult) -> str:
    """The check's own part of its id (``hw2.linear_backward.public.shapes`` -> ``shapes``)."""
    return result.check_id.split(".", 3)[3]
