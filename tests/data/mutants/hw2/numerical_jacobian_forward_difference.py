"""numerical_jacobian uses one-sided differences."""

import numpy as np

from reference.backprop_np import *  # noqa: F403

TARGET = "numerical_jacobian"
MISTAKE = "forward_difference"


def numerical_jacobian(f, x, eps=1e-6):
    x = np.array(x, dtype=float)
    base = np.ravel(f(x))
    J = []
    for j in range(x.size):
        bumped = x.copy().reshape(-1)
        bumped[j] += eps
        J.append((np.ravel(f(bumped.reshape(x.shape))) - base) / eps)
    return np.stack(J, axis=1)
