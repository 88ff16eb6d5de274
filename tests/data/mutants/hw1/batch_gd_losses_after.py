"""batch_gd records each loss after the step instead of before it."""

import numpy as np

from reference.gradient_descent_np import *  # noqa: F403
from reference.gradient_descent_np import dataset_loss, gd_step, linear_regression_loss

TARGET = "batch_gd"
MISTAKE = "batch_gd_losses_after_step"


def batch_gd(grad_fn, w0, X, Y, lr, steps):
    w = np.array(w0, dtype=float)
    losses = []
    for _ in range(steps):
        w = gd_step(w, grad_fn(X, Y, w), lr)
        losses.append(dataset_loss(linear_regression_loss, X, Y, w))
    return w, np.array(losses)
