"""hw2 rules of the linear layer ``Y = X Wᵀ + b``: X (N, D), W (O, D), b (O,)."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.gradient import upstream
from grader.checks.mistakes import Mistake
from grader.checks.rules import Gradient, Rule, gradcheck, unchanged, value

Gen = np.random.Generator


def linear(rng: Gen, N: int, D: int, O: int) -> dict[str, Any]:
    return {"X": rng.standard_normal((N, D)), "W": rng.standard_normal((O, D)), "b": rng.standard_normal(O)}


def linear_back(rng: Gen, N: int, D: int, O: int, with_b: bool = False) -> dict[str, Any]:
    """``(dY, X, W)``; with ``b`` too for a finite-difference check of ``linear_forward``."""
    d = {"dY": upstream(rng, (N, O)), "X": rng.standard_normal((N, D)), "W": rng.standard_normal((O, D))}
    return {**d, "b": rng.standard_normal(O)} if with_b else d


def linear_grad(rng: Gen, N: int, D: int, O: int) -> dict[str, Any]:
    return linear_back(rng, N, D, O, with_b=True)


# What each mistake answers, from the inputs d and the right answer e.
def _no_bias(d: dict, e: Any) -> Any:
    return d["X"] @ d["W"].T


def _output_transposed(d: dict, e: Any) -> Any:
    return np.asarray(e).T


def _transposed_dW(d: dict, e: Any) -> Any:
    dX, dW, db = e
    return [dX, dW.T, db]


def _db_not_summed(d: dict, e: Any) -> Any:
    dX, dW, _ = e
    return [dX, dW, d["dY"]]


def _db_averaged(d: dict, e: Any) -> Any:
    dX, dW, db = e
    return [dX, dW, db / len(d["dY"])]


TRANSPOSED_DW = Mistake("transposed_dW", "dW looks transposed: W is (out, in), so dW = dYᵀ·X has W's shape",
                        _transposed_dW)

LINEAR_FORWARD = Rule(
    "linear_forward", linear, "Y",
    (Mistake("linear_no_bias", "the bias b is missing: Y = X·Wᵀ + b", _no_bias),
     Mistake("linear_output_transposed", "batch first: Y = X·Wᵀ + b has shape (N, out), one row per sample (the "
             "slides' W·x is one sample as a column)", _output_transposed)),
    public=(value("basic", 1, 4, 3, 2, description="Y = X Wᵀ + b for X (4, 3), W (2, 3)"),))
LINEAR_BACKWARD = Rule(
    "linear_backward", linear_back, ("dX", "dW", "db"),
    (TRANSPOSED_DW,
     Mistake("db_not_summed", "db is not summed over the batch: db = Σ_n dY[n], shape (out,)", _db_not_summed),
     Mistake("db_averaged", "db is averaged over the batch; it is the sum Σ_n dY[n] (the 1/N belongs to the cost)",
             _db_averaged)),
    gradient=Gradient(linear_grad, ("dY", "X", "W"), ("linear_forward", ("X", "W", "b")), ("X", "W", "b"), "dY"),
    public=(value("values", 1, 4, 3, 2, description="(dX, dW, db) against the reference"),
            gradcheck("gradcheck", 1, 4, 3, 2, description="finite differences of linear_forward"),
            unchanged("no_mutation", 0.5, 3, 2, 2, description="dY, X, W unchanged")))

RULES = (LINEAR_FORWARD, LINEAR_BACKWARD)
