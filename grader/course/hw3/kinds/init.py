"""An initialiser judged by its draws: their shape and statistics, and that they come from the generator given."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from grader.checks import statistical as st
from grader.checks.base import Context, Verdict
from grader.checks.judge import outcome_failure, stated
from grader.checks.mistakes import Mistake
from grader.course.hw3.rules.init import NOT_REPRODUCIBLE, SAME_DRAWS, TRANSPOSED
from grader.protocol.markers import Rng
from grader.protocol.outcomes import Returned


def init_statistics(ctx: Context, *, fan_in: int, fan_out: int, distribution: str, scale: Callable,
                    mistakes: Sequence[Mistake] = ()) -> Verdict:
    """Draws of one call: shape (fan_out, fan_in) and the statistics of the ``distribution`` ("uniform": U(−a, a);
    "normal": N(0, σ²)) with ``scale(fan_in, fan_out)`` its a or σ, each test accepting a correct initialiser
    except with probability <= statistical.DELTA (union bound < 1e-6 per check). A mistake is named when the
    draws pass every test at the scale its model gives."""
    target = ctx.check.target
    right = scale(fan_in, fan_out)
    fans = {"fan_in": fan_in, "fan_out": fan_out}
    wrong_scales = {m: s for m in mistakes if (s := m.answer(fans, right)) is not None}

    def findings(values: np.ndarray, s: float) -> list[st.Finding]:
        return st.uniform_findings(values, s) if distribution == "uniform" else st.normal_findings(values, s)

    outcome = ctx.call(fan_in, fan_out, Rng(int(ctx.rng.integers(2**31))))
    if not isinstance(outcome, Returned):
        return outcome_failure(outcome, target)
    values = outcome.value
    if not isinstance(values, np.ndarray) or values.dtype.kind != "f":
        return stated(target, "it should return a float array of weights")
    if values.shape != (fan_out, fan_in):
        mistake = TRANSPOSED if values.shape == (fan_in, fan_out) else None
        shown = "" if ctx.hidden else f" {values.shape} for fan_in={fan_in}, fan_out={fan_out}"
        return stated(target, f"the weights have the wrong shape{shown}: the shape is (fan_out, fan_in)", mistake)
    failed = [f for f in findings(values, right) if not f.ok]
    if not failed:
        return Verdict.ok()
    named = next((m for m, s in wrong_scales.items() if all(f.ok for f in findings(values, s))), None)
    problem = "the draws do not follow the distribution" + ("" if ctx.hidden else f": {failed[0].describe()}")
    return stated(target, problem, named, "distribution")


def _is_numeric_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind in "biuf"


def init_seeding(ctx: Context, *, fan_in: int, fan_out: int) -> Verdict:
    """Property: the same seed gives the same weights, another seed other weights."""
    target = ctx.check.target
    seed_a, seed_b = (int(s) for s in ctx.rng.choice(2**31, size=2, replace=False))
    values = []
    for seed in (seed_a, seed_a, seed_b):
        outcome = ctx.call(fan_in, fan_out, Rng(seed))
        if not isinstance(outcome, Returned):
            return outcome_failure(outcome, target)
        values.append(outcome.value)
    a, again, b = (np.asarray(v, dtype=np.float64) if _is_numeric_array(v) else None for v in values)
    if a is None or again is None or b is None or a.shape != again.shape or a.shape != b.shape:
        return stated(target, "it should return a float array of weights")
    if not np.array_equal(a, again):
        return stated(target, "two calls with generators of the same seed gave different weights", NOT_REPRODUCIBLE)
    if np.array_equal(a, b):
        return stated(target, "generators of different seeds gave the same weights", SAME_DRAWS)
    return Verdict.ok()
