"""l2_penalty forgets the 1/2."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "l2_penalty", "l2_missing_half"


def l2_penalty(weights, lam):
    return float(lam * sum((W**2).sum() for W in weights))
