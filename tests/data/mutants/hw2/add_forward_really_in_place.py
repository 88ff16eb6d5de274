"""add_forward adds X2 into the caller's X1 (and fails when X1 is the smaller operand)."""

from reference.backprop_np import *  # noqa: F403

TARGET = "add_forward"
MISTAKE = "mutated_input"


def add_forward(X1, X2):
    X1 += X2
    return X1
