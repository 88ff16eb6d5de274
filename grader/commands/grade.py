"""``grader grade SUBMISSIONS_DIR``: grade a class in parallel into a gradebook and reports.

Hidden checks are part of the grade whenever this installation has them; they are seeded by the course
secret (``GRADER_SECRET`` or course.toml ``[grading] secret``). Without a secret the class is graded on
the public checks only, so that a first try (``make demo``) works, with a loud warning before and after
that says how to set the secret; ``--public-only`` asks for that on purpose and silences the warning.
A later run with the secret regrades everything, since the suite it grades with has changed.

Submission times, for late penalties, come from the instructor only: ``--submitted-at CSV``, else
``SUBMISSIONS_DIR/submitted_at.csv`` (format in ``grader.pipeline.submission_times``); without either they are
unknown and cost no penalty. A changed time is written to the gradebook without regrading.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from grader.cluster import options as cluster
from grader.course.assignments import ASSIGNMENTS
from grader.errors import UserError
from grader.pipeline.changes import describe, why_regrade
from grader.pipeline.config import ConfigError, CourseConfig, apply_overrides, load_course_config
from grader.pipeline.discover import Submission, discover, student_dirs
from grader.pipeline.gradebook import Gradebook, loaded_json
from grader.pipeline.loads_cache import ReadingCache
from grader.pipeline.submission_times import DEFAULT_NAME, SubmissionTimes, TimesError, default_times, load_times
from grader.pipeline.suite_cache import CACHE_DIR, SuiteCache
from grader.reports.safe_text import one_line

if TYPE_CHECKING:
    from grader.checks.base import Check
    from grader.reports.build import ReportData

# What a run with nothing to grade needs is imported above; the engine, the suites and the report stack
# (numpy's check library, pandas) are imported where they are used.

HELP = "grade every student's work in SUBMISSIONS_DIR (in parallel) into a gradebook and reports"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submissions", metavar="SUBMISSIONS_DIR", type=Path, help="one folder per student")
    parser.add_argument("--out", type=Path, default=Path("out"), help="gradebook and reports folder (default: out/)")
    parser.add_argument("--jobs", type=int, default=None, help="parallel sandboxes (default: one per core)")
    parser.add_argument("--only", default=None, help="comma-separated assignments, e.g. hw1,hw2 (default: all)")
    parser.add_argument("--public-only", action="store_true", help="grade on public checks only (no secret needed)")
    parser.add_argument(
        "--submitted-at", type=Path, default=None, metavar="CSV",
        help="submission times, columns student,assignment,submitted_at "
        f"(default: SUBMISSIONS_DIR/{DEFAULT_NAME} if there is one)",
    )  # fmt: skip
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--regrade-stale", action="store_true",
        help="also regrade, in every assignment of the gradebook, the submissions graded with another suite or "
        "secret than this run's (see the warning `grade` and `report` print when a gradebook mixes them)",
    )  # fmt: skip
    cluster.add_arguments(parser)


def parse_only(text: str | None) -> list[str]:
    """``"hw1, hw2"`` -> ``["hw1", "hw2"]``, in course order; unknown names are a user error."""
    if not text:
        return list(ASSIGNMENTS)
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [w for w in wanted if w not in ASSIGNMENTS]
    if unknown or not wanted:
        raise UserError(
            f"--only {text!r}: unknown assignment {unknown[0] if unknown else ''!r}; "
            f"choose from {', '.join(ASSIGNMENTS)}"
        )
    return [key for key in ASSIGNMENTS if key in wanted]


def run(args: argparse.Namespace) -> int:
    root: Path = args.submissions
    if not root.is_dir():
        raise UserError(f"{root}: no such folder; give the folder holding one sub-folder per student")
    students = student_dirs(root)
    if not students:
        raise UserError(f"{root} holds no student folders; expected {root}/<student_id>/backprop.py and so on")
    if args.out.resolve().parent == root.resolve():
        raise UserError(f"--out {args.out} is inside {root}, where it would be taken for a student; put it elsewhere")
    if args.jobs is not None and args.jobs < 1:
        raise UserError(f"--jobs {args.jobs}: must be at least 1")
    only = parse_only(args.only)
    cluster.check(args)
    try:
        config = load_course_config()
        include_hidden, warning = _include_hidden(config.secret, args.public_only)
        suites = SuiteCache(args.out, config, include_hidden, lambda key: _suite(key, include_hidden, config))
        if args.regrade_stale:
            from grader.reports.console import with_stale

            only = with_stale(args.out, only, suites.hash, suites.secret_fingerprint())
        hashes = {key: suites.hash(key) for key in only}
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    _warn(warning)
    jobs = args.jobs or config.jobs or os.cpu_count() or 1
    times = _submission_times(root, args.submitted_at)
    readings = ReadingCache(args.out / CACHE_DIR / "loads.json")
    submissions = discover(root, only, times, readings)
    readings.save()
    _report_times(times, submissions, root)
    start = time.perf_counter()
    with Gradebook(args.out) as book:
        book.keep_sources(submissions)
        if args.regrade_stale:
            from grader.reports.console import stale_keys

            book.invalidate(stale_keys(book, hashes, suites.secret_fingerprint()))
        reasons = _reasons(book, submissions, hashes)
        if reasons and suites.cached:  # the suites graded with are loaded anyway: measured, not recalled
            graded_now = {s.assignment for s, _ in reasons}
            hashes = {key: suites.hash(key, measure=key in graded_now) for key in only}
            reasons = _reasons(book, submissions, hashes)
        todo = [s for s, _ in reasons]
        skipped = len(submissions) - len(todo)
        fresh = {id(s) for s in todo}
        unchanged = [s for s in submissions if id(s) not in fresh]
        retimed = book.set_submitted_at((s.student, s.assignment, s.submitted_at) for s in unchanged)
        if retimed:
            print(f"{retimed} unchanged submissions have a new submission time: recorded without regrading")
        print(
            f"{len(students)} students, {len(submissions)} submissions: skipped {skipped} unchanged, "
            f"grading {len(todo)} on {'public and hidden' if include_hidden else 'public'} checks "
            + (f"on the cluster {args.cluster}" if args.cluster else f"with {jobs} jobs")
        )
        for line in describe(reasons):
            print(line)
        if todo:  # a run that grades nothing leaves the gradebook as it was (so the reports stay current)
            _grade_and_record(args, book, todo, config, include_hidden, hashes, suites, jobs, skipped)
    print(f"graded {len(todo)} submissions in {time.perf_counter() - start:.1f} s; skipped {skipped} unchanged")
    _warn(warning)
    return _reports(args.out, config, hashes, suites.secret_fingerprint())


def _suite(key: str, include_hidden: bool, config: CourseConfig) -> list[Check]:
    from grader.checks.fingerprint import NotData
    from grader.suites import load_checks

    try:
        return apply_overrides(load_checks(key, include_hidden), config)
    except NotData as exc:  # a check record holds a lambda or an object: `grader validate` names each one
        raise UserError(f"a check's parameters are not data ({exc}); run `grader validate`") from None


def _reasons(book: Gradebook, submissions: list[Submission], hashes: dict[str, str]) -> list[tuple[Submission, str]]:
    """(submission, why it is regraded) for each one this run grades."""
    recorded = book.recorded()
    found = [(s, why_regrade(s, recorded.get((s.student, s.assignment)), hashes[s.assignment])) for s in submissions]
    return [(s, why) for s, why in found if why is not None]


def _grade_and_record(
    args: argparse.Namespace, book: Gradebook, todo: list[Submission], config: CourseConfig, include_hidden: bool,
    hashes: dict[str, str], suites: SuiteCache, jobs: int, skipped: int,
) -> None:
    run_id = book.start_run(sys.argv)
    fingerprint = suites.secret_fingerprint()
    graded = (
        cluster.grade(args, todo, config, include_hidden, hashes)
        if args.cluster
        else _grade(todo, {key: suites.checks(key) for key in {s.assignment for s in todo}}, config, jobs,
                    progress=not args.quiet, answers=args.out / CACHE_DIR / "answers")
    )  # fmt: skip
    for result in graded:
        s = result.submission
        book.record(
            run_id, s.student, s.assignment, s.content_hash, hashes[s.assignment], s.submitted_at, result.results,
            secret_fingerprint=fingerprint, loaded=loaded_json(s),
        )  # fmt: skip
    book.finish_run(run_id, len(todo), skipped)


def _submission_times(root: Path, named: Path | None) -> SubmissionTimes | None:
    """The instructor's submission times: the named CSV, else the submissions folder's own, else None."""
    try:
        return load_times(named) if named is not None else default_times(root)
    except TimesError as exc:
        raise UserError(str(exc)) from None


def _report_times(times: SubmissionTimes | None, submissions: list[Submission], root: Path) -> None:
    """Say where submission times come from, and warn about rows that match no student folder (a typo
    there would silently waive a late penalty)."""
    handed_in = [s for s in submissions if s.source]  # a file was found, graded or refused
    if times is None:
        print(f"submission times: unknown (no {root / DEFAULT_NAME}, no --submitted-at): no late penalties")
        return
    known = sum(s.submitted_at is not None for s in handed_in)
    print(f"submission times from {times.source}: {known} of {len(handed_in)} submissions; the others unknown")
    strangers = sorted(times.students - {s.student for s in submissions})
    if strangers:
        _warn(f"{times.source} names students with no folder in {root}: {', '.join(strangers)}")


def _grade(todo: list[Submission], checks: dict[str, list[Check]], config: CourseConfig, jobs: int, progress: bool,
           answers: Path):
    """Yield each graded submission as it finishes; slow reference answers are kept in ``answers`` for the
    other judges and the next runs."""
    from grader.pipeline.engine import DEFAULT_SUBMISSION_TIMEOUT, grade_many
    from grader.pipeline.resources import default_references, isolation_level, sandbox_sessions

    if not todo:
        return
    with sandbox_sessions(jobs) as open_session:
        print(f"isolation: {isolation_level()}")
        yield from grade_many(
            todo,
            checks.__getitem__,
            open_session,
            default_references(answers=answers),
            config.secret,
            jobs=jobs,
            progress=progress,
            budget_for=lambda key: config.assignment(key).submission_timeout or DEFAULT_SUBMISSION_TIMEOUT,
            fresh_public=bool(config.secret),  # public inputs a hand-in cannot have a table of answers for
        )


def _reports(out: Path, config: CourseConfig, hashes: dict[str, str], fingerprint: str) -> int:
    """Rebuild the reports unless the gradebook is as they were built from; then the closing summary."""
    from grader.reports import freshness
    from grader.reports.console import after_grading

    current = freshness.digest(out, config)
    summary = freshness.unchanged(out, current)
    if summary is not None:
        print(f"reports unchanged in {out}/: the gradebook is as they were built from")
        after_grading(out, config, hashes, fingerprint, summary=summary)
        return 0
    freshness.forget(out)
    code, written, data = _write_reports(out, config)
    summary = after_grading(out, config, hashes, fingerprint, data=data)
    if code == 0 and summary is not None:
        freshness.remember(out, current, written, summary)
    return code


def _write_reports(out: Path, config: CourseConfig) -> tuple[int, list[Path], ReportData | None]:
    """(exit code, the files written, the gradebook as the reports read it: the summary reads it too)."""
    from grader.reports.build import ReportsIncomplete, load_report_data, write_reports

    data = None
    try:
        data = load_report_data(out, config)
        written = write_reports(out, config, data=data)
    except ReportsIncomplete as exc:
        _print_written(out, exc.written)
        print(f"Error: {exc}. {_REBUILD.format(out=out)}", file=sys.stderr)
        return 1, exc.written, data
    except Exception as exc:  # the grades are safe in the gradebook whatever happens here
        reason = one_line(f"{type(exc).__name__}: {exc}")
        print(f"Error: writing the reports failed ({reason}). {_REBUILD.format(out=out)}", file=sys.stderr)
        return 1, [], None
    _print_written(out, written)
    return 0, written, data


_REBUILD = "The grades are saved in {out}/gradebook.sqlite: rebuild the reports with `grader report --out {out}`"


def _print_written(out: Path, written: list[Path]) -> None:
    """The report files by name, and the per-student feedback files by number (a class has hundreds)."""
    names = sorted(p.name for p in written if p.parent == out)
    feedback = len(written) - len(names)
    print(f"reports in {out}/: {', '.join(names)}" + (f"; feedback/: {feedback} student files" if feedback else ""))


def _include_hidden(secret: str, public_only: bool) -> tuple[bool, str]:
    """Whether to grade hidden checks, and a warning to repeat when they are left out by necessity."""
    if public_only:
        return False, ""
    from grader.suites import hidden_available

    if not hidden_available():
        return False, "this installation has no hidden checks: grading on public checks only"
    if not secret:
        return False, (
            "NO COURSE SECRET: hidden checks skipped, these grades use PUBLIC CHECKS ONLY. Set the secret with "
            '`export GRADER_SECRET=...` or course.toml ([grading] secret = "...") and grade again; '
            "--public-only silences this warning"
        )
    return True, ""


def _warn(warning: str) -> None:
    if warning:
        print(f"WARNING: {warning}", file=sys.stderr)
