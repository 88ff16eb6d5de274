"""Public checks run before hidden ones, and within each, checks whose runs need fresh processes first, so a
session's first process serves the first of their runs. A lab hand-in costs three torch children: one serves the
public checks, and the hidden reproducibility check's two runs need two fresh ones (the second serves the other
hidden checks after it); no process that was given a hidden input serves a public check."""

from __future__ import annotations

import pytest

from grader.authoring.samples import reference_submission, write_submission
from grader.checks.base import Check, Kind, Verdict
from grader.pipeline.discover import discover
from grader.pipeline.engine import grade_one
from grader.pipeline.resources import default_references, sandbox_sessions
from grader.suites import load_checks
from grader.suites.runner import run_order


def judge(ctx) -> Verdict:
    return Verdict.ok()


KINDS = {"plain": Kind(judge, "value", "plain"), "fresh": Kind(judge, "property", "fresh runs", fresh=True)}


def test_public_before_hidden_then_fresh_kinds_first_then_helpers_before_the_targets_that_call_them() -> None:
    checks = [Check("hw2.outer.public.a", "plain", 1.0), Check("hw2.helper.public.a", "plain", 1.0),
              Check("hw2.outer.hidden.again", "fresh", 1.0), Check("hw2.other.public.a", "plain", 1.0),
              Check("hw2.helper.hidden.again", "fresh", 1.0)]

    order = run_order(checks, ("helper", "outer"), KINDS)

    assert [checks[i].id for i in order] == ["hw2.helper.public.a", "hw2.outer.public.a", "hw2.other.public.a",
                                             "hw2.helper.hidden.again", "hw2.outer.hidden.again"]


def test_a_fresh_public_kind_runs_before_the_other_public_checks() -> None:
    checks = [Check("hw2.outer.public.a", "plain", 1.0), Check("hw2.outer.public.again", "fresh", 1.0),
              Check("hw2.outer.hidden.a", "plain", 1.0)]

    order = run_order(checks, ("outer",), KINDS)

    assert [checks[i].id for i in order] == ["hw2.outer.public.again", "hw2.outer.public.a", "hw2.outer.hidden.a"]


@pytest.mark.slow
def test_a_lab_hand_in_costs_three_children_and_earns_every_point(tmp_path, secret, monkeypatch) -> None:
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

    assert spawned == ["torch", "torch", "torch"]
    assert [r.status for r in graded.results] == ["pass"] * len(checks)
