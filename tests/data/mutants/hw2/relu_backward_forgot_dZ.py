"""relu_backward returns the local derivative only."""

import numpy as np

from reference.backprop_np import *  # noqa: F403

TARGET = "relu_backward"
MISTAKE = "forgot_dY"


def relu_backward(dZ, S):
    return np.where(S >= 0, 1.0, 0.0)
