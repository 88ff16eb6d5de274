"""hw3 rules of regularisation on weights (never biases): L1 and L2 penalties over a list of weight matrices
(``lam · Σ|W|``, ``lam/2 · Σ‖W‖²``), their gradients (the L1 subgradient is 0 at 0), and the elastic net's."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.mistakes import Mistake
from grader.checks.rules import Rule, value

Gen = np.random.Generator


def weight_list(rng: Gen, shapes: list[tuple[int, int]], zeros: bool = False) -> dict[str, Any]:
    weights = [rng.standard_normal(s) for s in shapes]
    if zeros:
        for W in weights:
            W[rng.random(W.shape) < 0.3] = 0.0
    return {"weights": weights, "lam": float(rng.uniform(0.01, 0.5))}


def grad_inputs(rng: Gen, shape: tuple[int, int], zeros: float = 0.0, elastic: bool = False) -> dict[str, Any]:
    W = rng.standard_normal(shape)
    W[rng.random(shape) < zeros] = 0.0
    lams = {"l1": float(rng.uniform(0.01, 0.5)), "l2": float(rng.uniform(0.6, 1.5))} if elastic else {
        "lam": float(rng.uniform(0.01, 0.5))}
    return {"W": W, **lams}


def elastic_inputs(rng: Gen, shape: tuple[int, int], zeros: float = 0.0) -> dict[str, Any]:
    return grad_inputs(rng, shape, zeros, elastic=True)


def _squares(d: dict) -> list[float]:
    return [float((W**2).sum()) for W in d["weights"]]


# What each mistake answers, from the inputs d and the right answer e.
def _l1_mean(d: dict, e: Any) -> Any:
    return d["lam"] * np.mean(np.concatenate([np.abs(W).ravel() for W in d["weights"]]))


def _l1_first(d: dict, e: Any) -> Any:
    return d["lam"] * np.abs(d["weights"][0]).sum() if len(d["weights"]) > 1 else None


def _l2_no_half(d: dict, e: Any) -> Any:
    return d["lam"] * sum(_squares(d))


def _l2_not_squared(d: dict, e: Any) -> Any:
    return d["lam"] / 2 * sum(np.sqrt(_squares(d)))


def _l2_mean(d: dict, e: Any) -> Any:
    return d["lam"] / 2 * sum(_squares(d)) / sum(W.size for W in d["weights"])


def _l2_first(d: dict, e: Any) -> Any:
    return d["lam"] / 2 * _squares(d)[0] if len(d["weights"]) > 1 else None


def _l1_sign_at_zero(d: dict, e: Any) -> Any:
    return d["lam"] * np.where(d["W"] >= 0, 1.0, -1.0)


def _l1_is_W(d: dict, e: Any) -> Any:
    return d["lam"] * d["W"]


def _l2_factor_two(d: dict, e: Any) -> Any:
    return 2 * d["lam"] * d["W"]


def _l2_is_sign(d: dict, e: Any) -> Any:
    return d["lam"] * np.sign(d["W"])


def _elastic_swapped(d: dict, e: Any) -> Any:
    return d["l2"] * np.sign(d["W"]) + d["l1"] * d["W"]


def _elastic_factor_two(d: dict, e: Any) -> Any:
    return d["l1"] * np.sign(d["W"]) + 2 * d["l2"] * d["W"]


def _elastic_sign_at_zero(d: dict, e: Any) -> Any:
    return d["l1"] * np.where(d["W"] >= 0, 1.0, -1.0) + d["l2"] * d["W"]


MEAN_NOT_SUM = "the penalty sums over all weights; it is not a mean"
FIRST_ONLY = "sum the penalty over every weight matrix in the list"
SIGN_AT_ZERO = "the L1 subgradient at W == 0 is 0 here (np.sign), not ±lam"
FACTOR_TWO = "with the ½ in lam/2 ‖W‖², the gradient is lam · W (no factor 2)"

L1_PENALTY = Rule(
    "l1_penalty", weight_list, "the penalty",
    (Mistake("penalty_mean_not_sum", MEAN_NOT_SUM, _l1_mean), Mistake("penalty_first_matrix_only", FIRST_ONLY,
                                                                      _l1_first)),
    public=(value("two_layers", 1, [(4, 3), (2, 4)], description="lam · Σ|W| over a list of two weight matrices"),))
L1_GRAD = Rule(
    "l1_grad", grad_inputs, "the gradient",
    (Mistake("l1_sign_at_zero", SIGN_AT_ZERO, _l1_sign_at_zero),
     Mistake("l1_grad_is_W", "the L1 gradient is lam · sign(W), not lam · W", _l1_is_W)),
    public=(value("basic", 1, (5, 4), zeros=0.2, description="lam · sign(W), 0 where W == 0"),))
L2_PENALTY = Rule(
    "l2_penalty", weight_list, "the penalty",
    (Mistake("l2_missing_half", "l2_penalty is lam/2 · Σ‖W‖²: the ½ is missing", _l2_no_half),
     Mistake("l2_norm_not_squared", "l2_penalty uses the squared norm ‖W‖² = Σ W²", _l2_not_squared),
     Mistake("penalty_mean_not_sum", MEAN_NOT_SUM, _l2_mean), Mistake("penalty_first_matrix_only", FIRST_ONLY,
                                                                      _l2_first)),
    public=(value("two_layers", 1, [(4, 3), (2, 4)], description="lam/2 · Σ‖W‖² over a list of two weight "
                  "matrices"),))
L2_GRAD = Rule(
    "l2_grad", grad_inputs, "the gradient",
    (Mistake("l2_grad_factor_two", FACTOR_TWO, _l2_factor_two),
     Mistake("l2_grad_is_sign", "the L2 gradient is lam · W, not lam · sign(W)", _l2_is_sign)),
    public=(value("basic", 1, (5, 4), description="lam · W"),))
ELASTIC_NET_GRAD = Rule(
    "elastic_net_grad", elastic_inputs, "the gradient",
    (Mistake("elastic_swapped", "l1 goes with sign(W) and l2 with W: l1 · sign(W) + l2 · W", _elastic_swapped),
     Mistake("l2_grad_factor_two", FACTOR_TWO, _elastic_factor_two),
     Mistake("l1_sign_at_zero", SIGN_AT_ZERO, _elastic_sign_at_zero)),
    public=(value("basic", 1, (3, 6), zeros=0.2, description="l1 · sign(W) + l2 · W"),))

RULES = (L1_PENALTY, L1_GRAD, L2_PENALTY, L2_GRAD, ELASTIC_NET_GRAD)
