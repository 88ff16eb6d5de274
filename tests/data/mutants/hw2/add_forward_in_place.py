"""add_forward adds into X1, which fails when X1 is the smaller operand."""

from reference.backprop_np import *  # noqa: F403

TARGET = "add_forward"
MISTAKE = ""


def add_forward(X1, X2):
    X1 = X1.copy()
    X1 += X2
    return X1
