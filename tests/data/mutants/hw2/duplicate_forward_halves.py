"""duplicate_forward splits X between its two outputs."""

from reference.backprop_np import *  # noqa: F403

TARGET = "duplicate_forward"
MISTAKE = "duplicate_split"


def duplicate_forward(X):
    return X / 2, X / 2
