"""l1_penalty averages |W| instead of summing it."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "l1_penalty", "penalty_mean_not_sum"


def l1_penalty(weights, lam):
    return float(lam * np.mean(np.concatenate([np.abs(W).ravel() for W in weights])))  # noqa: F405
