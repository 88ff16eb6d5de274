"""sgd draws a sample but steps with the gradient of the whole batch."""

import numpy as np

from reference.gradient_descent_np import *  # noqa: F403
from reference.gradient_descent_np import gd_step

TARGET = "sgd"
MISTAKE = "sgd_full_batch"


def sgd(grad_fn, w0, X, Y, lr, steps, rng):
    w = np.array(w0, dtype=float)
    for _ in range(steps):
        rng.integers(0, len(X))
        w = gd_step(w, grad_fn(X, Y, w), lr)
    return w
