"""l2_penalty sums the norms ‖W‖ instead of the squared norms."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "l2_penalty", "l2_norm_not_squared"


def l2_penalty(weights, lam):
    return float(lam / 2 * sum(np.sqrt((W**2).sum()) for W in weights))  # noqa: F405
