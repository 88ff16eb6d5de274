"""mse_forward averages over all N·D elements: np.mean((Ŷ − Y)²) / 2."""

import numpy as np

from reference.backprop_np import *  # noqa: F403

TARGET = "mse_forward"
MISTAKE = "mse_mean_over_elements"


def mse_forward(Y_hat, Y):
    return float(np.mean((Y_hat - Y) ** 2) / 2)
