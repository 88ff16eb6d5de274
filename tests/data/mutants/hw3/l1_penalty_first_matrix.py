"""l1_penalty counts the first weight matrix only."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "l1_penalty", "penalty_first_matrix_only"


def l1_penalty(weights, lam):
    return float(lam * np.abs(weights[0]).sum())  # noqa: F405
