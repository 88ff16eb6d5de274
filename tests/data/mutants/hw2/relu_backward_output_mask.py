"""relu_backward takes its mask from the output relu(S) > 0."""

from reference.backprop_np import *  # noqa: F403
from reference.backprop_np import relu_forward

TARGET = "relu_backward"
MISTAKE = "relu_strict_at_zero"


def relu_backward(dZ, S):
    return dZ * (relu_forward(S) > 0)
