"""standardize divides by the std alone: a constant feature becomes 0/0."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "standardize", "std_without_eps"


def standardize(X, mean, std, eps=1e-8):
    return (X - mean) / std
