"""dataset_loss computes the squared-error loss itself instead of averaging the loss_fn it is given."""

import numpy as np

from reference.gradient_descent_np import *  # noqa: F403

TARGET = "dataset_loss"
MISTAKE = "dataset_loss_ignores_loss_fn"


def dataset_loss(loss_fn, X, Y, w):
    return float(np.mean(0.5 * (X @ w - Y) ** 2))
