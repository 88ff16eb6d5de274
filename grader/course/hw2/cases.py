"""hw2 (backprop rules) input makers shared by the public and hidden suites (the net: hw2_nets).

Each maker returns ``make(rng) -> dict`` of a call's arguments, in order. Inputs for finite differences
stay away from kinks (``away_from_zero``) and ties (``apart``); exact-value checks of the kink
conventions put exact zeros and exact ties in on purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from grader.checks.base import Builtin
from grader.checks.gradient import apart, away_from_zero, upstream

Gen = np.random.Generator
Make = Callable[[Gen], dict[str, Any]]
Shape = tuple[int, ...]
# How feedback names each rule's return (mlp_backward's labels depend on the depth: hw2_nets.mlp_names).
OUTPUTS = {
    "linear_forward": "Y", "linear_backward": ("dX", "dW", "db"), "relu_forward": "Z", "relu_backward": "dS",
    "sigmoid_forward": "Z", "sigmoid_backward": "dS", "tanh_forward": "Z", "tanh_backward": "dS",
    "weighted_sum_forward": "S", "weighted_sum_backward": "dz", "duplicate_forward": ("Y1", "Y2"),
    "duplicate_backward": "dX", "add_forward": "Y", "add_backward": ("dX1", "dX2"), "max_forward": "Y",
    "max_backward": ("dX1", "dX2"), "numerical_jacobian": "J", "linear_jacobians": ("J_x", "J_W"),
    "chain_rule": ("dC_dz", "dC_dw"), "mse_forward": "the cost", "mse_backward": "dY_hat",
    "softmax_cross_entropy_forward": "the cost", "softmax_cross_entropy_backward": "dlogits",
    "mlp_forward": ("logits", "cache"),
}
# The arguments of each backward rule, by input name (for finite-difference checks).
BACKWARD_ARGS = {
    "linear_backward": ("dY", "X", "W"), "relu_backward": ("dZ", "S"), "sigmoid_backward": ("dZ", "S"),
    "tanh_backward": ("dZ", "S"), "weighted_sum_backward": ("dS", "w"), "duplicate_backward": ("dY1", "dY2"),
    "max_backward": ("dY", "X1", "X2"), "mse_backward": ("Y_hat", "Y"),
    "softmax_cross_entropy_backward": ("logits", "labels"),
}


def linear(N: int, D: int, O: int) -> Make:
    return lambda rng: {"X": rng.standard_normal((N, D)), "W": rng.standard_normal((O, D)),
                        "b": rng.standard_normal(O)}


def linear_back(N: int, D: int, O: int, with_b: bool = False) -> Make:
    """``(dY, X, W)``; with ``b`` too for a finite-difference check of ``linear_forward``."""

    def make(rng: Gen) -> dict[str, Any]:
        d = {"dY": upstream(rng, (N, O)), "X": rng.standard_normal((N, D)), "W": rng.standard_normal((O, D))}
        return {**d, "b": rng.standard_normal(O)} if with_b else d

    return make


def one(shape: Shape, name: str = "S", scale: float = 2.0, zeros: float = 0.0, huge: float = 0.0) -> Make:
    """One array: normal times ``scale``; a fraction ``zeros`` set to exactly 0; ``huge``: values ±huge."""

    def make(rng: Gen) -> dict[str, Any]:
        S = scale * rng.standard_normal(shape)
        if huge:
            S = huge * rng.choice([-1.0, 1.0], size=shape)
        S[rng.random(shape) < zeros] = 0.0
        return {name: S}

    return make


def activation_back(shape: Shape, zeros: float = 0.0, huge: float = 0.0, margin: float = 0.1) -> Make:
    """``(dZ, S)``: S away from 0 by ``margin`` unless ``zeros`` puts exact zeros in on purpose."""

    def make(rng: Gen) -> dict[str, Any]:
        S = away_from_zero(rng, shape, margin) * 1.5
        if huge:
            S = huge * np.sign(S)
        S[rng.random(shape) < zeros] = 0.0
        return {"dZ": upstream(rng, shape), "S": S}

    return make


def weighted_sum(N: int, K: int) -> Make:
    return lambda rng: {"z": rng.standard_normal(N), "w": rng.standard_normal(K)}


def weighted_sum_back(N: int, K: int, with_z: bool = False) -> Make:
    def make(rng: Gen) -> dict[str, Any]:
        d = {"dS": upstream(rng, (N, K)), "w": rng.standard_normal(K)}
        return {**d, "z": rng.standard_normal(N)} if with_z else d

    return make


def duplicate_back(shape: Shape, with_X: bool = False) -> Make:
    def make(rng: Gen) -> dict[str, Any]:
        d = {"dY1": upstream(rng, shape), "dY2": upstream(rng, shape)}
        return {**d, "X": rng.standard_normal(shape)} if with_X else d

    return make


def add(shape1: Shape, shape2: Shape) -> Make:
    return lambda rng: {"X1": rng.standard_normal(shape1), "X2": rng.standard_normal(shape2)}


def out_shape(shape1: Shape, shape2: Shape) -> Shape:
    return tuple(np.broadcast_shapes(shape1, shape2))


def add_back(shape1: Shape, shape2: Shape) -> Make:
    """``(dY, shape1, shape2)`` with dY of the broadcast shape."""
    return lambda rng: {"dY": upstream(rng, out_shape(shape1, shape2)), "shape1": shape1, "shape2": shape2}


def add_grad(shape1: Shape, shape2: Shape) -> Make:
    return lambda rng: {"dY": upstream(rng, out_shape(shape1, shape2)), "X1": rng.standard_normal(shape1),
                        "X2": rng.standard_normal(shape2)}


def add_call(ref: Callable[..., Any], d: dict[str, Any]) -> tuple:
    """``add_backward``'s arguments from ``add_grad``'s inputs."""
    return d["dY"], d["X1"].shape, d["X2"].shape


def max_pair(shape: Shape, ties: float = 0.0, with_dY: bool = True) -> Make:
    """``(dY, X1, X2)`` at least 0.1 apart, except a fraction ``ties`` of exact ties (X2 = X1)."""

    def make(rng: Gen) -> dict[str, Any]:
        dY = upstream(rng, shape)
        X1, X2 = apart(rng, shape)
        tie = rng.random(shape) < ties
        X2[tie] = X1[tie]
        return {"dY": dY, "X1": X1, "X2": X2} if with_dY else {"X1": X1, "X2": X2}

    return make


def jacobian(f: str, shape: Shape, eps: float | None = None) -> Make:
    def make(rng: Gen) -> dict[str, Any]:
        d = {"f": Builtin(f), "x": rng.standard_normal(shape)}
        return d if eps is None else {**d, "eps": eps}

    return make


def linear_jacobians(m: int, n: int) -> Make:
    return lambda rng: {"W": rng.standard_normal((m, n)), "x": rng.standard_normal(n)}


def chain(g: int, n: int, p: int) -> Make:
    return lambda rng: {"dC_dznext": upstream(rng, (1, g)), "J_z": rng.standard_normal((g, n)),
                        "J_w": rng.standard_normal((g, p))}


def regression(N: int, D: int) -> Make:
    return lambda rng: {"Y_hat": rng.standard_normal((N, D)), "Y": rng.standard_normal((N, D))}


def classification(N: int, K: int, scale: float = 2.0, huge: float = 0.0) -> Make:
    """``(logits, labels)``; with ``huge`` the logits are ±huge plus small noise."""

    def make(rng: Gen) -> dict[str, Any]:
        logits = scale * rng.standard_normal((N, K))
        if huge:
            logits = huge * rng.choice([-1.0, 1.0], size=(N, K)) + rng.standard_normal((N, K))
        return {"logits": logits, "labels": rng.integers(0, K, size=N)}

    return make
