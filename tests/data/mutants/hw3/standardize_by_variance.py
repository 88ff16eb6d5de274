"""standardize divides by the variance."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "standardize", "divided_by_variance"


def standardize(X, mean, std, eps=1e-8):
    return (X - mean) / (std**2 + eps)
