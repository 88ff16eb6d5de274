"""elastic_net_grad gives the L1 part ±l1 at W == 0 (a mask W >= 0)."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "elastic_net_grad", "l1_sign_at_zero"


def elastic_net_grad(W, l1, l2):
    return l1 * np.where(W >= 0, 1.0, -1.0) + l2 * W  # noqa: F405
