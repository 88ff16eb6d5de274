"""duplicate_backward keeps one branch only."""

from reference.backprop_np import *  # noqa: F403

TARGET = "duplicate_backward"
MISTAKE = "duplicate_one_branch"


def duplicate_backward(dY1, dY2):
    return dY1.copy()
