"""elastic_net_grad swaps the two coefficients."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "elastic_net_grad", "elastic_swapped"


def elastic_net_grad(W, l1, l2):
    return l2 * np.sign(W) + l1 * W  # noqa: F405
