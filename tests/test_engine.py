"""The engine on its own: rows per check, import errors, the numpy-only rule, budgets, grader failures,
parallel grading. Student code here is trusted test code run in-process (tests/inprocess_worker.py)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from flagged import flags
from inprocess_worker import InProcessWorker

from grader.checks.base import Check, Kind, Verdict
from grader.course.kinds import KINDS
from grader.pipeline.discover import Submission, content_hash
from grader.pipeline.engine import grade_many, grade_one
from grader.pipeline.integrity import BANNED
from grader.protocol.outcomes import Raised, Returned
from grader.worker.scan import banned_imports

CORRECT = b"def gd_step(w, grad, lr):\n    return w - lr * grad\n"
HALF_RIGHT = b"def gd_step(w, grad, lr):\n    return w - lr * grad if len(w) > 2 else w + lr * grad\n"


def judge_gd_step(ctx, *, size: int) -> Verdict:
    """A kind of check for these tests: one gd_step on vectors of ``size``."""
    w, grad = ctx.rng.normal(size=size), ctx.rng.normal(size=size)
    outcome = ctx.call(w, grad, 0.1)
    if not isinstance(outcome, Returned):
        return Verdict("error", 0.0, f"gd_step did not return: {outcome}")
    if np.allclose(outcome.value, w - 0.1 * grad):
        return Verdict.ok()
    return Verdict.wrong("gd_step: wrong values, did you add the gradient?")


@pytest.fixture(autouse=True)
def test_kind(monkeypatch):
    monkeypatch.setitem(KINDS, "test_gd_step", Kind(judge_gd_step, "value", "a test's own kind"))


def gd_step_check(case: str, size: int, points: float = 2.0) -> Check:
    return Check(f"hw1.gd_step.public.{case}", "test_gd_step", points, {"size": size})


CHECKS = [gd_step_check("small", 2), gd_step_check("large", 5, points=3.0)]


def submission(files: dict[str, bytes], student: str = "amy", error: str = "") -> Submission:
    return Submission(student, "hw1", files, content_hash(files), "2026-01-01T00:00:00+00:00", error)


class Sessions:
    """An ``open_session`` that loads the main file in-process, and counts the sessions it opened."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.opened = 0
        self.banned_at_run_time = False  # what the real sandbox observes when a child imports torch
        self.workers: list[InProcessWorker] = []

    @contextmanager
    def __call__(self, assignment: str, files: dict[str, bytes]):
        self.opened += 1
        folder = self.tmp_path / f"session{self.opened}"
        folder.mkdir()
        for name, data in files.items():
            (folder / name).write_bytes(data)
        try:
            worker = InProcessWorker(folder / "gradient_descent.py")
        except Exception as exc:  # noqa: BLE001 - what the sandbox reports as an import error
            trace = 'File "/tmp/x/gradient_descent.py", line 2, in <module>'
            yield SimpleNamespace(import_error=Raised(type(exc).__name__, str(exc), trace))
            return
        worker.banned = banned_imports(files, "gradient_descent.py", BANNED)  # read by the sandbox before running
        worker.banned_at_run_time = self.banned_at_run_time
        self.workers.append(worker)
        yield worker


@pytest.fixture
def sessions(tmp_path: Path) -> Sessions:
    return Sessions(tmp_path)


def grade(sub: Submission, sessions: Sessions, checks=CHECKS, budget: float = 60.0):
    return grade_one(sub, checks, sessions, references=lambda *a: None, secret="", budget=budget)


def test_a_correct_submission_earns_every_point(sessions: Sessions) -> None:
    graded = grade(submission({"gradient_descent.py": CORRECT}), sessions)

    assert [(r.check_id, r.status, r.points, r.max_points) for r in graded.results] == [
        ("hw1.gd_step.public.small", "pass", 2.0, 2.0),
        ("hw1.gd_step.public.large", "pass", 3.0, 3.0),
    ]
    assert all(r.student == "amy" and r.assignment == "hw1" and r.target == "gd_step" for r in graded.results)


def test_each_check_is_judged_on_its_own(sessions: Sessions) -> None:
    graded = grade(submission({"gradient_descent.py": HALF_RIGHT}), sessions)

    assert [(r.status, r.points) for r in graded.results] == [("fail", 0.0), ("pass", 3.0)]
    assert "did you add the gradient" in graded.results[0].message


def test_an_import_error_costs_every_check_of_the_file(sessions: Sessions) -> None:
    graded = grade(submission({"gradient_descent.py": b"import numpy\n1/0\n"}), sessions)

    assert {r.status for r in graded.results} == {"error"}
    message = "gradient_descent.py failed at import, so none of its checks ran: ZeroDivisionError: division by zero"
    assert all(r.message == message + " (gradient_descent.py, line 2)" for r in graded.results)
    assert sum(r.points for r in graded.results) == 0


def test_torch_in_a_numpy_homework_is_zero_and_flagged_without_running_a_check(sessions: Sessions) -> None:
    files = {"gradient_descent.py": b"import torch\n" + CORRECT}

    graded = grade(submission(files), sessions)

    assert sessions.workers and sessions.workers[0].calls == []
    assert sum(r.points for r in graded.results) == 0
    assert all("must be done in numpy only" in r.message for r in graded.results)
    assert flags(graded.results) == ["uses torch in hw1"]


