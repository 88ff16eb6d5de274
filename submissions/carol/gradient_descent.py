"""Homework 1 — gradient descent on linear regression.

Conventions: numpy float64 arrays; batch first, so ``X`` is ``(m, D)`` (one sample per row), ``Y`` is ``(m,)``
and the weights ``w`` are ``(D,)``. The slides write the data as columns; the docstrings show both forms.
Every function returns new arrays and never modifies its inputs. Use numpy only (no torch).

Run ``grader check hw1`` to test your work.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def gd_step(w: np.ndarray, grad: np.ndarray, lr: float) -> np.ndarray:
    """One gradient-descent step: ``w_{t+1} = w_t - lr * grad``.

    Shapes: ``w`` and ``grad`` have the same shape (any); returns a new array of that shape
    (do not update ``w`` in place: ``w -= ...`` would change the caller's array).
    """
    raise NotImplementedError("hw1.gd_step")


def dataset_loss(loss_fn: Callable, X: np.ndarray, Y: np.ndarray, w: np.ndarray) -> float:
    """The loss over the whole training set: ``L(S, w) = 1/m Σ_i loss_fn(x_i, y_i, w)``.

    ``loss_fn(x, y, w)`` is the loss of one sample: ``x = X[i]`` of shape ``(D,)``, ``y = Y[i]`` (a number).
    Shapes: ``X`` (m, D), ``Y`` (m,), ``w`` (D,). Returns a float: the mean, not the sum.
    """
    raise NotImplementedError("hw1.dataset_loss")


def linear_regression_loss(x: np.ndarray, y: float, w: np.ndarray) -> float:
    """Squared error of one sample: ``loss(x, y, w) = ½ (x·w − y)²``.

    Shapes: ``x`` (D,), ``y`` a number, ``w`` (D,). Returns a float.
    """
    raise NotImplementedError("hw1.linear_regression_loss")


def linear_regression_grad(X: np.ndarray, Y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Gradient of the mean squared-error loss over a batch: ``∇_w L = 1/m Xᵀ(Xw − Y)``.

    Here ``X`` holds one sample per row, so ``Xᵀ(Xw − Y) = Σ_i (x_i·w − y_i) x_i``; in the slides'
    column form (samples as columns of ``X_c = Xᵀ``) the same gradient reads ``1/m X_c (X_cᵀ w − Y)``.
    Shapes: ``X`` (m, D), ``Y`` (m,), ``w`` (D,); returns (D,). Divide by m: it is a mean.
    """
    raise NotImplementedError("hw1.linear_regression_grad")


def batch_gd(
    grad_fn: Callable, w0: np.ndarray, X: np.ndarray, Y: np.ndarray, lr: float, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Batch gradient descent: every step uses the mean gradient over the whole training set S.

    ``w_{t+1} = w_t − lr · grad_fn(X, Y, w_t)`` for ``t = 0 .. steps−1``, starting from ``w0``.
    Returns ``(w, losses)``: ``w`` the weights after the last step (D,), and ``losses`` an array of
    shape ``(steps,)`` where ``losses[t] = dataset_loss(linear_regression_loss, X, Y, w_t)`` is the loss at
    the weights *before* step t (so ``losses[0]`` is the loss at ``w0``). Do not modify ``w0``.
    """
    raise NotImplementedError("hw1.batch_gd")


def sgd(
    grad_fn: Callable,
    w0: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    lr: float,
    steps: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Stochastic gradient descent: every step uses the gradient of one random sample.

    For each of ``steps`` steps draw ``k = rng.integers(0, N)`` (N = number of samples) and update
    ``w ← w − lr · grad_fn(X[k:k+1], Y[k:k+1], w)``: the slice keeps a batch of one sample, shapes (1, D) and (1,).
    Draw exactly one number from ``rng`` per step and nothing else, so a seeded run is exactly reproducible.
    Returns the final weights (D,); do not modify ``w0``.
    """
    raise NotImplementedError("hw1.sgd")
