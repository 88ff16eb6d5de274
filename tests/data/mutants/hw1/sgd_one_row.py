"""sgd passes the row X[k] (shape (D,)) instead of the slice X[k:k+1]; grad_fn rejects it."""

import numpy as np

from reference.gradient_descent_np import *  # noqa: F403
from reference.gradient_descent_np import gd_step

TARGET = "sgd"
MISTAKE = ""


def sgd(grad_fn, w0, X, Y, lr, steps, rng):
    w = np.array(w0, dtype=float)
    for _ in range(steps):
        k = rng.integers(0, len(X))
        w = gd_step(w, grad_fn(X[k], Y[k], w), lr)
    return w
