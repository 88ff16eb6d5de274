"""weighted_sum_backward forgets the weights."""

from reference.backprop_np import *  # noqa: F403

TARGET = "weighted_sum_backward"
MISTAKE = "weighted_sum_no_w"


def weighted_sum_backward(dS, w):
    return dS.sum(axis=1)