def test_torch_reached_at_run_time_in_a_way_not_read_statically_is_flagged(sessions: Sessions) -> None:
    sessions.banned_at_run_time = True

    graded = grade(submission({"gradient_descent.py": CORRECT}), sessions)

    assert sum(r.points for r in graded.results) == 0
    assert flags(graded.results) == ["uses torch, jax or tensorflow in hw1"]
    assert "at run time" in graded.results[0].message


def test_an_ungradable_submission_gets_error_rows_with_its_reason(sessions: Sessions) -> None:
    graded = grade(submission({}, error="not submitted: no gradient_descent.py in amy/"), sessions)

    assert sessions.opened == 0
    assert [r.status for r in graded.results] == ["error", "error"]
    assert all(r.message.startswith("not submitted") for r in graded.results)


def test_a_grader_failure_is_an_error_row_not_a_crash(tmp_path: Path) -> None:
    @contextmanager
    def broken_session(assignment, files):
        raise RuntimeError("sandbox on fire")
        yield

    graded = grade_one(submission({"gradient_descent.py": CORRECT}), CHECKS, broken_session, lambda *a: None, "")

    assert [r.status for r in graded.results] == ["error", "error"]
    assert "internal grader error" in graded.results[0].message and "sandbox on fire" in graded.results[0].message


def test_a_used_up_budget_times_out_the_remaining_checks(sessions: Sessions) -> None:
    graded = grade(submission({"gradient_descent.py": CORRECT}), sessions, budget=0.0)

    assert [r.status for r in graded.results] == ["timeout", "timeout"]
    assert "time budget" in graded.results[0].message


def test_grade_many_matches_grading_one_by_one(sessions: Sessions) -> None:
    subs = [
        submission({"gradient_descent.py": body}, student=name)
        for name, body in [("amy", CORRECT), ("ben", HALF_RIGHT), ("cat", b"syntax error(\n"), ("dan", CORRECT)]
    ]

    batch = list(grade_many(subs, lambda key: CHECKS, sessions, lambda *a: None, "", jobs=2, progress=False))
    one_by_one = [grade(s, sessions) for s in subs]

    def rows(graded):
        return sorted((r.student, r.check_id, r.status, r.points, r.message) for g in graded for r in g.results)

    assert rows(batch) == rows(one_by_one)
    assert {g.submission.student for g in batch} == {"amy", "ben", "cat", "dan"}


def test_stopping_early_cancels_the_submissions_not_yet_started(sessions: Sessions) -> None:
    subs = [submission({"gradient_descent.py": CORRECT}, student=f"s{i:02d}") for i in range(20)]
    batch = grade_many(subs, lambda key: CHECKS, sessions, lambda *a: None, "", jobs=1, progress=False)

    next(batch)
    batch.close()  # what Ctrl-C in the consuming loop does

    assert sessions.opened < len(subs)


def test_printed_output_is_kept_for_failing_public_checks_only(secret: str) -> None:
    from grader.authoring.samples import reference_submission
    from grader.pipeline.resources import default_references, sandbox_sessions
    from grader.suites import load_checks

    source = reference_submission()["gradient_descent.py"].replace(
        b"return w - lr * grad", b'print("stepping", lr)\n    return w + lr * grad').replace(
        b"def sgd(", b'def sgd(*args, **kwargs):\n    print("sgd here")\n    raise ValueError("no")\n\n\ndef _sgd(')
    files = {"gradient_descent.py": source}
    checks = load_checks("hw1", include_hidden=True)
    with sandbox_sessions(slots=1) as open_session:
        rows = grade_one(submission(files), checks, open_session, default_references(), secret).results

    by_id = {r.check_id: r for r in rows}
    assert by_id["hw1.gd_step.public.basic"].status == "fail"
    assert by_id["hw1.gd_step.public.basic"].output.startswith("stepping 0.")
    assert by_id["hw1.sgd.public.seeded"].output == "sgd here"  # printed before it raised
    hidden = [r for r in rows if r.visibility == "hidden"]
    assert any(r.target == "gd_step" and r.status == "fail" for r in hidden)
    assert all(r.output == "" for r in hidden)
    assert all(r.output == "" for r in rows if r.status == "pass")


def test_the_wait_for_children_to_be_forked_and_ended_is_counted_to_the_last_end(secret, monkeypatch) -> None:
    """hw1 grades in one child, ended when the session closes: with each end 0.3 s slower, the submission's
    ``isolation_seconds`` holds that last end, and neither it nor the student's seconds overlap the other."""
    from grader.authoring.samples import reference_submission
    from grader.pipeline.resources import default_references, sandbox_sessions
    from grader.sandbox.process import WorkerProcess
    from grader.suites import load_checks

    slow, end, ends = 0.3, WorkerProcess.end, []

    def slow_end(self, pid):
        time.sleep(slow)
        ends.append(pid)
        return end(self, pid)

    monkeypatch.setattr(WorkerProcess, "end", slow_end)
    with sandbox_sessions(slots=1) as open_session:
        graded = grade_one(submission(reference_submission()), load_checks("hw1", include_hidden=True), open_session,
                           default_references(), secret)
    assert all(r.status == "pass" for r in graded.results)
    assert len(ends) == 1  # the close's
    assert slow <= graded.isolation_seconds < graded.seconds - graded.student_seconds
