"""l2_penalty averages the squares over every weight instead of summing them."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "l2_penalty", "penalty_mean_not_sum"


def l2_penalty(weights, lam):
    return float(lam / 2 * np.mean(np.concatenate([(W**2).ravel() for W in weights])))  # noqa: F405
