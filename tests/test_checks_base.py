"""The check record and its context: ids, seeds, and what a hidden check lets through to feedback."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks.base import Check, Verdict, check_seed, make_context
from grader.checks.judge import outcome_failure
from grader.protocol.outcomes import Raised, TimedOut


class ScriptedWorker:
    """Answers every call with one fixed outcome."""

    def __init__(self, outcome) -> None:
        self.outcome = outcome

    def call(self, function, args, kwargs, *, timeout):
        return self.outcome

    def procedure(self, name, payload, *, timeout):
        return self.outcome


def make_check(visibility: str) -> Check:
    def run(ctx):
        return outcome_failure(ctx.call(np.zeros(3)), ctx.check.target) or Verdict.ok()

    return Check(f"hw2.relu_forward.{visibility}.leak", "hw2", "relu_forward", "value", 1.0, visibility, run)


LEAKY = Raised("ValueError", "X=[[0.1234, 5.678]] shape (7, 3)", 'File "backprop.py", line 9, in relu_forward', 0.1)


def test_timeouts_pass_through_unchanged():
    hidden = make_check("hidden")
    verdict = hidden.run(make_context(hidden, ScriptedWorker(TimedOut(2.0)), references=None, secret="s"))
    assert verdict.status == "timeout"


def test_hidden_seeds_need_the_secret_and_depend_on_it():
    assert check_seed("hw2.a.public.b", "public", "") == check_seed("hw2.a.public.b", "public", "other")
    assert check_seed("hw2.a.hidden.b", "hidden", "s1") != check_seed("hw2.a.hidden.b", "hidden", "s2")
    with pytest.raises(ValueError, match="secret"):
        check_seed("hw2.a.hidden.b", "hidden", "")


@pytest.mark.parametrize("bad_id", ["hw2.relu_forward.basic", "hw1.relu_forward.public.x", "hw2.relu.public.x"])
def test_check_ids_must_name_assignment_target_and_visibility(bad_id):
    with pytest.raises(ValueError, match="must read"):
        Check(bad_id, "hw2", "relu_forward", "value", 1.0, "public", lambda ctx: Verdict.ok())
