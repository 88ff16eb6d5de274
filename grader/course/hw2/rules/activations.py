"""hw2 rules of the activations ``Z = h(S)``, ``dS = dZ · h'(S)``: ReLU (the gradient passes at S == 0),
sigmoid (stable for |S| of 1000) and tanh. Inputs for finite differences stay away from the kink; the
kink's convention is graded by exact values on exact zeros (special cases of the suites)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from grader.checks.gradient import away_from_zero, upstream
from grader.checks.mistakes import MUTATED_INPUT, NOT_STABLE, Mistake
from grader.checks.rules import Gradient, Rule, gradcheck, unchanged, value

Gen = np.random.Generator
Shape = tuple[int, ...]


def one(rng: Gen, shape: Shape, name: str = "S", scale: float = 2.0, zeros: float = 0.0,
        huge: float = 0.0) -> dict[str, Any]:
    """One array: normal times ``scale``; a fraction ``zeros`` set to exactly 0; ``huge``: values ±huge."""
    S = scale * rng.standard_normal(shape)
    if huge:
        S = huge * rng.choice([-1.0, 1.0], size=shape)
    S[rng.random(shape) < zeros] = 0.0
    return {name: S}


def activation_back(rng: Gen, shape: Shape, zeros: float = 0.0, huge: float = 0.0,
                    margin: float = 0.1) -> dict[str, Any]:
    """``(dZ, S)``: S away from 0 by ``margin`` unless ``zeros`` puts exact zeros in on purpose."""
    S = away_from_zero(rng, shape, margin) * 1.5
    if huge:
        S = huge * np.sign(S)
    S[rng.random(shape) < zeros] = 0.0
    return {"dZ": upstream(rng, shape), "S": S}


def sigmoid(S: np.ndarray) -> np.ndarray:
    """Overflow-free: exp(−logaddexp(0, −S))."""
    return np.exp(-np.logaddexp(0.0, -S))


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": lambda S: np.maximum(S, 0.0), "sigmoid": sigmoid, "tanh": np.tanh}


# What each mistake answers, from the inputs d and the right answer e.
def _relu_mask(d: dict, e: Any) -> Any:
    return (d["S"] > 0).astype(float)


def _sigmoid_of_minus(d: dict, e: Any) -> Any:
    return sigmoid(-d["S"])


def _tanh_of_half(d: dict, e: Any) -> Any:
    return np.tanh(d["S"] / 2)


def _tanh_is_sigmoid(d: dict, e: Any) -> Any:
    return sigmoid(d["S"])


def _strict_at_zero(d: dict, e: Any) -> Any:
    return np.where(d["S"] > 0, d["dZ"], 0.0)


def _mask_from_upstream(d: dict, e: Any) -> Any:
    return np.where(d["dZ"] > 0, d["dZ"], 0.0)


def _relu_local(d: dict, e: Any) -> Any:
    return (d["S"] >= 0).astype(float)


def _sigmoid_of_input(d: dict, e: Any) -> Any:
    return d["dZ"] * d["S"] * (1 - d["S"])


def _sigmoid_local(d: dict, e: Any) -> Any:
    Z = sigmoid(d["S"])
    return Z * (1 - Z)


def _tanh_of_input(d: dict, e: Any) -> Any:
    return d["dZ"] * (1 - d["S"] ** 2)


def _tanh_local(d: dict, e: Any) -> Any:
    return 1 - np.tanh(d["S"]) ** 2


FORGOT_DY = "this is only the local derivative h'(S): multiply by the upstream gradient dZ"


RELU_FORWARD = Rule(
    "relu_forward", one, "Z",
    (Mistake("relu_returns_mask", "return the values max(S, 0), not the mask S > 0", _relu_mask), MUTATED_INPUT),
    public=(value("basic", 1, (4, 5), description="max(S, 0), zeros included", zeros=0.2),
            unchanged("no_mutation", 0.5, (3, 4), description="S unchanged")))
RELU_BACKWARD = Rule(
    "relu_backward", activation_back, "dS",
    (Mistake("relu_strict_at_zero", "the gradient is blocked at S == 0 (a mask S > 0, or relu(S) > 0 taken from the "
             "output); in this course it passes there: mask S >= 0", _strict_at_zero),
     Mistake("relu_mask_from_upstream", "the ReLU mask must come from S (S >= 0), not from the sign of dZ",
             _mask_from_upstream),
     Mistake("forgot_dY", FORGOT_DY, _relu_local)),
    gradient=Gradient(activation_back, ("dZ", "S"), ("relu_forward", ("S",)), "S", "dZ"),
    public=(value("values", 1, (4, 5), description="dZ where S >= 0, else 0"),
            gradcheck("gradcheck", 1, (3, 4), description="finite differences of relu_forward away from 0")))
SIGMOID_FORWARD = Rule(
    "sigmoid_forward", one, "Z",
    (NOT_STABLE, Mistake("sigmoid_sign_flipped", "σ(S) = 1 / (1 + e^−S): the exponent's sign is flipped (this is "
                         "σ(−S))", _sigmoid_of_minus)),
    public=(value("basic", 1, (4, 3), description="1 / (1 + e^-S)"),))
SIGMOID_BACKWARD = Rule(
    "sigmoid_backward", activation_back, "dS",
    (Mistake("sigmoid_of_S_missing", "use sigmoid(S)·(1 − sigmoid(S)), not S·(1 − S): S is the input, not the "
             "output", _sigmoid_of_input),
     Mistake("forgot_dY", FORGOT_DY, _sigmoid_local), MUTATED_INPUT),
    gradient=Gradient(activation_back, ("dZ", "S"), ("sigmoid_forward", ("S",)), "S", "dZ"),
    public=(value("values", 1, (4, 3), description="dZ · σ(S)(1 − σ(S))"),
            gradcheck("gradcheck", 1, (3, 3), description="finite differences of sigmoid_forward")))
TANH_FORWARD = Rule(
    "tanh_forward", one, "Z",
    (Mistake("tanh_half_argument", "2σ(S) − 1 is tanh(S/2): tanh(S) = 2σ(2S) − 1, or use np.tanh", _tanh_of_half),
     Mistake("tanh_is_sigmoid", "tanh(S) runs from −1 to 1: this is the sigmoid σ(S), which runs from 0 to 1",
             _tanh_is_sigmoid)),
    public=(value("basic", 1, (4, 3), description="tanh(S)"),))
TANH_BACKWARD = Rule(
    "tanh_backward", activation_back, "dS",
    (Mistake("tanh_of_S_missing", "use 1 − tanh(S)², not 1 − S²: S is the input, not the output", _tanh_of_input),
     Mistake("forgot_dY", FORGOT_DY, _tanh_local)),
    gradient=Gradient(activation_back, ("dZ", "S"), ("tanh_forward", ("S",)), "S", "dZ"),
    public=(value("values", 1, (4, 3), description="dZ · (1 − tanh(S)²)"),
            gradcheck("gradcheck", 1, (3, 3), description="finite differences of tanh_forward")))

RULES = (RELU_FORWARD, RELU_BACKWARD, SIGMOID_FORWARD, SIGMOID_BACKWARD, TANH_FORWARD, TANH_BACKWARD)
