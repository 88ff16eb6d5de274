"""mse_backward divides by all N·D elements: (Ŷ − Y) / Ŷ.size."""

from reference.backprop_np import *  # noqa: F403

TARGET = "mse_backward"
MISTAKE = "mse_mean_over_elements"


def mse_backward(Y_hat, Y):
    return (Y_hat - Y) / Y_hat.size
