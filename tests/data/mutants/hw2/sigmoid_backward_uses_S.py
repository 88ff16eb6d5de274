"""sigmoid_backward uses S(1 − S) instead of σ(S)(1 − σ(S))."""

from reference.backprop_np import *  # noqa: F403

TARGET = "sigmoid_backward"
MISTAKE = "sigmoid_of_S_missing"


def sigmoid_backward(dZ, S):
    return dZ * S * (1.0 - S)
