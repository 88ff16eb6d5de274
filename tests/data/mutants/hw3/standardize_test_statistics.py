"""standardize ignores the training statistics it is given and uses X's own."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "standardize", "test_set_statistics"


def standardize(X, mean, std, eps=1e-8):
    return (X - X.mean(axis=0)) / (X.std(axis=0) + eps)
