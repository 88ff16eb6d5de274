"""linear_regression_loss forgets the ½ and dataset_loss sums, and batch_gd calls both: only those two
targets should lose points, not batch_gd."""

import numpy as np

from reference.gradient_descent_np import *  # noqa: F403
from reference.gradient_descent_np import gd_step

TARGET = ("linear_regression_loss", "dataset_loss")
MISTAKE = "missing_half"


def linear_regression_loss(x, y, w):
    return float((x @ w - y) ** 2)


def dataset_loss(loss_fn, X, Y, w):
    return float(sum(loss_fn(x, y, w) for x, y in zip(X, Y, strict=True)))


def batch_gd(grad_fn, w0, X, Y, lr, steps):
    w, losses = np.array(w0, dtype=float), []
    for _ in range(steps):
        losses.append(dataset_loss(linear_regression_loss, X, Y, w))
        w = gd_step(w, grad_fn(X, Y, w), lr)
    return w, np.array(losses)
