"""Public checks run before hidden ones, helpers before the targets that call them, so that no process that was
given a hidden input serves a public check. A lab hand-in costs two torch children: the first serves the public
checks and then the first run of the hidden reproducibility check; the second, fresh, serves its second run and the
other hidden checks after it."""

from __future__ import annotations

import pytest

from grader.authoring.samples import reference_submission, write_submission
from grader.checks.base import Check
from grader.pipeline.discover import discover
from grader.pipeline.engine import grade_one
from grader.pipeline.resources import default_references, sandbox_sessions
from grader.suites import load_checks
from grader.suites.runner import run_order


def test_public_before_hidden_then_helpers_before_the_targets_that_call_them_then_the_suites_order() -> None:
    checks = [Check("hw2.outer.public.a", "plain", 1.0), Check("hw2.helper.public.a", "plain", 1.0),
              Check("hw2.outer.hidden.again", "plain", 1.0), Check("hw2.other.public.a", "plain", 1.0),
              Check("hw2.helper.hidden.again", "plain", 1.0), Check("hw2.outer.public.b", "plain", 1.0)]

    order = run_order(checks, ("helper", "outer"))

    assert [checks[i].id for i in order] == ["hw2.helper.public.a", "hw2.outer.public.a", "hw2.outer.public.b",
                                             "hw2.other.public.a", "hw2.helper.hidden.again",
                                             "hw2.outer.hidden.again"]


@pytest.mark.slow
def test_a_lab_hand_in_costs_two_children_and_earns_every_point(tmp_path, secret, monkeypatch) -> None:
    pytest.importorskip("torch")
    from grader.sandbox.process import WorkerProcess

    spawned = []
    spawn = WorkerProcess.spawn
    monkeypatch.setattr(WorkerProcess, "spawn", lambda self: spawned.append(self.kind) or spawn(self))
    write_submission(tmp_path / "ada", reference_submission())
    submission, = discover(tmp_path, ["lab"])
    checks = load_checks("lab", include_hidden=True)

    with sandbox_sessions(1) as open_session:
        graded = grade_one(submission, checks, open_session, default_references(), secret, 600.0)

    assert spawned == ["torch", "torch"]
    assert [r.status for r in graded.results] == ["pass"] * len(checks)
