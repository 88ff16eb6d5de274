"""tanh_backward returns the local derivative 1 − tanh(S)² without the upstream gradient."""

import numpy as np

from reference.backprop_np import *  # noqa: F403

TARGET = "tanh_backward"
MISTAKE = "forgot_dY"


def tanh_backward(dZ, S):
    return 1.0 - np.tanh(S) ** 2
