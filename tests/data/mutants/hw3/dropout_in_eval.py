"""dropout_forward ignores train and drops units at evaluation time too."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "dropout_forward", "dropout_in_eval"


def dropout_forward(X, p, train, rng):
    mask = (rng.random(X.shape) >= p) / (1.0 - p)
    return X * mask, mask
