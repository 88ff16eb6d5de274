"""gd_step climbs, and batch_gd and sgd call this gd_step: only gd_step should lose points."""

import numpy as np

from reference.gradient_descent_np import *  # noqa: F403
from reference.gradient_descent_np import dataset_loss, linear_regression_loss

TARGET = "gd_step"
MISTAKE = "gd_step_ascent"


def gd_step(w, grad, lr):
    return w + lr * grad


def batch_gd(grad_fn, w0, X, Y, lr, steps):
    w, losses = np.array(w0, dtype=float), []
    for _ in range(steps):
        losses.append(dataset_loss(linear_regression_loss, X, Y, w))
        w = gd_step(w, grad_fn(X, Y, w), lr)
    return w, np.array(losses)


def sgd(grad_fn, w0, X, Y, lr, steps, rng):
    w = np.array(w0, dtype=float)
    for _ in range(steps):
        k = rng.integers(0, len(X))
        w = gd_step(w, grad_fn(X[k : k + 1], Y[k : k + 1], w), lr)
    return w
