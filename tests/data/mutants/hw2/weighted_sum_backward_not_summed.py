"""weighted_sum_backward weights each branch's gradient but does not add them up: dS · w, shape (N, K)."""

from reference.backprop_np import *  # noqa: F403

TARGET = "weighted_sum_backward"
MISTAKE = "weighted_sum_backward_not_summed"


def weighted_sum_backward(dS, w):
    return dS * w
