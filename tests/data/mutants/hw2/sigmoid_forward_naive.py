"""sigmoid_forward as e^S / (1 + e^S): NaN for S = 1000."""

import numpy as np

from reference.backprop_np import *  # noqa: F403

TARGET = "sigmoid_forward"
MISTAKE = "not_stable"


def sigmoid_forward(S):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(S) / (1.0 + np.exp(S))
