"""minibatches drops the last, partial batch."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "minibatches", "minibatch_drop_last"


def minibatches(X, y, batch_size, rng, shuffle=True):
    order = rng.permutation(len(X)) if shuffle else np.arange(len(X))  # noqa: F405
    for start in range(0, len(X) - batch_size + 1, batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]
