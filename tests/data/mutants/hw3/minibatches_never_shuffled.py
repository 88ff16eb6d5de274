"""minibatches ignores shuffle=True and keeps the original order."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "minibatches", "minibatch_not_shuffled"


def minibatches(X, y, batch_size, rng, shuffle=True):
    for start in range(0, len(X), batch_size):
        yield X[start : start + batch_size], y[start : start + batch_size]
