"""hw3 rules of inverted dropout: ``keep = rng.random(X.shape) >= p``, ``mask = keep / (1 - p)``, ``Y = X · mask``
in train mode; in eval mode ``Y`` is ``X`` and the mask is ones. The backward multiplies by the mask."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.mistakes import Mistake
from grader.checks.rules import Rule, unchanged, value
from grader.protocol.markers import Rng

Gen = np.random.Generator


def dropout_inputs(rng: Gen, N: int, D: int, p: float, train: bool) -> dict[str, Any]:
    return {"X": rng.standard_normal((N, D)), "p": p, "train": train, "rng": Rng(int(rng.integers(2**31)))}


def dropout_backward_inputs(rng: Gen, N: int, D: int, p: float) -> dict[str, Any]:
    return {"dY": rng.standard_normal((N, D)), "mask": (rng.random((N, D)) >= p) / (1 - p)}


def _draws(d: dict) -> np.ndarray:
    """The uniform draws ``rng.random(X.shape)`` of the generator the call was given."""
    return np.random.default_rng(d["rng"].seed).random(d["X"].shape)


# What each mistake answers, from the inputs d and the right answer e (train-mode mistakes answer None in eval
# mode and the other way round).
def _not_rescaled(d: dict, e: Any) -> Any:
    keep = _draws(d) >= d["p"]
    return [d["X"] * keep, keep * 1.0] if d["train"] else None


def _keep_rule(d: dict, e: Any) -> Any:
    kept = _draws(d) < 1 - d["p"]
    return [d["X"] * kept / (1 - d["p"]), kept / (1 - d["p"])] if d["train"] else None


def _p_is_keep(d: dict, e: Any) -> Any:
    kept = _draws(d) < d["p"]
    return [d["X"] * kept / d["p"], kept / d["p"]] if d["train"] and d["p"] > 0 else None


def _in_eval(d: dict, e: Any) -> Any:
    keep = _draws(d) >= d["p"]
    return None if d["train"] else [d["X"] * keep / (1 - d["p"]), keep / (1 - d["p"])]


def _eval_scaled(d: dict, e: Any) -> Any:
    X, p = d["X"], d["p"]
    return None if d["train"] else [X * (1 - p), np.full(X.shape, 1 - p)]


def _backward_not_rescaled(d: dict, e: Any) -> Any:
    return d["dY"] * (d["mask"] > 0)


def _backward_local(d: dict, e: Any) -> Any:
    return d["mask"]


DROPOUT_FORWARD = Rule(
    "dropout_forward", dropout_inputs, ("Y", "mask"),
    (Mistake("dropout_not_rescaled", "inverted dropout rescales the kept units: mask = keep / (1 − p)", _not_rescaled),
     Mistake("dropout_keep_rule", "keep a unit where rng.random(X.shape) >= p (one draw of X's shape)", _keep_rule),
     Mistake("dropout_p_is_keep_probability", "p is the probability of DROPPING a unit: keep = rng.random(X.shape) "
             ">= p", _p_is_keep),
     Mistake("dropout_in_eval", "in eval mode (train=False) dropout does nothing: return X and a mask of ones",
             _in_eval),
     Mistake("dropout_eval_scaled", "inverted dropout needs no scaling at eval time: return X unchanged and ones",
             _eval_scaled)),
    public=(value("train", 1, 20, 8, 0.3, True, description="keep = rng.random(X.shape) >= p, mask = keep / (1 - p)"),
            value("eval", 1, 6, 5, 0.5, False, description="train=False: Y is X and the mask is ones"),
            unchanged("no_mutation", 0.5, 6, 4, 0.4, True, description="X unchanged; Y and mask of X's shape")))
DROPOUT_BACKWARD = Rule(
    "dropout_backward", dropout_backward_inputs, "dX",
    (Mistake("dropout_backward_not_rescaled", "the backward multiplies by the mask itself, including its 1/(1 − p)",
             _backward_not_rescaled),
     Mistake("dropout_backward_forgot_dY", "multiply the upstream gradient dY by the mask", _backward_local)),
    public=(value("basic", 1, 10, 6, 0.25, description="dY · mask"),))

RULES = (DROPOUT_FORWARD, DROPOUT_BACKWARD)
