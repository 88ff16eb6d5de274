"""l1_grad returns lam · W, the L2 gradient."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "l1_grad", "l1_grad_is_W"


def l1_grad(W, lam):
    return lam * W
