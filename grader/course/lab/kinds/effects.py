"""Lab checks judged by effect: what ``train`` does to weights the grader chose (weight decay, the StepLR schedule,
the last partial batch), and the labels ``predict`` gives for the grader's model left in train mode.

Why this way: the grader draws the initial weights and sends them as data, so it knows them without asking the
worker; the worker returns the weights after training, or the labels, and the grader computes what they must be
from the rules themselves (never a run of reference code):

- weight decay and the schedule: on the separable problem every weight gets a loss gradient, and the grader
  computes every path plain SGD with weight decay and StepLR can take whatever the shuffling
  (``grader.course.lab.decay``): each returned column must end one of them. (A probe on which one hidden unit stays
  silent, used before, let a ``train`` decay only the weights that got no gradient, and pass.)
- predict: the labels must be the argmax of the grader's own eval-mode forward of the weights it sent, on two
  calls (the model handed over in train mode each time, torch's global generator in another state): dropout
  left active shows as wrong labels. Whether gradients were recorded cannot be seen from outside the worker's
  process, and the course does not grade it (SPEC §2 grades predictions, their determinism and their shape).
- format: the type, dtype and shape of what ``predict`` returned as it crossed back (a tensor or an ndarray
  arrives as an ndarray; a list stays a list).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from grader.checks.accuracy import mlp_logits
from grader.checks.base import Context, Verdict
from grader.checks.compare import as_numeric
from grader.checks.judge import outcome_failure, stated
from grader.course.lab import decay
from grader.course.lab.kinds.training import weights_after
from grader.course.lab.models import mixed_weights, plain_spec
from grader.course.lab.rules import FORGOT_EVAL, RETURNS_SCORES, named
from grader.course.lab.separable import draw_separable
from grader.protocol.outcomes import Returned


def weight_decay(ctx: Context, *, n: int, classes: int, scale: float, kwargs: dict) -> Verdict:
    """``train(**kwargs)`` on a draw of the separable problem must end every column of the weights on one of plain
    SGD's paths with weight decay and StepLR (``grader.course.lab.decay``); a known mistake's paths name it."""
    known = decay.steppings(n, kwargs)
    problem = draw_separable(ctx.rng, n, classes, scale)
    outcome = ctx.procedure("lab_train", X=problem.X(), y=problem.y, spec=problem.spec(), weights=problem.weights(),
                            torch_seed=int(ctx.rng.integers(2**31)),
                            kwargs={**kwargs, "seed": int(ctx.rng.integers(2**31))})
    if not isinstance(outcome, Returned):
        return outcome_failure(outcome, "train")
    trained, _, problem_text = weights_after(outcome.value, [n, classes], ctx.hidden)
    if trained is None:
        return stated("train", problem_text)
    W = trained[0][0]

    def finals(mistake: str) -> np.ndarray:
        return ctx.expected(f"finals{mistake}", lambda: decay.decayed_finals(problem, known[mistake]))

    if decay.follows(W, finals("")):
        return Verdict.ok()
    mistake = next((named(m) for m in known if m and decay.follows(W, finals(m))), None)
    return stated("train", "every SGD step should move each weight by -lr·(its loss gradient + weight_decay · the "
                  "weight), with StepLR's lr set once per epoch and every sample used once per epoch", mistake)


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
