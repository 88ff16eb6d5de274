"""relu_forward zeroes the negatives of S in place."""

from reference.backprop_np import *  # noqa: F403

TARGET = "relu_forward"
MISTAKE = "mutated_input"


def relu_forward(S):
    S[S < 0] = 0.0
    return S
