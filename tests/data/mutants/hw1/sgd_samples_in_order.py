"""sgd walks through the samples in order instead of drawing each one from rng."""

import numpy as np

from reference.gradient_descent_np import *  # noqa: F403
from reference.gradient_descent_np import gd_step

TARGET = "sgd"
MISTAKE = "sgd_samples_in_order"


def sgd(grad_fn, w0, X, Y, lr, steps, rng):
    w = np.array(w0, dtype=float)
    for t in range(steps):
        k = t % len(X)
        w = gd_step(w, grad_fn(X[k : k + 1], Y[k : k + 1], w), lr)
    return w
