"""The check record and its context: ids, seeds, and what a hidden check lets through to feedback."""

from __future__ import annotations

import inspect

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


def leak(ctx) -> Verdict:
    return outcome_failure(ctx.call(np.zeros(3)), ctx.check.target) or Verdict.ok()


def make_check(visibility: str) -> Check:
    return Check(f"hw2.relu_forward.{visibility}.leak", "value", 1.0)


LEAKY = Raised("ValueError", "X=[[0.1234, 5.678]] shape (7, 3)", 'File "backprop.py", line 9, in relu_forward', 0.1)


def test_timeouts_pass_through_unchanged():
    hidden = make_check("hidden")
    verdict = leak(make_context(hidden, ScriptedWorker(TimedOut(2.0)), references=None, secret="s"))
    assert verdict.status == "timeout"


def test_hidden_seeds_need_the_secret_and_depend_on_it():
    assert check_seed("hw2.a.public.b", "public", "") == check_seed("hw2.a.public.b", "public", "other")
    assert check_seed("hw2.a.hidden.b", "hidden", "s1") != check_seed("hw2.a.hidden.b", "hidden", "s2")
    with pytest.raises(ValueError, match="secret"):
        check_seed("hw2.a.hidden.b", "hidden", "")


@pytest.mark.parametrize("bad_id", ["hw2.relu_forward.basic", "hw2.relu_forward.secret.x", "hw2..public.x"])
def test_check_ids_must_name_assignment_target_and_visibility(bad_id):
    with pytest.raises(ValueError, match="must read"):
        Check(bad_id, "value", 1.0)


def test_a_record_reads_its_assignment_target_and_visibility_from_its_id_and_knows_where_it_is_written():
    line = inspect.currentframe().f_lineno + 1
    check = Check("hw2.relu_forward.hidden.kink.zeros", "value", 1.5)
    assert (check.assignment, check.target, check.visibility, check.case) == ("hw2", "relu_forward", "hidden",
                                                                              "kink.zeros")
    assert check.defined_at == f"tests/test_checks_base.py:{line}"


def test_a_contexts_generator_is_made_when_first_used_and_follows_from_the_check_seed():
    check = Check("hw2.relu_forward.hidden.a", "value", 1.0)
    ctx = make_context(check, ScriptedWorker(TimedOut(1.0)), references=None, secret="s")
    assert "rng" not in vars(ctx)  # a check whose inputs are remembered never pays for it
    drawn = ctx.rng.normal(size=3)
    assert ctx.rng is ctx.rng
    assert np.array_equal(drawn, np.random.default_rng(check_seed(check.id, "hidden", "s")).normal(size=3))
