"""l2_grad returns lam · sign(W), the L1 gradient."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "l2_grad", "l2_grad_is_sign"


def l2_grad(W, lam):
    return lam * np.sign(W)  # noqa: F405
