"""relu_forward returns the mask S > 0 instead of the values max(S, 0)."""

from reference.backprop_np import *  # noqa: F403

TARGET = "relu_forward"
MISTAKE = "relu_returns_mask"


def relu_forward(S):
    return (S > 0).astype(float)
