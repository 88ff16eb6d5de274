"""What each known hw2 mistake answers, from a check's inputs ``d`` and the reference answer ``e``.

These are models of wrong code, kept next to each other so a new mistake is one line; the matcher in
``grader.checks.mistakes`` names one when a student's answer equals it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.worker.builtins import BUILTINS

Variants = dict[str, Any]


def _sigmoid(S: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -S))


ACTIVATIONS = {"relu": lambda S: np.maximum(S, 0.0), "sigmoid": _sigmoid, "tanh": np.tanh}


def linear_forward(d: dict, e: Any) -> Variants:
    return {"linear_no_bias": d["X"] @ d["W"].T}


def linear_backward(d: dict, e: Any) -> Variants:
    dX, dW, db = e
    N = len(d["dY"])
    return {"transposed_dW": [dX, dW.T, db], "db_not_summed": [dX, dW, d["dY"]], "db_averaged": [dX, dW, db / N]}


def relu_backward(d: dict, e: Any) -> Variants:
    dZ, S = d["dZ"], d["S"]
    return {
        "relu_strict_at_zero": np.where(S > 0, dZ, 0.0),
        "relu_mask_from_upstream": np.where(dZ > 0, dZ, 0.0),
        "forgot_dY": (S >= 0).astype(float),
    }


def sigmoid_backward(d: dict, e: Any) -> Variants:
    dZ, S = d["dZ"], d["S"]
    Z = _sigmoid(S)
    return {"sigmoid_of_S_missing": dZ * S * (1 - S), "forgot_dY": Z * (1 - Z)}


def tanh_backward(d: dict, e: Any) -> Variants:
    dZ, S = d["dZ"], d["S"]
    return {"tanh_of_S_missing": dZ * (1 - S**2), "forgot_dY": 1 - np.tanh(S) ** 2}


def weighted_sum_forward(d: dict, e: Any) -> Variants:
    return {"weighted_sum_transposed": np.outer(d["w"], d["z"])}


def weighted_sum_backward(d: dict, e: Any) -> Variants:
    return {"weighted_sum_no_w": d["dS"].sum(axis=1)}


def duplicate_backward(d: dict, e: Any) -> Variants:
    return {"duplicate_one_branch": d["dY1"]}


def add_backward(d: dict, e: Any) -> Variants:
    return {"add_not_summed": [d["dY"], d["dY"]]}


def max_backward(d: dict, e: Any) -> Variants:
    dY, X1, X2 = d["dY"], d["X1"], d["X2"]
    first = X1 > X2
    tie = X1 == X2
    return {
        "max_ties_to_X2": [np.where(first, dY, 0.0), np.where(first, 0.0, dY)],
        "max_ties_split": [np.where(tie, dY / 2, e[0]), np.where(tie, dY / 2, e[1])],
        "forgot_dY": [(X1 >= X2).astype(float), (X1 < X2).astype(float)],
    }


def numerical_jacobian(d: dict, e: Any) -> Variants:
    f = BUILTINS[d["f"].name]
    eps = d.get("eps", 1e-6)
    x = np.array(d["x"], dtype=np.float64).reshape(-1)
    base = np.asarray(f(x.reshape(np.shape(d["x"]))), dtype=np.float64).reshape(-1)
    columns = []
    for j in range(x.size):
        bumped = x.copy()
        bumped[j] += eps
        columns.append((np.asarray(f(bumped.reshape(np.shape(d["x"]))), dtype=np.float64).reshape(-1) - base) / eps)
    return {"jacobian_transposed": np.asarray(e).T, "forward_difference": np.stack(columns, axis=1)}


def linear_jacobians(d: dict, e: Any) -> Variants:
    W, x = d["W"], d["x"]
    return {"jacobian_transposed": [W.T, e[1]], "J_W_column_major": [e[0], np.kron(x.reshape(1, -1), np.eye(len(W)))]}


def chain_rule(d: dict, e: Any) -> Variants:
    g, J_z = d["dC_dznext"], d["J_z"]
    if J_z.shape[0] != J_z.shape[1]:
        return {}
    return {"chain_rule_order": [g @ J_z.T, e[1]]}


def mse_forward(d: dict, e: Any) -> Variants:
    N, D = d["Y"].shape
    return {"mse_missing_1_over_N": e * N, "mse_1_over_N_not_2N": 2 * e, "mse_mean_over_elements": e / D}


def mse_backward(d: dict, e: Any) -> Variants:
    N, D = d["Y"].shape
    return {"mse_missing_1_over_N": e * N, "mse_backward_factor_2": 2 * e, "mse_mean_over_elements": e / D}


def ce_forward(d: dict, e: Any) -> Variants:
    return {"ce_missing_1_over_N": e * len(d["labels"])}


def ce_backward(d: dict, e: Any) -> Variants:
    N, K = d["logits"].shape
    onehot = np.eye(K)[d["labels"]]
    return {"ce_missing_1_over_N": e * N, "ce_forgot_one_hot": e + onehot / N}


def mlp_forward(d: dict, e: Any) -> Variants:
    logits, cache = e
    return {"mlp_activation_on_logits": [ACTIVATIONS[d["activation"]](logits), cache]}


def mlp_backward(d: dict, e: Any) -> Variants:
    return {"mlp_grads_reversed": e[::-1], "transposed_dW": [[dW.T, db] for dW, db in e]}
