"""sigmoid_backward scales the caller's dZ in place."""

from reference.backprop_np import *  # noqa: F403
from reference.backprop_np import sigmoid_forward

TARGET = "sigmoid_backward"
MISTAKE = "mutated_input"


def sigmoid_backward(dZ, S):
    Z = sigmoid_forward(S)
    dZ *= Z * (1.0 - Z)
    return dZ
