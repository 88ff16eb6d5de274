"""linear_backward returns dY itself as db."""

from reference.backprop_np import *  # noqa: F403

TARGET = "linear_backward"
MISTAKE = "db_not_summed"


def linear_backward(dY, X, W):
    return dY @ W, dY.T @ X, dY.copy()
