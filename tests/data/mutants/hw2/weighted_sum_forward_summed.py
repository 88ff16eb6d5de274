"""weighted_sum_forward sums the branches, as its name suggests: z · Σ_i w_i, shape (N,)."""

from reference.backprop_np import *  # noqa: F403

TARGET = "weighted_sum_forward"
MISTAKE = "weighted_sum_branches_summed"


def weighted_sum_forward(z, w):
    return z * w.sum()
