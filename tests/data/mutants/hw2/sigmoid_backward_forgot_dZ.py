"""sigmoid_backward returns the local derivative σ(S)(1 − σ(S)) without the upstream gradient."""

from reference.backprop_np import *  # noqa: F403
from reference.backprop_np import sigmoid_forward

TARGET = "sigmoid_backward"
MISTAKE = "forgot_dY"


def sigmoid_backward(dZ, S):
    Z = sigmoid_forward(S)
    return Z * (1.0 - Z)
