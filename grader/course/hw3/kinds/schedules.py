"""A learning-rate schedule judged over many epochs: every call's rate must match the reference's."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from grader.checks.base import Context, Verdict
from grader.checks.compare import Mismatch, all_numeric, compare
from grader.checks.judge import mismatch_verdict, outcome_failure, stated
from grader.checks.mistakes import Mistake, match, variants
from grader.protocol.outcomes import Returned


def schedule(ctx: Context, *, calls: Callable, mistakes: Sequence[Mistake] = ()) -> Verdict:
    """``calls(rng)`` lists one call per epoch; the rates must match the reference's, and a mistake is named
    when every rate equals what its model gives."""
    target = ctx.check.target
    cases = calls(ctx.rng)
    got, expected = [], []
    for d in cases:
        outcome = ctx.call(*d.values())
        if not isinstance(outcome, Returned):
            return outcome_failure(outcome, target)
        got.append(outcome.value)
        expected.append(ctx.reference(target, *d.values()))
    numbers = all_numeric(got)
    if numbers is None or any(n.ndim != 0 for n in numbers) or any(isinstance(v, bool) for v in got):
        return stated(target, "it should return a single number (the learning rate)")
    actual = np.array([float(n) for n in numbers])
    right = np.array(expected, dtype=np.float64)
    found = compare(actual, right, name="lr", hidden=ctx.hidden)
    if found is None:
        return Verdict.ok()
    where = "" if ctx.hidden else f" over epochs {[d['epoch'] for d in cases]}"
    found = Mismatch(found.name, found.problem, found.message + where, found.error)
    return mismatch_verdict(target, found, match(actual, np.array(expected), variants(mistakes, cases, right)))
