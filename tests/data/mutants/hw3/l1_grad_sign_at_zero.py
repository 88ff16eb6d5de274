"""l1_grad gives +lam at W == 0."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "l1_grad", "l1_sign_at_zero"


def l1_grad(W, lam):
    return lam * np.where(W >= 0, 1.0, -1.0)  # noqa: F405
