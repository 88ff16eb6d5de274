"""relu_backward takes its mask from the sign of the upstream gradient instead of from S."""

import numpy as np

from reference.backprop_np import *  # noqa: F403

TARGET = "relu_backward"
MISTAKE = "relu_mask_from_upstream"


def relu_backward(dZ, S):
    return np.where(dZ > 0, dZ, 0.0)
