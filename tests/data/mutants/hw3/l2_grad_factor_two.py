"""l2_grad differentiates lam·‖W‖² instead of lam/2·‖W‖²."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "l2_grad", "l2_grad_factor_two"


def l2_grad(W, lam):
    return 2 * lam * W
