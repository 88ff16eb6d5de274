"""minibatches shuffles y with a second permutation, so labels no longer match their rows."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "minibatches", "minibatch_labels_misaligned"


def minibatches(X, y, batch_size, rng, shuffle=True):
    n = len(X)
    order_X = rng.permutation(n) if shuffle else np.arange(n)  # noqa: F405
    order_y = rng.permutation(n) if shuffle else np.arange(n)  # noqa: F405
    for start in range(0, n, batch_size):
        yield X[order_X[start : start + batch_size]], y[order_y[start : start + batch_size]]
