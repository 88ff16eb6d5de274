"""l2_penalty counts the first weight matrix only."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "l2_penalty", "penalty_first_matrix_only"


def l2_penalty(weights, lam):
    return float(lam / 2 * (weights[0] ** 2).sum())
