"""minibatches shuffles whatever shuffle says."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "minibatches", "minibatch_shuffles_when_told_not_to"


def minibatches(X, y, batch_size, rng, shuffle=True):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]
