"""tanh_forward as 2σ(S) − 1, which is tanh(S/2)."""

from reference.backprop_np import *  # noqa: F403
from reference.backprop_np import sigmoid_forward

TARGET = "tanh_forward"
MISTAKE = "tanh_half_argument"


def tanh_forward(S):
    return 2.0 * sigmoid_forward(S) - 1.0
