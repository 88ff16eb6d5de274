"""Judging in processes: ``--jobs N`` grades on N judge processes, each with one sandbox slot of its own.

A thread per slot leaves the grader's side of every check (making inputs, encoding, comparing, writing rows)
to one interpreter lock, so ``--jobs 2`` could not use two cores. Each judge process here runs
``grade_one`` for one submission at a time, exactly as a grading thread does, with its own warm sandbox,
references and remembered expectations; the parent hands it the submission (files as bytes) and gets the
rows back. Judges are grader processes, never the processes that run student code: what a student's code
returns reaches a judge as data through the sandbox's wire, as before, and only the judge's own rows (text and
numbers) are pickled back to the parent.

Hand-ins go out heaviest first, with each assignment's first one graded alone (``PilotsFirst``), so that the slow
reference answers it computed are on disk (``grader.pipeline.answer_store``) before another judge needs them.
Judges start with ``spawn`` (a fresh interpreter: the parent's threads are not forked), about 0.3 s of CPU
each, once per run, all at once: each takes its plan from a queue as it starts, sent once they are all
starting (written at the spawn itself, a plan larger than a pipe's buffer would hold each spawn until the judge
before it had started). If a judge dies (or cannot take its plan, e.g. a check that does not unpickle there),
what it had not finished is graded in the parent's threads instead.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.checks.base import Check
from grader.pipeline.discover import Submission
from grader.pipeline.results import CheckResult


@dataclass(frozen=True)
class Plan:
    """What every judge grades with: the checks and time budget of each assignment, the secret; and what the
    parent already knows, so that no judge pays for it again: the isolation level and the checks' fingerprints."""

    checks: dict[str, list[Check]]
    budgets: dict[str, float]
    secret: str
    fresh_public: bool
    level: str | None = None
    fingerprints: dict[str, str] | None = None  # by check id
    answers: Path | None = None  # where slow reference answers are shared (grader.pipeline.answer_store)


MIN_PER_JUDGE = 8  # a judge costs about 0.3 s of CPU to start, its sandbox more: a smaller batch stays on threads
PLAN_WAIT = 300.0  # seconds a starting judge waits for its plan (the parent sends it within a second)
_judge: dict[str, Any] = {}  # in a judge process: its plan, sandbox pool and references


def _start(plan: Plan) -> None:
    """A judge's set-up: one sandbox slot, the references (live, sharing their slow answers with the other judges
    where the parent's do; or recorded in a release), one BLAS thread (``grader.pipeline.blas``: a judge shares
    the cores with the sandboxes), freed memory kept for the next arrays (``grader.pipeline.heap``)."""
    from grader.pipeline.blas import set_blas_threads
    from grader.pipeline.heap import keep_freed_memory
    from grader.pipeline.resources import default_references
    from grader.sandbox import WorkerPool
    from grader.suites.runner import remember_fingerprints

    set_blas_threads(1)
    keep_freed_memory()  # arrays in reused memory, not fresh pages each (grader.pipeline.heap)
    pool = WorkerPool(slots=1, level=plan.level)
    for checks in plan.checks.values():
        remember_fingerprints(checks, plan.fingerprints or {})
    multiprocessing.util.Finalize(pool, pool.close, exitpriority=10)  # the sandbox ends with the judge
    _judge.update(plan=plan, pool=pool, references=default_references(answers=plan.answers))


def _start_when_planned(plans: Any) -> None:
    """A judge's set-up once its plan has come (``judged`` sends one to each judge, or None if it stopped
    before making it: the judge then ends)."""
    plan = plans.get(timeout=PLAN_WAIT)
    if plan is None:
        raise SystemExit("the run stopped before its plan was made")
    _start(plan)


def _grade(submission: Submission) -> tuple[list[CheckResult], float, float, float]:
    """One submission's rows, wall seconds, seconds in student calls and seconds waiting for its children to be
    forked and ended, graded in this judge."""
    from grader.pipeline.engine import grade_one

    plan: Plan = _judge["plan"]
    graded = grade_one(submission, plan.checks[submission.assignment], _judge["pool"].session, _judge["references"],
                       plan.secret, plan.budgets[submission.assignment], fresh_public=plan.fresh_public)
    return graded.results, graded.seconds, graded.student_seconds, graded.isolation_seconds


class PilotsFirst:
    """The order hand-ins go to judges: as given (heaviest first), except that each assignment's first hand-in, its
    pilot, is graded alone while the other judges have other assignments to grade: no other hand-in of that
    assignment starts until it is done. What it computed that is slow, it stored (``grader.pipeline.answer_store``):
    the lab's training in the grader (about 0.2 s) or hw3's, is then done once, not once per judge.
    A judge with nothing else to do does not wait for a pilot: computing the answer again costs less than idling."""

    def __init__(self, todo: Iterable[Submission]) -> None:
        self.pending = list(todo)
        self._started: set[str] = set()
        self._piloted: set[str] = set()

    def take(self, idle: bool = False) -> Submission | None:
        """The next hand-in to hand out; while every one left waits for its assignment's pilot, None, or the first
        of them for a judge that is ``idle``."""
        for i, submission in enumerate(self.pending):
            key = submission.assignment
            if key in self._piloted or key not in self._started:
                self._started.add(key)
                return self.pending.pop(i)
        return self.pending.pop(0) if idle and self.pending else None

    def finished(self, submission: Submission) -> None:
        self._piloted.add(submission.assignment)


def judged(submissions: Iterable[Submission], make_plan: Callable[[], Plan], jobs: int,
           fallback: Callable[[list[Submission]], Iterator[Any]]) -> Iterator[Any]:
    """``Graded`` for each submission as it finishes, on ``jobs`` judge processes, handed out pilots first
    (``PilotsFirst``); ``fallback`` grades, in this process, whatever a judge that died left unfinished.
    ``make_plan()`` is called once every judge is starting, so that their start and its making overlap. Judges
    start the way ``multiprocessing`` spawns: a script that grades must guard its top level with
    ``if __name__ == "__main__":``."""
    from grader.pipeline.engine import Graded

    feed = PilotsFirst(submissions)
    context = multiprocessing.get_context("spawn")
    plans = context.Queue()  # one plan per judge, taken as it starts (_start_when_planned)
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start_when_planned,
                               initargs=(plans,))
    running: dict[Future, Submission] = {}
    orphans: list[Submission] = []
    planned = False
    try:
        while True:
            # one hand-in queued beyond the judges' own, as the pool would queue: none waits for this loop
            while len(running) <= jobs and (submission := feed.take(idle=len(running) < jobs)) is not None:
                try:
                    running[pool.submit(_grade, submission)] = submission  # the first ``jobs`` spawn the judges
                except Exception:  # no judge can take work (they could not start): the rest is graded here
                    orphans += [submission, *feed.pending]
                    feed.pending.clear()
                    break
            if not planned:
                plan = make_plan()
                for _ in range(jobs):
                    plans.put(plan)
                planned = True
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                submission = running.pop(future)
                feed.finished(submission)
                try:
                    results, seconds, student_seconds, isolation_seconds = future.result()
                except Exception:  # a judge died (BrokenProcessPool), or could not take its plan or this task
                    orphans.append(submission)
                    continue
                yield Graded(submission, results, seconds, student_seconds, isolation_seconds)
    finally:
        for _ in range(0 if planned else jobs):  # no plan was made: the judges end instead of waiting for it
            plans.put(None)
        pool.shutdown(wait=True, cancel_futures=True)
        plans.cancel_join_thread()  # what a judge that died did not take is dropped, not waited for at exit
        plans.close()
    if orphans:
        yield from fallback(orphans)
