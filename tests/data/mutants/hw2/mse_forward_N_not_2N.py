"""mse_forward divides by N instead of 2N."""

import numpy as np

from reference.backprop_np import *  # noqa: F403

TARGET = "mse_forward"
MISTAKE = "mse_1_over_N_not_2N"


def mse_forward(Y_hat, Y):
    return float(np.sum((Y_hat - Y) ** 2) / len(Y))
