"""softmax_cross_entropy_backward shifts the caller's logits in place."""

from reference.backprop_np import *  # noqa: F403
from reference.backprop_np import softmax_cross_entropy_backward as _right

TARGET = "softmax_cross_entropy_backward"
MISTAKE = "mutated_input"


def softmax_cross_entropy_backward(logits, labels):
    logits -= logits.max(axis=1, keepdims=True)
    return _right(logits, labels)
