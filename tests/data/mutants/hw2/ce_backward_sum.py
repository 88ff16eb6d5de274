"""softmax_cross_entropy_backward forgets the 1/N."""

from reference.backprop_np import *  # noqa: F403
from reference.backprop_np import softmax_cross_entropy_backward as _right

TARGET = "softmax_cross_entropy_backward"
MISTAKE = "ce_missing_1_over_N"


def softmax_cross_entropy_backward(logits, labels):
    return _right(logits, labels) * len(labels)
