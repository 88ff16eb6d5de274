"""Callables that checks hand to student functions as ``Builtin("name")``: both sides use them.

The worker resolves the marker to the function here and passes it to student code; the grader computes
with the same functions (a mistake's model re-runs ``sgd`` with a given gradient). So this module is
part of the protocol both sides share, loaded inside the sandbox next to student code: numpy only,
nothing hidden, and none of these gives away a graded answer (batch_gd and sgd are judged with a Huber or
ridge gradient, not with the linear-regression gradient the student writes).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _batch(X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    if X.ndim != 2 or Y.ndim != 1 or len(X) != len(Y):
        raise ValueError(
            f"grad_fn expects X of shape (k, D) and Y of shape (k,); got arrays with {X.ndim} and {Y.ndim} "
            "dimensions (for one sample pass the slices X[k:k+1], Y[k:k+1], not X[k], Y[k])"
        )
    return X, Y


# Per-sample losses loss_fn(x, y, w) for dataset_loss: x (D,), y a number, w (D,).
def abs_error(x: np.ndarray, y: float, w: np.ndarray) -> float:
    return float(abs(np.dot(x, w) - y))


def unit_loss(x: np.ndarray, y: float, w: np.ndarray) -> float:
    """1 for every sample: shows whether a dataset loss averages (1) or sums (m)."""
    return 1.0


def log_cosh(x: np.ndarray, y: float, w: np.ndarray) -> float:
    r = float(np.dot(x, w) - y)
    return abs(r) + float(np.log1p(np.exp(-2 * abs(r)))) - float(np.log(2.0))  # log cosh r, stable


# Mean gradients grad_fn(X, Y, w) for batch_gd and sgd: X (k, D), Y (k,), w (D,) -> (D,).
def huber_grad(X: np.ndarray, Y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Gradient of the mean Huber loss (delta 1): 1/k Xᵀ clip(Xw − Y, −1, 1)."""
    X, Y = _batch(X, Y)
    return X.T @ np.clip(X @ w - Y, -1.0, 1.0) / len(X)


def ridge_grad(X: np.ndarray, Y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Gradient of the mean of ½(x·w − y)² + 0.05‖w‖²."""
    X, Y = _batch(X, Y)
    return X.T @ (X @ w - Y) / len(X) + 0.1 * np.asarray(w, dtype=np.float64)


# Smooth maps f: Rⁿ -> Rᵐ for numerical_jacobian; x may have any shape and is read flattened.
def three_features(x: np.ndarray) -> np.ndarray:
    """m = 3: [Σ sin x, ½ Σ x², x_0 · x_last]."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    return np.array([np.sum(np.sin(x)), 0.5 * np.sum(x**2), x[0] * x[-1]])


def cube(x: np.ndarray) -> np.ndarray:
    """m = n, elementwise x³ (a diagonal Jacobian)."""
    return np.asarray(x, dtype=np.float64).reshape(-1) ** 3


def tanh_mix(x: np.ndarray) -> np.ndarray:
    """m = 2: tanh(M x) with fixed M[i, j] = cos(i + 2j)."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    M = np.cos(np.arange(2)[:, None] + 2.0 * np.arange(x.size)[None, :])
    return np.tanh(M @ x)


BUILTINS: dict[str, Callable] = {
    f.__name__: f for f in (abs_error, unit_loss, log_cosh, huber_grad, ridge_grad, three_features, cube, tanh_mix)
}
