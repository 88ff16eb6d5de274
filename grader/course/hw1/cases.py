"""hw1 (gradient descent) check material shared by the public and hidden suites: input makers and
what each known mistake would answer. Shapes: X (m, D), Y (m,), w (D,)."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.base import Builtin, Rng
from grader.checks.compare import ANY
from grader.checks.own import Helpers, Own
from grader.worker.builtins import BUILTINS

Gen = np.random.Generator
# How feedback names each target's return.
OUTPUTS = {"gd_step": "w", "dataset_loss": "the loss", "linear_regression_loss": "the loss",
           "linear_regression_grad": "the gradient", "batch_gd": ("w", "losses"), "sgd": "w"}


def data(rng: Gen, m: int, D: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A noisy linear problem: X (m, D), Y (m,), and a starting w (D,)."""
    X = rng.standard_normal((m, D))
    Y = X @ rng.standard_normal(D) + 0.3 * rng.standard_normal(m)
    return X, Y, rng.standard_normal(D)


def step_inputs(shape: tuple[int, ...]):
    def make(rng: Gen) -> dict[str, Any]:
        w, grad = rng.standard_normal(shape), rng.standard_normal(shape)
        return {"w": w, "grad": grad, "lr": float(rng.uniform(0.05, 0.5))}

    return make


def loss_inputs(D: int):
    def make(rng: Gen) -> dict[str, Any]:
        return {"x": rng.standard_normal(D), "y": float(rng.normal(0, 3)), "w": rng.standard_normal(D)}

    return make


def dataset_inputs(m: int, D: int, loss: str):
    def make(rng: Gen) -> dict[str, Any]:
        X, Y, w = data(rng, m, D)
        return {"loss_fn": Builtin(loss), "X": X, "Y": Y, "w": w}

    return make


def grad_inputs(m: int, D: int):
    def make(rng: Gen) -> dict[str, Any]:
        X, Y, w = data(rng, m, D)
        return {"X": X, "Y": Y, "w": w}

    return make


def descent_inputs(m: int, D: int, steps: int, grad: str, seeded: bool = False):
    """Arguments of batch_gd, or of sgd (with an ``Rng`` marker) when ``seeded``."""

    def make(rng: Gen) -> dict[str, Any]:
        X, Y, w0 = data(rng, m, D)
        d = {"grad_fn": Builtin(grad), "w0": w0, "X": X, "Y": Y, "lr": float(rng.uniform(0.05, 0.3)), "steps": steps}
        if seeded:
            d["rng"] = Rng(int(rng.integers(2**31)))
        return d

    return make


def _half_mse(X: np.ndarray, Y: np.ndarray, w: np.ndarray) -> float:
    return float(np.mean(0.5 * (X @ w - Y) ** 2))


# What each known mistake returns, from the inputs d and the reference answer e.
def step_variants(d: dict, e: Any) -> dict[str, Any]:
    return {"gd_step_ascent": d["w"] + d["lr"] * d["grad"]}


def dataset_variants(d: dict, e: Any) -> dict[str, Any]:
    return {"loss_sum_not_mean": e * len(d["X"])}


def loss_variants(d: dict, e: Any) -> dict[str, Any]:
    return {"missing_half": 2 * e}


def grad_variants(d: dict, e: Any) -> dict[str, Any]:
    return {"missing_1_over_m": e * len(d["X"]), "wrong_sign": -e}


def batch_gd_variants(d: dict, e: Any) -> dict[str, Any]:
    w, losses = e
    after = np.append(np.asarray(losses)[1:], _half_mse(d["X"], d["Y"], w))
    return {"batch_gd_losses_after_step": [w, after], "loss_sum_not_mean": [w, np.asarray(losses) * len(d["X"])]}


def sgd_variants(d: dict, e: Any) -> dict[str, Any]:
    grad_fn = BUILTINS[d["grad_fn"].name]
    w = np.array(d["w0"], dtype=np.float64)
    for _ in range(d["steps"]):
        w = w - d["lr"] * grad_fn(d["X"], d["Y"], w)
    return {"sgd_full_batch": w}


def weights_only(e: Any) -> Any:
    return [e[0], ANY]


def losses_only(e: Any) -> Any:
    return [ANY, e[1]]


# batch_gd and sgd judged on their own (grader.checks.own): the right answer when the helpers they call make
# the mistakes their own checks caught (each helper's answer the reference's, turned by that mistake's model).
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


own_batch_gd = Own({"gd_step": step_variants, "dataset_loss": dataset_variants,
                    "linear_regression_loss": loss_variants}, _batch_gd_given)
own_sgd = Own({"gd_step": step_variants}, _sgd_given)
