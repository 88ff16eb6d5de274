"""hw2 rules of the costs, means over the batch: ``mse = 1/(2N) Σ ‖ŷ − y‖²`` and softmax cross-entropy with
integer labels (stable for logits of magnitude 1000)."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.mistakes import MUTATED_INPUT, NOT_STABLE, Mistake
from grader.checks.rules import Gradient, Rule, gradcheck, unchanged, value

Gen = np.random.Generator


def regression(rng: Gen, N: int, D: int) -> dict[str, Any]:
    return {"Y_hat": rng.standard_normal((N, D)), "Y": rng.standard_normal((N, D))}


def classification(rng: Gen, N: int, K: int, scale: float = 2.0, huge: float = 0.0) -> dict[str, Any]:
    """``(logits, labels)``; with ``huge`` the logits are ±huge plus small noise."""
    logits = scale * rng.standard_normal((N, K))
    if huge:
        logits = huge * rng.choice([-1.0, 1.0], size=(N, K)) + rng.standard_normal((N, K))
    return {"logits": logits, "labels": rng.integers(0, K, size=N)}


# What each mistake answers, from the inputs d and the right answer e.
def _times_N(d: dict, e: Any) -> Any:
    return e * len(d["Y"])


def _doubled(d: dict, e: Any) -> Any:
    return 2 * e


def _over_D(d: dict, e: Any) -> Any:
    return e / d["Y"].shape[1]


def _ce_times_N(d: dict, e: Any) -> Any:
    return e * len(d["labels"])


def _forgot_one_hot(d: dict, e: Any) -> Any:
    N, K = d["logits"].shape
    return e + np.eye(K)[d["labels"]] / N


MSE_NO_N = "the 1/N is missing: the cost is averaged over the batch"
MSE_OVER_ELEMENTS = Mistake("mse_mean_over_elements", "average over the N samples only, not over all N·D elements",
                            _over_D)
CE_NO_N = "the 1/N is missing: the cost is the mean over the batch"

MSE_FORWARD = Rule(
    "mse_forward", regression, "the cost",
    (Mistake("mse_missing_1_over_N", MSE_NO_N, _times_N),
     Mistake("mse_1_over_N_not_2N", "the cost is 1/(2N) Σ ‖ŷ−y‖²: the ½ is missing", _doubled), MSE_OVER_ELEMENTS),
    public=(value("basic", 1, 5, 2, description="1/(2N) Σ ‖ŷ − y‖²"),))
MSE_BACKWARD = Rule(
    "mse_backward", regression, "dY_hat",
    (Mistake("mse_missing_1_over_N", MSE_NO_N, _times_N),
     Mistake("mse_backward_factor_2", "with the ½ in the cost, dC/dŷ = (ŷ − y)/N (no factor 2)", _doubled),
     MSE_OVER_ELEMENTS),
    gradient=Gradient(regression, ("Y_hat", "Y"), ("mse_forward", ("Y_hat", "Y")), "Y_hat"),
    public=(value("values", 1, 5, 2, description="(ŷ − y) / N"),
            gradcheck("gradcheck", 1, 4, 2, description="finite differences of mse_forward")))
SOFTMAX_CROSS_ENTROPY_FORWARD = Rule(
    "softmax_cross_entropy_forward", classification, "the cost",
    (Mistake("ce_missing_1_over_N", CE_NO_N, _ce_times_N), NOT_STABLE),
    public=(value("basic", 1, 5, 4, description="mean cross-entropy of softmax, 5 samples, 4 classes"),))
SOFTMAX_CROSS_ENTROPY_BACKWARD = Rule(
    "softmax_cross_entropy_backward", classification, "dlogits",
    (Mistake("ce_missing_1_over_N", CE_NO_N, _ce_times_N),
     Mistake("ce_forgot_one_hot", "subtract 1 at each sample's label: dlogits = (softmax − onehot)/N",
             _forgot_one_hot), MUTATED_INPUT),
    gradient=Gradient(classification, ("logits", "labels"), ("softmax_cross_entropy_forward", ("logits", "labels")),
                      "logits"),
    public=(value("values", 1, 5, 4, description="(softmax − onehot) / N"),
            gradcheck("gradcheck", 1, 4, 3, description="finite differences of the forward"),
            unchanged("no_mutation", 0.5, 3, 3, description="logits and labels unchanged")))

RULES = (MSE_FORWARD, MSE_BACKWARD, SOFTMAX_CROSS_ENTROPY_FORWARD, SOFTMAX_CROSS_ENTROPY_BACKWARD)
