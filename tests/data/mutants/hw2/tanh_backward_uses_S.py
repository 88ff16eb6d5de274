"""tanh_backward uses 1 − S² instead of 1 − tanh(S)²."""

from reference.backprop_np import *  # noqa: F403

TARGET = "tanh_backward"
MISTAKE = "tanh_of_S_missing"


def tanh_backward(dZ, S):
    return dZ * (1.0 - S**2)
