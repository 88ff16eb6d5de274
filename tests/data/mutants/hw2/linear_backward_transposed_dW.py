"""linear_backward returns dW transposed (Xᵀ·dY)."""

from reference.backprop_np import *  # noqa: F403

TARGET = "linear_backward"
MISTAKE = "transposed_dW"


def linear_backward(dY, X, W):
    return dY @ W, X.T @ dY, dY.sum(axis=0)
