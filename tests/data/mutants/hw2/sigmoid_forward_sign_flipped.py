"""sigmoid_forward with the exponent's sign flipped: 1 / (1 + e^S), which is σ(−S)."""

import numpy as np

from reference.backprop_np import *  # noqa: F403

TARGET = "sigmoid_forward"
MISTAKE = "sigmoid_sign_flipped"


def sigmoid_forward(S):
    return np.exp(-np.logaddexp(0.0, S))
