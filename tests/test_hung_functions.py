"""A function that ran out of time once is not called again in that session: its remaining checks fail at
once with the same message, and the other functions are still graded."""

from __future__ import annotations

import dataclasses
import time
from contextlib import contextmanager

from grader.pipeline.discover import Submission, content_hash
from grader.pipeline.engine import _Budgeted, grade_one
from grader.pipeline.resources import default_references, sandbox_sessions
from grader.protocol.outcomes import Returned, TimedOut
from grader.suites import load_checks

REFERENCE = open("reference/backprop_np.py", "rb").read()  # noqa: SIM115 - read once at import, closed by gc
# relu_forward never returns (nor does mlp_forward, which calls it); everything else is the reference.
HANGS = REFERENCE.replace(
    b"def relu_forward(S", b"def relu_forward(S, *_):\n    while True:\n        pass\n\n\ndef _old(S", 1
)
HUNG = ("relu_forward", "mlp_forward")


class CountingWorker:
    """A stand-in worker: relu_forward always times out, every other function returns; counts the calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def call(self, function, args, kwargs, *, timeout):
        self.calls.append(function)
        return TimedOut(timeout) if function == "relu_forward" else Returned(0.0)


def test_a_timed_out_function_is_called_once_and_its_later_calls_repeat_that_timeout() -> None:
    worker = CountingWorker()
    budgeted = _Budgeted(worker, time.monotonic() + 3600)
    first = budgeted.call("relu_forward", (), {}, timeout=2.0)
    later = [budgeted.call("relu_forward", (), {}, timeout=2.0) for _ in range(5)]
    others = [budgeted.call("relu_backward", (), {}, timeout=2.0) for _ in range(3)]
    assert worker.calls.count("relu_forward") == 1
    assert later == [first] * 5 and first == TimedOut(2.0)
    assert worker.calls.count("relu_backward") == 3 and all(isinstance(o, Returned) for o in others)


def test_a_call_cut_short_by_the_submission_deadline_is_not_held_against_the_function() -> None:
    worker = CountingWorker()
    budgeted = _Budgeted(worker, time.monotonic() + 0.5)  # the deadline caps the call's 10 s
    budgeted.call("relu_forward", (), {}, timeout=10.0)
    assert "relu_forward" not in budgeted.hung


def test_an_endless_loop_costs_one_timeout_and_the_other_functions_are_still_graded() -> None:
    checks = [dataclasses.replace(c, timeout=1.0) for c in load_checks("hw2", include_hidden=False)]
    files = {"backprop.py": HANGS}
    submission = Submission("you", "hw2", files, content_hash(files), None)
    sent: list[str] = []

    @contextmanager
    def counted(assignment, files):
        with open_session(assignment, files) as worker:
            real_call, real_call_many = worker.call, worker.call_many

            def call(function, *args, **kwargs):
                sent.append(function)
                return real_call(function, *args, **kwargs)

            def call_many(calls, **options):  # calls sent ahead: those that ran (the one that ended the child last)
                outcomes = real_call_many(calls, **options)
                ran = zip(calls, outcomes, strict=False)  # None: not made, after a raise in its check
                sent.extend(function for (function, *_), outcome in ran if outcome is not None)
                return outcomes

            worker.call, worker.call_many = call, call_many
            yield worker

    with sandbox_sessions(1) as open_session:
        graded = grade_one(submission, checks, counted, default_references(), "")
    for function in HUNG:
        rows = [r for r in graded.results if r.target == function]
        assert len(rows) >= 2 and {r.status for r in rows} == {"timeout"}
        assert len({r.message for r in rows}) == 1 and "did not finish within" in rows[0].message
        assert sent.count(function) == 1  # into the sandbox once; its other checks got that timeout back
    others = [r for r in graded.results if r.target not in HUNG]
    assert others and all(r.status == "pass" for r in others)
