"""standardize adds a fixed 1e-8 and ignores the eps it is given."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "standardize", "eps_ignored"


def standardize(X, mean, std, eps=1e-8):
    return (X - mean) / (std + 1e-8)
