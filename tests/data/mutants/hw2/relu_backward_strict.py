"""relu_backward blocks the gradient at S == 0 (S > 0)."""

from reference.backprop_np import *  # noqa: F403

TARGET = "relu_backward"
MISTAKE = "relu_strict_at_zero"


def relu_backward(dZ, S):
    return dZ * (S > 0)
