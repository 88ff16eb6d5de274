"""weighted_sum_forward returns (K, N)."""

import numpy as np

from reference.backprop_np import *  # noqa: F403

TARGET = "weighted_sum_forward"
MISTAKE = "weighted_sum_transposed"


def weighted_sum_forward(z, w):
    return np.outer(w, z)
