"""duplicate_backward adds dY2 into dY1 in place."""

from reference.backprop_np import *  # noqa: F403

TARGET = "duplicate_backward"
MISTAKE = "mutated_input"


def duplicate_backward(dY1, dY2):
    dY1 += dY2
    return dY1
