"""batch_gd records the summed squared error of the data set instead of its mean."""

import numpy as np

from reference.gradient_descent_np import *  # noqa: F403
from reference.gradient_descent_np import gd_step

TARGET = "batch_gd"
MISTAKE = "loss_sum_not_mean"


def batch_gd(grad_fn, w0, X, Y, lr, steps):
    w, losses = np.array(w0, dtype=float), np.empty(steps)
    for t in range(steps):
        losses[t] = np.sum(0.5 * (X @ w - Y) ** 2)
        w = gd_step(w, grad_fn(X, Y, w), lr)
    return w, losses
