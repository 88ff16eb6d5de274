"""linear_jacobians returns Wᵀ for J_x: the Jacobian of y = W x laid out (n, m)."""

import numpy as np

from reference.backprop_np import *  # noqa: F403

TARGET = "linear_jacobians"
MISTAKE = "jacobian_transposed"


def linear_jacobians(W, x):
    m = W.shape[0]
    return W.T.copy(), np.kron(np.eye(m), np.reshape(x, (1, -1)))
