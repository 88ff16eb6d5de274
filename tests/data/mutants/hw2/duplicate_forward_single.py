"""duplicate_forward returns one array instead of a pair."""

from reference.backprop_np import *  # noqa: F403

TARGET = "duplicate_forward"
MISTAKE = "duplicate_single_output"


def duplicate_forward(X):
    return X.copy()
