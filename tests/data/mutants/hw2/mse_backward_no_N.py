"""mse_backward forgets the 1/N."""

from reference.backprop_np import *  # noqa: F403

TARGET = "mse_backward"
MISTAKE = "mse_missing_1_over_N"


def mse_backward(Y_hat, Y):
    return Y_hat - Y
