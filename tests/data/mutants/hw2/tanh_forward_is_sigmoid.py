"""tanh_forward copied from sigmoid_forward: returns σ(S)."""

from reference.backprop_np import *  # noqa: F403
from reference.backprop_np import sigmoid_forward

TARGET = "tanh_forward"
MISTAKE = "tanh_is_sigmoid"


def tanh_forward(S):
    return sigmoid_forward(S)
