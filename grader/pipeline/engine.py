"""Grade submissions: one sandbox session per student × assignment, every check judged on the grader's side.

``grade_one`` never raises for a student's sake: a submission that cannot be graded, fails at import,
breaks the numpy-only rule, runs out of time, or even trips a bug of the grader becomes error rows for
that submission alone. ``grade_many`` keeps one session per core busy, from a judge process each
(``grader.pipeline.judges``) or a thread each, and hands each submission back as soon as it is finished,
so the caller can record it before the next one ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Any

from grader.checks import vocabulary
from grader.checks.base import Check, References, Verdict
from grader.course.assignments import ASSIGNMENTS
from grader.course.rules import HINTS
from grader.pipeline.discover import Submission
from grader.pipeline.import_errors import describe_import_error
from grader.pipeline.integrity import RUN_TIME_IMPORT, numpy_only_violation
from grader.pipeline.requirements import missing_requirement
from grader.pipeline.results import CheckResult
from grader.protocol.outcomes import Outcome, TimedOut
from grader.suites.ahead import Sent
from grader.suites.runner import remembered_fingerprint as check_fingerprint
from grader.suites.runner import run_suite

DEFAULT_SUBMISSION_TIMEOUT = 300.0
# What a failing public check shows of the student's own printed output: enough to recognise a debug print.
OUTPUT_LINES, OUTPUT_LINE_CHARS = 5, 200

OpenSession = Callable[[str, dict[str, bytes]], AbstractContextManager[Any]]


@dataclass(frozen=True)
class Graded:
    """One graded submission: its rows in suite order, wall time, seconds spent inside student calls, and seconds
    spent waiting for its children to be forked and ended (``Session.isolation_seconds``)."""

    submission: Submission
    results: list[CheckResult]
    seconds: float
    student_seconds: float = 0.0
    isolation_seconds: float = 0.0


def grade_one(
    submission: Submission,
    checks: list[Check],
    open_session: OpenSession,
    references: References,
    secret: str,
    budget: float = DEFAULT_SUBMISSION_TIMEOUT,
    *,
    fresh_public: bool = False,
) -> Graded:
    """All rows of one submission. ``open_session(assignment, files)`` yields a sandboxed Worker."""
    start = time.perf_counter()
    spent = isolation = 0.0
    try:
        reason = _cannot_grade(submission)
        if reason is not None:
            verdict = Verdict("error", 0.0, reason[0], problem=reason[1])
            results = [_row(submission, c, verdict, 0.0) for c in checks]
        else:
            results, spent, isolation = _run_checks(submission, checks, open_session, references, secret, budget,
                                                    fresh_public)
    except Exception as exc:  # the grader's own failure costs this submission only, never the batch
        message = f"internal grader error ({type(exc).__name__}: {exc}); please tell the instructor"
        results = [_row(submission, c, Verdict("error", 0.0, message, problem="internal"), 0.0) for c in checks]
    return Graded(submission, results, time.perf_counter() - start, spent, isolation)


def grade_many(
    submissions: Iterable[Submission],
    checks_for: Callable[[str], list[Check]],
    open_session: OpenSession,
    references: References,
    secret: str,
    *,
    jobs: int,
    budget_for: Callable[[str], float] = lambda key: DEFAULT_SUBMISSION_TIMEOUT,
    progress: bool = True,
    fresh_public: bool = False,
) -> Iterator[Graded]:
    """Grade in parallel, yielding each submission as it finishes (order varies; each ``Graded`` itself is
    deterministic). Heaviest assignments start first. With ``jobs`` > 1, sandboxes from ``sandbox_sessions``
    and the default references, the work runs on ``jobs`` judge processes (``grader.pipeline.judges``: the
    grader's side of the checks then uses ``jobs`` cores); otherwise on ``jobs`` threads. Either way the grader
    computes on one BLAS thread meanwhile (``grader.pipeline.blas``)."""
    from tqdm import tqdm

    from grader.pipeline.blas import one_blas_thread
    from grader.pipeline.judges import MIN_PER_JUDGE, Plan, judged
    from grader.pipeline.resources import in_judges
    from grader.reports.safe_text import one_line

    todo = heaviest_first(submissions)

    def threaded(some: list[Submission]) -> Iterator[Graded]:
        return _threaded(some, checks_for, open_session, references, secret, jobs, budget_for, fresh_public)

    judges = min(jobs, len(todo) // MIN_PER_JUDGE)
    if judges > 1 and in_judges(open_session, references):

        def make_plan() -> Plan:  # while the judges start
            keys = sorted({s.assignment for s in todo})
            checks = {k: checks_for(k) for k in keys}
            fingerprints = {c.id: f for k in keys for c in checks[k] if (f := check_fingerprint(c)) is not None}
            return Plan(checks, {k: budget_for(k) for k in keys}, secret, fresh_public,
                        getattr(getattr(open_session, "pool", None), "level", None), fingerprints,
                        getattr(references, "answers", None))

        stream = judged(todo, make_plan, judges, fallback=threaded)
    else:
        stream = threaded(todo)
    with one_blas_thread(), tqdm(total=len(todo), unit="submission", disable=not progress,
                                 dynamic_ncols=True) as bar:
        for graded in stream:
            student = one_line(graded.submission.student)  # a folder name: no escape sequence reaches the terminal
            bar.set_postfix_str(f"{student}/{graded.submission.assignment}", refresh=False)
            bar.update()
            yield graded


def _threaded(todo: list[Submission], checks_for: Callable[[str], list[Check]], open_session: OpenSession,
              references: References, secret: str, jobs: int, budget_for: Callable[[str], float],
              fresh_public: bool) -> Iterator[Graded]:
    """``grade_one`` for each submission on ``jobs`` threads, yielded as each finishes."""
    from grader.pipeline.heap import keep_freed_memory

    keep_freed_memory()  # as a judge does (grader.pipeline.heap)
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="grade")
    try:
        futures = [
            pool.submit(
                grade_one, s, checks_for(s.assignment), open_session, references, secret, budget_for(s.assignment),
                fresh_public=fresh_public,
            )
            for s in todo
        ]
        for future in as_completed(futures):
            yield future.result()
    finally:
        # On Ctrl-C (or a caller that stops early) only the sessions already running finish.
        pool.shutdown(wait=True, cancel_futures=True)


def _cannot_grade(submission: Submission) -> tuple[str, str] | None:
    """(message, problem) when the submission gets error rows without running, else None."""
    if submission.error:
        return submission.error, "not_submitted" if submission.missing else "ungradable"
    missing = missing_requirement(submission.assignment)
    return (missing, "internal") if missing else None  # the grader's set-up, not the student's doing


def _run_checks(
    submission: Submission,
    checks: list[Check],
    open_session: OpenSession,
    references: References,
    secret: str,
    budget: float,
    fresh_public: bool,
) -> tuple[list[CheckResult], float, float]:
    """The rows, the seconds in student calls and the seconds waiting for children to be forked and ended (the
    session's last end included)."""
    deadline = time.monotonic() + budget  # the session's start (fork and import) counts against the budget
    with open_session(submission.assignment, submission.files) as worker:
        results, spent = _judge_session(worker, submission, checks, references, secret, budget, deadline,
                                        fresh_public)
    return results, spent, float(getattr(worker, "isolation_seconds", 0.0))


def _judge_session(worker: Any, submission: Submission, checks: list[Check], references: References, secret: str,
                   budget: float, deadline: float, fresh_public: bool) -> tuple[list[CheckResult], float]:
    """One open session's rows (in suite order) and its seconds in student calls so far."""
    # Read in the sandbox before any student code ran: the sources' banned imports.
    violation = numpy_only_violation(submission.assignment, list(getattr(worker, "banned", [])))
    if violation is None and getattr(worker, "banned_at_run_time", False):
        violation = numpy_only_violation(submission.assignment, [RUN_TIME_IMPORT])
    if violation is not None:
        verdict = Verdict("error", 0.0, *violation, problem="numpy_only")
        return [_row(submission, c, verdict, 0.0) for c in checks], 0.0
    import_error = getattr(worker, "import_error", None)
    if import_error is not None:
        described = describe_import_error(import_error, submission.source_name)
        message = f"{submission.source_name} failed at import, so none of its checks ran: {described}"
        verdict = Verdict("error", 0.0, message, problem="import")
        return [_row(submission, c, verdict, 0.0) for c in checks], 0.0
    budgeted = _Budgeted(worker, deadline)

    def skip(check: Check) -> Verdict | None:
        budgeted.current = check.id  # the calls that follow are this check's
        if time.monotonic() < deadline:
            return None
        return Verdict("timeout", 0.0, f"not run: the submission used up its {budget:g} s time budget",
                       problem="budget")

    verdicts = run_suite(checks, budgeted, references, secret, _targets(submission.assignment), skip=skip,
                         fresh_public=fresh_public)
    results = [_row(submission, c, v, seconds, budgeted.printed.get(c.id, ""))
               for c, (v, seconds) in zip(checks, verdicts, strict=True)]
    spent = float(getattr(worker, "student_seconds", budgeted.seconds))
    if getattr(worker, "banned_at_run_time", False):  # observed by the zygote, outside student code
        message, flag = numpy_only_violation(submission.assignment, [RUN_TIME_IMPORT]) or ("", "")
        verdict = Verdict("error", 0.0, message, flag, problem="numpy_only")
        results = [_row(submission, c, verdict, r.seconds) for c, r in zip(checks, results, strict=True)]
    return results, spent


class _Budgeted:
    """A Worker whose calls never run past the submission's deadline; adds up the seconds they took, and
    keeps what the first call of each check that printed anything printed (``printed``, by check id).

    A function that ran out of its own time once is not called again in this session: every later call of
    it comes back as that same ``TimedOut`` at once (so its remaining checks fail with the same message),
    since an endless loop would only cost its full timeout again, check after check. A call cut short by
    the submission's deadline says nothing about the function and is not remembered."""

    def __init__(self, worker: Any, deadline: float) -> None:
        self._worker = worker
        self._deadline = deadline
        self.seconds = 0.0
        self.printed: dict[str, str] = {}
        self.current = ""
        self.hung: dict[str, TimedOut] = {}  # function -> its first timeout

    def call(self, function: str, args: tuple, kwargs: dict, *, timeout: float) -> Outcome:
        if function in self.hung:
            return self.hung[function]
        capped = self._cap(timeout)
        outcome = self._timed(self._worker.call, function, args, kwargs, timeout=capped)
        if isinstance(outcome, TimedOut) and capped >= timeout:
            self.hung[function] = outcome
        return outcome

    def call_ahead(self, batch: Sequence[Sent]) -> list[tuple[Sent, Outcome]]:
        """Send ``batch`` to the sandbox in one round trip (``grader.suites.ahead``): each call under its timeout
        capped by the deadline now, stopping before a function that hung and at the deadline. The outcomes of the
        calls that ran (all, unless one ended the process or raised before others of its check), for ``served``."""
        call_many = getattr(self._worker, "call_many", None)
        if call_many is None:  # a worker without processes (a test's stand-in): every call is made when asked
            return []
        sending: list[Sent] = []
        for sent in batch:
            capped = self._cap(sent.timeout)
            if sent.function in self.hung or capped <= 0:
                break
            sending.append(replace(sent, timeout=capped))
        if len(sending) < 2:
            return []
        # only a call whose check judges its arguments read back (Sent.last) has them read: the rest is time
        outcomes = call_many([(s.function, s.args, s.kwargs, s.timeout) for s in sending], deadline=self._deadline,
                             groups=[s.group for s in sending], read_back=[s.last for s in sending])
        # the calls after one that ended the child did not run, nor those of a check after one of its own raised
        return [(sent, outcome) for sent, outcome in zip(sending, outcomes, strict=False) if outcome is not None]

    def served(self, sent: Sent, outcome: Outcome, timeout: float) -> Outcome:
        """A call sent ahead, accounted as if the current check had just made it (``timeout``: its own). It hung
        if it ran out of its own time, not of the submission's (which cuts a call of a batch where it stands)."""
        if isinstance(outcome, TimedOut) and outcome.seconds >= timeout:
            self.hung[sent.function] = outcome
        return self._account(outcome)

    def procedure(self, name: str, payload: dict, *, timeout: float) -> Outcome:
        return self._timed(self._worker.procedure, name, payload, timeout=self._cap(timeout))

    def restart(self) -> None:
        restart = getattr(self._worker, "restart", None)
        if restart is not None:  # a worker without processes (a test's stand-in) has nothing to restart
            restart()

    def _cap(self, timeout: float) -> float:
        return max(0.0, min(timeout, self._deadline - time.monotonic()))

    def _timed(self, method: Callable[..., Outcome], *args: Any, timeout: float) -> Outcome:
        if timeout <= 0:
            return TimedOut(0.0)
        return self._account(method(*args, timeout=timeout))

    def _account(self, outcome: Outcome) -> Outcome:
        self.seconds += getattr(outcome, "seconds", 0.0)
        printed = getattr(outcome, "stdout", "")
        if printed and self.current not in self.printed:
            self.printed[self.current] = printed
        return outcome


def heaviest_first(submissions: Iterable[Submission]) -> list[Submission]:
    """The submissions in grading order: heaviest assignment first (``Assignment.cost``), so that the slow lab
    sessions do not make a long tail at the end of a batch; then by student."""
    return sorted(submissions, key=lambda s: (ASSIGNMENTS[s.assignment].cost if s.assignment in ASSIGNMENTS else 9,
                                              s.student))


def _targets(assignment: str) -> tuple[str, ...]:
    return ASSIGNMENTS[assignment].targets if assignment in ASSIGNMENTS else ()


def first_lines(text: str, lines: int = OUTPUT_LINES, width: int = OUTPUT_LINE_CHARS) -> str:
    """The first ``lines`` lines of ``text``, each cut at ``width`` characters, saying how many more there were."""
    all_lines = text.rstrip("\n").splitlines()
    kept = [line if len(line) <= width else line[: width - 3] + "..." for line in all_lines[:lines]]
    if len(all_lines) > lines:
        kept.append(f"[... {len(all_lines) - lines} more lines]")
    return "\n".join(kept)


def _row(submission: Submission, check: Check, verdict: Verdict, seconds: float, printed: str = "") -> CheckResult:
    if check.visibility == "hidden":  # its feedback from the fixed vocabulary only
        verdict = vocabulary.hidden(check.target, verdict, HINTS)
    # Printed output is the student's own text: shown on a failing public check, never on a hidden one.
    output = first_lines(printed) if check.visibility == "public" and verdict.status != "pass" else ""
    fraction = min(1.0, max(0.0, float(verdict.fraction)))
    return CheckResult(
        student=submission.student,
        assignment=submission.assignment,
        check_id=check.id,
        target=check.target,
        points=round(fraction * check.points, 6),
        max_points=float(check.points),
        status=verdict.status,
        message=verdict.message,
        seconds=round(seconds, 3),
        mistake=verdict.mistake,
        visibility=check.visibility,
        problem=verdict.problem,
        output=output,
    )
