"""hw1 (gradient descent): one rule per graded function — its inputs, the labels of its return, the mistakes
students make with it and what each answers, and its public standard checks. Shapes: X (m, D), Y (m,), w (D,).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.compare import ANY
from grader.checks.mistakes import MUTATED_INPUT, Mistake
from grader.checks.own import Helpers, Own
from grader.checks.rules import Rule, unchanged, value
from grader.protocol.builtins import BUILTINS
from grader.protocol.markers import Builtin, Rng

Gen = np.random.Generator


# ---------------------------------------------------------------- inputs
def data(rng: Gen, m: int, D: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A noisy linear problem: X (m, D), Y (m,), and a starting w (D,)."""
    X = rng.standard_normal((m, D))
    Y = X @ rng.standard_normal(D) + 0.3 * rng.standard_normal(m)
    return X, Y, rng.standard_normal(D)


def step_inputs(rng: Gen, shape: tuple[int, ...]) -> dict[str, Any]:
    w, grad = rng.standard_normal(shape), rng.standard_normal(shape)
    return {"w": w, "grad": grad, "lr": float(rng.uniform(0.05, 0.5))}


def loss_inputs(rng: Gen, D: int) -> dict[str, Any]:
    return {"x": rng.standard_normal(D), "y": float(rng.normal(0, 3)), "w": rng.standard_normal(D)}


def dataset_inputs(rng: Gen, m: int, D: int, loss: str) -> dict[str, Any]:
    """``loss`` names the per-sample loss handed over (``grader.protocol.builtins``)."""
    X, Y, w = data(rng, m, D)
    return {"loss_fn": Builtin(loss), "X": X, "Y": Y, "w": w}


def grad_inputs(rng: Gen, m: int, D: int) -> dict[str, Any]:
    X, Y, w = data(rng, m, D)
    return {"X": X, "Y": Y, "w": w}


def descent_inputs(rng: Gen, m: int, D: int, steps: int, grad: str) -> dict[str, Any]:
    """batch_gd's arguments; ``grad`` names the gradient handed over (Huber or ridge, not the student's own)."""
    X, Y, w0 = data(rng, m, D)
    return {"grad_fn": Builtin(grad), "w0": w0, "X": X, "Y": Y, "lr": float(rng.uniform(0.05, 0.3)), "steps": steps}


def sgd_inputs(rng: Gen, m: int, D: int, steps: int, grad: str) -> dict[str, Any]:
    """sgd's arguments: batch_gd's and a seeded generator."""
    return {**descent_inputs(rng, m, D, steps, grad), "rng": Rng(int(rng.integers(2**31)))}


def _half_mse(X: np.ndarray, Y: np.ndarray, w: np.ndarray) -> float:
    return float(np.mean(0.5 * (X @ w - Y) ** 2))


def weights_only(e: Any) -> Any:
    return [e[0], ANY]


def losses_only(e: Any) -> Any:
    return [ANY, e[1]]


# ---------------------------------------------------------------- what each mistake answers, from inputs d and the
# right answer e
def _ascent(d: dict, e: Any) -> Any:
    return d["w"] + d["lr"] * d["grad"]


def _summed(d: dict, e: Any) -> Any:
    return e * len(d["X"])


def _doubled(d: dict, e: Any) -> Any:
    return 2 * e


def _negated(d: dict, e: Any) -> Any:
    return -e


def _squared_error_only(d: dict, e: Any) -> Any:
    return _half_mse(d["X"], d["Y"], d["w"])


def _not_squared(d: dict, e: Any) -> Any:
    return 0.5 * float(d["x"] @ d["w"] - d["y"])


def _samples_in_order(d: dict, e: Any) -> Any:
    grad_fn = BUILTINS[d["grad_fn"].name]
    X, Y, w = d["X"], d["Y"], np.array(d["w0"], dtype=np.float64)
    for t in range(d["steps"]):
        k = t % len(X)
        w = w - d["lr"] * grad_fn(X[k : k + 1], Y[k : k + 1], w)
    return w


def _losses_after(d: dict, e: Any) -> Any:
    w, losses = e
    return [w, np.append(np.asarray(losses)[1:], _half_mse(d["X"], d["Y"], w))]


def _losses_summed(d: dict, e: Any) -> Any:
    return [e[0], np.asarray(e[1]) * len(d["X"])]


def _full_batch(d: dict, e: Any) -> Any:
    grad_fn = BUILTINS[d["grad_fn"].name]
    w = np.array(d["w0"], dtype=np.float64)
    for _ in range(d["steps"]):
        w = w - d["lr"] * grad_fn(d["X"], d["Y"], w)
    return w


ASCENT = Mistake("gd_step_ascent", "the step goes uphill: gradient descent subtracts lr · grad", _ascent)
SUM_NOT_MEAN = "this is the sum over samples; the loss of a data set is the mean (divide by m)"
MISSING_HALF = Mistake("missing_half", "the ½ in ½ (x·w − y)² is missing", _doubled)
MISSING_1_OVER_M = Mistake("missing_1_over_m", "the 1/m is missing: the gradient of a mean loss is averaged over "
                           "the m samples", _summed)
