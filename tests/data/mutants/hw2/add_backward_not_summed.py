"""add_backward passes dY to both inputs unsummed."""

from reference.backprop_np import *  # noqa: F403

TARGET = "add_backward"
MISTAKE = "add_not_summed"


def add_backward(dY, shape1, shape2):
    return dY.copy(), dY.copy()
