"""hw2 rules of functional modules and their Jacobians: a numerical Jacobian by central differences, the
Jacobians of ``y = W x`` (``J_W`` against W flattened row-major), and the chain rule in row form."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.gradient import upstream
from grader.checks.mistakes import Mistake
from grader.checks.rules import Rule, value
from grader.protocol.builtins import BUILTINS
from grader.protocol.markers import Builtin

Gen = np.random.Generator


def jacobian(rng: Gen, f: str, shape: tuple[int, ...], eps: float | None = None) -> dict[str, Any]:
    """``(f, x[, eps])``: ``f`` names a smooth map handed over (``grader.protocol.builtins``)."""
    d = {"f": Builtin(f), "x": rng.standard_normal(shape)}
    return d if eps is None else {**d, "eps": eps}


def linear_jacobians(rng: Gen, m: int, n: int) -> dict[str, Any]:
    return {"W": rng.standard_normal((m, n)), "x": rng.standard_normal(n)}


def chain(rng: Gen, g: int, n: int, p: int) -> dict[str, Any]:
    return {"dC_dznext": upstream(rng, (1, g)), "J_z": rng.standard_normal((g, n)), "J_w": rng.standard_normal((g, p))}


# What each mistake answers, from the inputs d and the right answer e.
def _transposed(d: dict, e: Any) -> Any:
    return np.asarray(e).T


def _forward_difference(d: dict, e: Any) -> Any:
    f = BUILTINS[d["f"].name]
    eps = d.get("eps", 1e-6)
    x = np.array(d["x"], dtype=np.float64).reshape(-1)
    base = np.asarray(f(x.reshape(np.shape(d["x"]))), dtype=np.float64).reshape(-1)
    columns = []
    for j in range(x.size):
        bumped = x.copy()
        bumped[j] += eps
        columns.append((np.asarray(f(bumped.reshape(np.shape(d["x"]))), dtype=np.float64).reshape(-1) - base) / eps)
    return np.stack(columns, axis=1)


def _J_x_transposed(d: dict, e: Any) -> Any:
    return [d["W"].T, e[1]]


def _column_major(d: dict, e: Any) -> Any:
    return [e[0], np.kron(d["x"].reshape(1, -1), np.eye(len(d["W"])))]


def _columns(d: dict, e: Any) -> Any:
    return [np.asarray(e[0]).T, np.asarray(e[1]).T]


def _chain_rule_order(d: dict, e: Any) -> Any:
    J_z = d["J_z"]
    return [d["dC_dznext"] @ J_z.T, e[1]] if J_z.shape[0] == J_z.shape[1] else None


TRANSPOSED = "the Jacobian of f: Rⁿ→Rᵐ is (m, n): row i holds the derivatives of output i"

NUMERICAL_JACOBIAN = Rule(
    "numerical_jacobian", jacobian, "J",
    (Mistake("jacobian_transposed", TRANSPOSED, _transposed),
     Mistake("forward_difference", "use central differences (f(x+eps) − f(x−eps)) / (2 eps), not one-sided ones",
             _forward_difference)))
LINEAR_JACOBIANS = Rule(
    "linear_jacobians", linear_jacobians, ("J_x", "J_W"),
    (Mistake("jacobian_transposed", TRANSPOSED, _J_x_transposed),
     Mistake("J_W_column_major", "flatten W row-major: column k·n + j of J_W is the derivative by W[k, j]",
             _column_major)),
    public=(value("basic", 1.5, 3, 2, description="J_x (3, 2) and J_W (3, 6) of y = W x"),))
CHAIN_RULE = Rule(
    "chain_rule", chain, ("dC_dz", "dC_dw"),
    (Mistake("chain_rule_order", "the chain rule in row form is dC/dz = dC/dznext · J_z ([1×dg]·[dg×df])",
             _chain_rule_order),
     Mistake("chain_rule_columns", "in row form both results are rows, [1×df]: dC/dz is (1, n) and dC/dw (1, p), not "
             "columns", _columns)),
    public=(value("basic", 1, 3, 3, 4, description="row vectors: dC/dz = dC/dz_next · J_z"),))

RULES = (NUMERICAL_JACOBIAN, LINEAR_JACOBIANS, CHAIN_RULE)
