"""add_forward copied from a multiply node: X1 * X2."""

from reference.backprop_np import *  # noqa: F403

TARGET = "add_forward"
MISTAKE = "add_multiplies"


def add_forward(X1, X2):
    return X1 * X2
