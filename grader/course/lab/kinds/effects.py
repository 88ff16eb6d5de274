"""Lab checks judged by effect: what ``train`` does to weights the grader chose (weight decay, the StepLR schedule,
the last partial batch), and the labels ``predict`` gives for the grader's model left in train mode.

Why this way: the grader draws the initial weights and sends them as data, so it knows them without asking the
worker; the worker returns the weights after training, or the labels, and the grader computes what they must be
from the rules themselves (never a run of reference code):

- weight decay: the inputs are ordinary-looking data on which one hidden unit never activates (each row on the
  negative side of its hyperplane, ``silent_unit_inputs``), so that unit's incoming weights get no loss gradient:
  plain SGD with weight decay only shrinks them, by ``(1 - lr_t · weight_decay)`` per step whatever the shuffling;
  StepLR sets ``lr_t`` per epoch. Its returned weights must be exactly ``decay_factor(...)`` times the ones the
  grader sent. (Inputs all 0 did the same, but a ``train`` could tell them from training data and decay only then.)
- predict: the labels must be the argmax of the grader's own eval-mode forward of the weights it sent, on two
  calls (the model handed over in train mode each time, torch's global generator in another state): dropout
  left active shows as wrong labels. Whether gradients were recorded cannot be seen from outside the worker's
  process, and the course does not grade it (SPEC §2 grades predictions, their determinism and their shape).
- format: the type, dtype and shape of what ``predict`` returned as it crossed back (a tensor or an ndarray
  arrives as an ndarray; a list stays a list).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from grader.checks.accuracy import mlp_logits
from grader.checks.base import Context, Verdict
from grader.checks.compare import as_numeric
from grader.checks.judge import outcome_failure, stated
from grader.course.lab.kinds.training import weights_after
from grader.course.lab.models import default_init, mixed_weights, plain_spec
from grader.course.lab.rules import (
    DROPS_LAST_BATCH,
    FORGOT_EVAL,
    RETURNS_SCORES,
    SCHEDULER_IGNORED,
    SCHEDULER_PER_BATCH,
    WEIGHT_DECAY_IGNORED,
)
from grader.protocol.outcomes import Returned


def decay_factor(epochs: int, n: int, batch_size: int, lr: float, weight_decay: float, step_size: int | None,
                 gamma: float, *, per_batch: bool = False, drop_last: bool = False, schedule: bool = True) -> float:
    """How much plain SGD with ``weight_decay`` shrinks a weight whose loss gradient is exactly 0:
    ``(1 - lr_t · weight_decay)`` per step, with StepLR's ``lr_t = lr · gamma^(epoch // step_size)``."""
    batches = n // batch_size if drop_last else math.ceil(n / batch_size)
    factor, step = 1.0, 0
    for epoch in range(epochs):
        for _ in range(batches):
            k = ((step if per_batch else epoch) // step_size) if step_size and schedule else 0
            factor *= 1.0 - lr * gamma**k * weight_decay
            step += 1
    return factor


MARGIN = 0.05  # how far below 0 the silent unit's pre-activation stays on every input (float32 rounds far less)


def silent_unit_inputs(weights: list, unit: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` rows of N(0, 1) inputs (float32), each on which hidden ``unit`` of the first layer would activate
    reflected across that unit's hyperplane, so its pre-activation is at most ``-MARGIN`` on every row."""
    w, b = weights[0][0][unit].astype(np.float64), float(weights[0][1][unit])
    X = rng.normal(0.0, 1.0, (n, w.size))
    above = X @ w + b + MARGIN  # > 0 where the unit is not silent enough
    X -= np.outer(2.0 * np.maximum(above, 0.0) / (w @ w), w)
    X = X.astype(np.float32)
    if not np.all(X.astype(np.float64) @ w + b <= -MARGIN / 2):  # float32 moved a row across: a grader bug
        raise ArithmeticError("the silent unit's inputs did not stay on its negative side")
    return X


def weight_decay(ctx: Context, *, n: int, sizes: list[int], kwargs: dict) -> Verdict:
    """On inputs where one hidden unit never activates, that unit's incoming weights must end at exactly
    ``decay_factor(...)`` times the grader's."""
    factor_of = {"epochs": kwargs["epochs"], "n": n, "batch_size": kwargs["batch_size"], "lr": kwargs["lr"],
                 "weight_decay": kwargs["weight_decay"], "step_size": kwargs.get("step_size"),
                 "gamma": kwargs.get("gamma", 0.1)}
    expected = decay_factor(**factor_of)
    wrong = {WEIGHT_DECAY_IGNORED: 1.0, SCHEDULER_PER_BATCH: decay_factor(**factor_of, per_batch=True),
             SCHEDULER_IGNORED: decay_factor(**factor_of, schedule=False),
             DROPS_LAST_BATCH: decay_factor(**factor_of, drop_last=True)}
    y = ctx.rng.integers(0, sizes[-1], n)
    weights = default_init(sizes, ctx.rng)
    unit = int(ctx.rng.integers(sizes[1]))
    X = silent_unit_inputs(weights, unit, n, ctx.rng)
    outcome = ctx.procedure("lab_train", X=X, y=y, spec=plain_spec(sizes),
                            weights=weights, torch_seed=int(ctx.rng.integers(2**31)),
                            kwargs={**kwargs, "seed": int(ctx.rng.integers(2**31))})
    if not isinstance(outcome, Returned):
        return outcome_failure(outcome, "train")
    trained, _, problem = weights_after(outcome.value, sizes, ctx.hidden)
    if trained is None:
        return stated("train", problem)
    before, after = weights[0][0][unit].astype(np.float64), trained[0][0][unit]
    if np.allclose(after, expected * before, rtol=1e-4, atol=1e-7):
        return Verdict.ok()
    ratio = float(np.sum(after * before) / np.sum(before * before))
    mistake = next((m for m, f in wrong.items() if abs(ratio - f) <= 1e-4 * max(f, 1e-3) and
                    abs(f - expected) > 1e-3 * expected), None)
    numbers = "" if ctx.hidden else f" (expected a factor {expected:.4f}, got {ratio:.4f})"
    return stated("train", "weights that get no loss gradient should shrink by (1 - lr·weight_decay) at "
                  f"every SGD step{numbers}", mistake)


def predict_payload(rng: np.random.Generator, sizes: list[int], N: int, p: float) -> dict[str, Any]:
    """The grader's model as weights (float32) and inputs whose top two logits are clearly apart, so float32
    and float64 agree on every label."""
    weights = mixed_weights(sizes, rng)
    X = rng.standard_normal((4 * N + 8, sizes[0])).astype(np.float32)
    top = np.sort(mlp_logits(weights, X), axis=1)
    clear = (top[:, -1] - top[:, -2]) > 1e-3 * (1 + np.abs(top[:, -1]))
    return {"spec": plain_spec(sizes, p), "weights": weights, "X": X[clear][:N], "seed": int(rng.integers(2**31))}


def _labels(value: Any, key: str, N: int) -> np.ndarray | None:
    """The labels under ``key`` as a numeric array of shape (N,), or None."""
    labels = as_numeric(value.get(key)) if isinstance(value, dict) else None
    return labels if labels is not None and labels.shape == (N,) else None


def predict(ctx: Context, *, payload: Callable, aspect: str) -> Verdict:
    """``aspect``: "labels" (both calls give the argmax of the grader's eval-mode forward) or "format" (what
    crossed back is an ndarray of integer labels, shape (N,))."""
    d = payload(ctx.rng)
    outcome = ctx.procedure("lab_predict", **d)
    if not isinstance(outcome, Returned):
        return outcome_failure(outcome, "predict")
    N = len(d["X"])
    labels = _labels(outcome.value, "labels", N)
    if labels is None:  # every aspect needs labels to judge
        raw = as_numeric(outcome.value.get("labels")) if isinstance(outcome.value, dict) else None
        scores = raw is not None and raw.shape == (N, len(d["weights"][-1][1]))  # one score per class
        return stated("predict", "it should return one integer label per row of X, shape (N,)",
                      RETURNS_SCORES if scores else None)
    if aspect == "format":
        raw = outcome.value["labels"]
        if not isinstance(raw, np.ndarray):
            return stated("predict", "it returned a list or numbers; return a tensor or an ndarray of labels")
        if raw.dtype.kind not in "iu":
            return stated("predict", "its labels are not integers: return the argmax's indices (an int64 tensor or "
                          "an integer ndarray)")
        return Verdict.ok()
    expected = mlp_logits(d["weights"], d["X"]).argmax(axis=1)
    again = _labels(outcome.value, "again", N)
    wrong = int(np.sum(labels != expected)) + (N if again is None else int(np.sum(again != expected)))
    if not wrong:
        return Verdict.ok()
    differ = again is not None and not np.array_equal(labels, again)
    count = "some" if ctx.hidden else f"{wrong} of {2 * N}"
    return stated("predict", f"{count} labels (over two calls) differ from the argmax of the model's eval-mode logits",
                  FORGOT_EVAL if differ else None)