WRONG_SIGN = Mistake("wrong_sign", "the sign is flipped", _negated)
LOSSES_AFTER = Mistake("batch_gd_losses_after_step", "losses[t] must be the loss at the weights *before* step t "
                       "(losses[0] at w0)", _losses_after)
FULL_BATCH = Mistake("sgd_full_batch", "each SGD step must use the gradient of one sample X[k:k+1], not of the "
                     "whole batch", _full_batch)

GD_STEP = Rule(
    "gd_step", step_inputs, "w", (ASCENT, MUTATED_INPUT),
    public=(value("basic", 1, (4,), description="one step w - lr*grad on a vector"),
            unchanged("no_mutation", 0.5, (4,), description="w and grad are left unchanged; a new array of w's shape "
                      "comes back")))
DATASET_LOSS = Rule(
    "dataset_loss", dataset_inputs, "the loss",
    (Mistake("loss_sum_not_mean", SUM_NOT_MEAN, _summed),
     Mistake("dataset_loss_ignores_loss_fn", "average loss_fn(x_i, y_i, w) over the samples: this is the squared "
             "error whatever loss_fn is given", _squared_error_only)),
    public=(value("abs_error", 1, 6, 3, "abs_error", description="mean of a per-sample loss (absolute error) over "
                  "6 samples"),))
LINEAR_REGRESSION_LOSS = Rule(
    "linear_regression_loss", loss_inputs, "the loss",
    (MISSING_HALF, Mistake("loss_not_squared", "the loss squares the residual: ½ (x·w − y)²", _not_squared)),
    public=(value("basic", 1, 3, description="½ (x·w − y)² for one sample"),))
LINEAR_REGRESSION_GRAD = Rule(
    "linear_regression_grad", grad_inputs, "the gradient", (MISSING_1_OVER_M, WRONG_SIGN),
    public=(value("basic", 1, 8, 3, description="1/m Xᵀ(Xw − Y) on 8 samples, 3 features"),
            unchanged("no_mutation", 0.5, 5, 2, description="X, Y, w unchanged; the gradient has w's shape")))


# ---------------------------------------------------------------- batch_gd and sgd judged on their own
# (grader.checks.own): the right answer when the helpers they call make the mistakes their own checks caught.
def _batch_gd_given(helpers: Helpers, args: tuple) -> Any:
    grad_fn, w0, X, Y, lr, steps = args
    grad = BUILTINS[grad_fn.name]
    w, losses = np.array(w0, dtype=np.float64), []
    for _ in range(steps):
        per_sample = [float(helpers("linear_regression_loss", x=x, y=float(y), w=w)) for x, y in zip(X, Y, strict=True)]
        losses.append(float(helpers.apply("dataset_loss", {"X": X}, float(np.mean(per_sample)))))
        w = np.asarray(helpers("gd_step", w=w, grad=grad(X, Y, w), lr=lr), dtype=np.float64)
    return [w, np.array(losses)]


def _sgd_given(helpers: Helpers, args: tuple) -> Any:
    grad_fn, w0, X, Y, lr, steps, marker = args
    grad, rng = BUILTINS[grad_fn.name], np.random.default_rng(marker.seed)
    w = np.array(w0, dtype=np.float64)
    for _ in range(steps):
        k = rng.integers(0, len(X))
        w = np.asarray(helpers("gd_step", w=w, grad=grad(X[k : k + 1], Y[k : k + 1], w), lr=lr), dtype=np.float64)
    return w


BATCH_GD = Rule(
    "batch_gd", descent_inputs, ("w", "losses"),
    (LOSSES_AFTER, Mistake("loss_sum_not_mean", SUM_NOT_MEAN, _losses_summed)),
    own=Own({"gd_step": GD_STEP.mistakes, "dataset_loss": DATASET_LOSS.mistakes,
             "linear_regression_loss": LINEAR_REGRESSION_LOSS.mistakes}, _batch_gd_given),
    public=(unchanged("no_mutation", 0.5, 6, 2, 3, "huber_grad", description="w0, X, Y unchanged; returns "
                      "(w, losses) with losses of shape (steps,)"),))
SGD = Rule(
    "sgd", sgd_inputs, "w",
    (FULL_BATCH, Mistake("sgd_samples_in_order", "draw each step's sample with k = rng.integers(0, N), not by "
                         "walking through the samples in order", _samples_in_order)),
    own=Own({"gd_step": GD_STEP.mistakes}, _sgd_given),
    public=(value("seeded", 1, 10, 3, 6, "huber_grad", description="6 seeded steps, one sample k = "
                  "rng.integers(0, N) each"),
            unchanged("no_mutation", 0.5, 6, 2, 3, "huber_grad", description="w0, X, Y unchanged; the weights "
                      "have w0's shape")))

RULES = (GD_STEP, DATASET_LOSS, LINEAR_REGRESSION_LOSS, LINEAR_REGRESSION_GRAD, BATCH_GD, SGD)
