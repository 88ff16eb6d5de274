"""``grader check [ASSIGNMENT ...] [--path DIR|FILE] [--failed-only]``: a student's own check on the public checks.

Finds the file in DIR (default: the current folder) itself, or in the course layout below it
(``assignments/hw2_backprop/backprop.py``), or takes the FILE named, runs it in the same sandbox as the real
grading, and prints one line per function with what to fix (``grader.exports.terminal``). Exit code 0 when
every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course.assignments import ASSIGNMENTS, SUBMISSION_FILES, Assignment
from grader.errors import UserError
from grader.pipeline.blas import one_thread_from_the_start
from grader.pipeline.requirements import missing_requirement

if TYPE_CHECKING:
    from grader.pipeline.results import CheckResult

HELP = "check your work on the public checks (e.g. `grader check hw2`)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignments", nargs="*", type=_assignment, metavar="ASSIGNMENT",
                        help=f"one or more of {', '.join(ASSIGNMENTS)} (default: every one found)")
    parser.add_argument("--path", type=Path, default=Path("."),
                        help="folder holding your work, or the file itself (default: here)")
    parser.add_argument("--failed-only", action="store_true", help="list only the functions that fail a check")


def _assignment(key: str) -> str:
    # not argparse's choices=: with nargs="*" it rejects the empty default before Python 3.12
    if key not in ASSIGNMENTS:
        raise argparse.ArgumentTypeError(f"invalid choice: {key!r} (choose from {', '.join(ASSIGNMENTS)})")
    return key


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


def find_work(path: Path, keys: list[str]) -> tuple[Path, dict[str, Path]]:
    """(the folder, {assignment: its file}) for ``--path``: a folder searched for ``keys``' files, or one
    hand-in file (named like one of the course's)."""
    if path.is_dir():
        return path, {key: found for key in keys if (found := locate(ASSIGNMENTS[key], path)) is not None}
    if not path.exists() and not path.is_symlink():
        raise UserError(f"--path {path}: no such file or folder")
    key = SUBMISSION_FILES.get(path.name)
    if key is None:
        names = ", ".join(SUBMISSION_FILES)
        raise UserError(f"--path {path}: not a homework file; name the folder holding your work, or one of {names}")
    if key not in keys:
        raise UserError(f"--path {path} is {key}'s file, not {' or '.join(keys)}'s")
    return path.parent, {key: path}


def run(args: argparse.Namespace) -> int:
    keys = list(dict.fromkeys(args.assignments)) or list(ASSIGNMENTS)
    folder, found = find_work(args.path, keys)
    if not found:
        names = " or ".join(ASSIGNMENTS[k].filename for k in keys)
        raise UserError(
            f"no {names} in {folder.resolve()} or its assignments/ folder; "
            "run this from your course folder, or point at your work with --path"
        )
    for key in args.assignments:  # asked for by name: an error; found, not asked for: a note (check_found)
        if missing := missing_requirement(key):
            raise UserError(missing)
    one_thread_from_the_start()  # the grader's own arrays are small, as in the sandbox
    results = check_found(found, folder, failed_only=args.failed_only)
    return 1 if any(r.status != "pass" for r in results) or not results else 0


def check_found(found: dict[str, Path], folder: Path, *, failed_only: bool = False) -> list[CheckResult]:
    """Grade each found file on the public checks and print its table, then the total; the rows."""
    skipped = [key for key in found if missing_requirement(key)]  # found, not asked for: said, not graded
    graded = {key: path for key, path in found.items() if key not in skipped}
    results = _grade_and_print(graded, folder, failed_only) if graded else []
    for key in skipped:
        print(f"\n{key}  {found[key]}  not checked: {missing_requirement(key)}")
    if results:
        from grader.exports.terminal import closing_line

        print(f"\n{closing_line(results)}")
    return results


def _grade_and_print(found: dict[str, Path], folder: Path, failed_only: bool) -> list[CheckResult]:
    """The sandbox's worker starts first, in the background (``grader.sandbox.early``); the grading library
    is imported and the checks are loaded meanwhile (hence the imports here, not at the top)."""
    from grader.sandbox.early import EarlyPool

    torch_only = all(ASSIGNMENTS[key].uses_torch for key in found)
    # None: a worker of each kind as needed; one hand-in forks too few children for huge pages to pay back
    early = EarlyPool(slots=1, kind="torch" if torch_only else None, collapse=False)
    try:
        from grader.exports.terminal import print_table
        from grader.pipeline.discover import own_submission
        from grader.pipeline.engine import grade_one
        from grader.pipeline.resources import SandboxSessions, default_references
        from grader.suites import load_checks

        submissions = [own_submission(key, path, folder) for key, path in found.items()]
        checks = {sub.assignment: load_checks(sub.assignment, include_hidden=False) for sub in submissions}
        references = default_references(across_students=False)
        pool = early.pool()
    except BaseException:
        early.close()
        raise
    results: list[CheckResult] = []
    with pool:
        if pool.level != "bwrap":  # weaker than the real grading's: say so
            print(f"isolation: {pool.level}: {pool.isolation.description}\n")
        for number, sub in enumerate(submissions):
            graded = grade_one(sub, checks[sub.assignment], SandboxSessions(pool), references, "")
            print("\n" if number else "", end="")
            print_table(sub.assignment, sub.source, graded.results, failed_only=failed_only)
            results += graded.results
    return results

