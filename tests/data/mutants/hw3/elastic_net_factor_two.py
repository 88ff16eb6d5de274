"""elastic_net_grad differentiates lam ‖W‖² without the ½: l1 · sign(W) + 2 · l2 · W."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "elastic_net_grad", "l2_grad_factor_two"


def elastic_net_grad(W, l1, l2):
    return l1 * np.sign(W) + 2 * l2 * W  # noqa: F405
