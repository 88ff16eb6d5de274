"""minibatches samples with replacement: some samples twice in an epoch, others never."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "minibatches", "minibatch_repeats_samples"


def minibatches(X, y, batch_size, rng, shuffle=True):
    order = rng.integers(0, len(X), size=len(X)) if shuffle else np.arange(len(X))  # noqa: F405
    for start in range(0, len(X), batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]
