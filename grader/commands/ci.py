"""``grader ci``: grade a checked-out student repository on push (GitHub Actions) or on Gradescope.

Grades every assignment file found under ``--path`` (as ``grader check`` finds them) through the same
engine, prints the same table, and writes what the platform reads: ``results.json`` (Gradescope) and
``junit.xml`` in ``--results-dir``, a Markdown summary appended to ``$GITHUB_STEP_SUMMARY`` when set, and
``::error`` annotations on the failing functions' lines. Exit code 1 when the score is under
``--fail-under`` percent, else 0.

Public checks only, unless ``--hidden`` (or ``GRADER_HIDDEN_DIR`` and ``GRADER_SECRET`` set in the
environment: hidden checks kept outside the repository), which needs the course secret.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from grader.checks.references import MissingRecording, RecordedReferences
from grader.commands.check import find_work
from grader.commands.grade import parse_only
from grader.course.assignments import ASSIGNMENTS
from grader.errors import UserError
from grader.exports.github import error_annotations, step_summary, workflow_commands_paused
from grader.exports.gradescope import write_gradescope_results
from grader.exports.junit import write_junit
from grader.exports.terminal import print_table
from grader.pipeline.config import ConfigError, apply_overrides, load_course_config
from grader.pipeline.discover import Submission, content_hash, own_submission
from grader.pipeline.engine import DEFAULT_SUBMISSION_TIMEOUT, grade_many
from grader.pipeline.resources import default_references, isolation_level, sandbox_sessions
from grader.pipeline.results import CheckResult
from grader.suites import HIDDEN_DIR_ENV, hidden_available, hidden_dir, load_checks

HELP = "grade this repository for CI (GitHub Actions, Gradescope): score, summary, results.json, exit code"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--path", type=Path, default=Path("."),
                        help="the checked-out work, a folder or one hand-in file (default: here)")
    parser.add_argument("--only", default=None,
                        help="comma-separated assignments to grade; a missing file then scores 0 (default: all found)")
    parser.add_argument("--fail-under", type=float, default=0.0, metavar="PERCENT",
                        help="exit with 1 when the score is under PERCENT (default: 0, never)")
    parser.add_argument("--results-dir", type=Path, default=Path("grading-results"),
                        help="where results.json and junit.xml go (default: grading-results/)")
    parser.add_argument("--hidden", action="store_true", help="also grade hidden checks (needs the course secret)")


def wants_hidden(flag: bool) -> bool:
    """Hidden checks when asked for, or when the CI environment provides them and the secret."""
    return flag or bool(os.environ.get(HIDDEN_DIR_ENV) and os.environ.get("GRADER_SECRET"))


def find_submissions(path: Path, only: list[str] | None) -> list[Submission]:
    """One submission per assignment file found at ``path`` (a folder, or one hand-in file); with ``only``,
    one per named assignment, missing or not."""
    keys = only or list(ASSIGNMENTS)
    folder, located = find_work(path, keys if path.is_dir() else list(ASSIGNMENTS))
    found = []
    for key in keys:
        if key in located:
            found.append(own_submission(key, located[key], folder))
        elif only:
            error = f"not submitted: no {ASSIGNMENTS[key].filename} in {folder}"
            found.append(Submission("you", key, {}, content_hash({}, error), None, error))
    return found


def run(args: argparse.Namespace) -> int:
    folder: Path = args.path
    if not 0 <= args.fail_under <= 100:
        raise UserError(f"--fail-under {args.fail_under:g}: give a percent between 0 and 100")
    try:
        config = load_course_config()
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    hidden = wants_hidden(args.hidden)
    try:
        available = hidden_available()
    except RuntimeError as exc:  # GRADER_HIDDEN_DIR names no folder
        raise UserError(str(exc)) from None
    if hidden and not available:
        raise UserError(f"no hidden checks here: grade in the instructor's repository, or set {HIDDEN_DIR_ENV}")
    if hidden and not config.secret:
        raise UserError("hidden checks need the course secret: set GRADER_SECRET")
    submissions = find_submissions(folder, parse_only(args.only) if args.only else None)
    start = time.perf_counter()
    results: list[CheckResult] = []
    if submissions:
        with workflow_commands_paused():  # the tables quote the student's messages
            results = _grade(submissions, config, hidden)
    else:
        print(f"Nothing to grade: no {', '.join(a.filename for a in ASSIGNMENTS.values())} in {folder.resolve()}")
    _publish(results, submissions, args.results_dir, time.perf_counter() - start, hidden, args.fail_under)
    earned, total = sum(r.points for r in results), sum(r.max_points for r in results)
    percent = 100 * earned / total if total else 0.0
    print(f"\nscore: {earned:g} / {total:g} points ({percent:.1f} %); "
          f"{'public and hidden' if hidden else 'public'} checks")
    if percent < args.fail_under:
        print(f"under the {args.fail_under:g} % this run requires (--fail-under {args.fail_under:g}): failing")
        return 1
    return 0


def _grade(submissions: list[Submission], config, hidden: bool) -> list[CheckResult]:
    try:
        checks = {s.assignment: apply_overrides(load_checks(s.assignment, hidden), config) for s in submissions}
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    references = _references(hidden)
    jobs = max(1, min(len(submissions), os.cpu_count() or 1))
    graded = {}
    with sandbox_sessions(slots=jobs, collapse=False) as open_session:  # one student's hand-ins
        print(f"isolation: {isolation_level()}")
        for result in grade_many(
            submissions, checks.__getitem__, open_session, references, config.secret if hidden else "",
            jobs=jobs, progress=False,
            budget_for=lambda key: config.assignment(key).submission_timeout or DEFAULT_SUBMISSION_TIMEOUT,
        ):
            graded[result.submission.assignment] = result
    results = []
    for sub in submissions:  # course order, whatever order they finished in
        print()
        print_table(sub.assignment, sub.source or '(no file)', graded[sub.assignment].results)
        results += graded[sub.assignment].results
    return results


class _FirstOf:
    """References answered by the first recording that holds the answer."""

    def __init__(self, *recordings: RecordedReferences) -> None:
        self.recordings = recordings

    def __call__(self, assignment: str, function: str, args: tuple, kwargs: dict) -> Any:
        for recording in self.recordings[:-1]:
            try:
                return recording(assignment, function, args, kwargs)
            except MissingRecording:
                continue
        return self.recordings[-1](assignment, function, args, kwargs)


def _references(hidden: bool) -> Any:
    """The default references; in a release grading hidden checks from ``GRADER_HIDDEN_DIR``, also the
    hidden answers recorded beside them (``answers.npz``)."""
    references = default_references()
    folder = hidden_dir() if hidden else None
    if folder is not None and (folder / "answers.npz").is_file() and isinstance(references, RecordedReferences):
        return _FirstOf(references, RecordedReferences(folder / "answers.npz"))
    return references


def _publish(results: list[CheckResult], submissions: list[Submission], results_dir: Path, seconds: float,
             hidden: bool, fail_under: float) -> None:
    write_gradescope_results(results, results_dir / "results.json", seconds)
    write_junit(results, results_dir / "junit.xml")
    files = {s.assignment: _relative(Path(s.source)) for s in submissions if s.source}
    for line in error_annotations(results, files):
        print(line)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            out.write(step_summary(results, hidden=hidden, fail_under=fail_under))
    print(f"results: {results_dir / 'results.json'}, {results_dir / 'junit.xml'}")


def _relative(path: Path) -> Path:
    """``path`` relative to the working folder (the repository root on a CI runner) when it is inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path
