"""mse_backward keeps the 2 of the derivative of a square although the cost has a ½: 2(Ŷ − Y)/N."""

from reference.backprop_np import *  # noqa: F403

TARGET = "mse_backward"
MISTAKE = "mse_backward_factor_2"


def mse_backward(Y_hat, Y):
    return 2 * (Y_hat - Y) / Y_hat.shape[0]
