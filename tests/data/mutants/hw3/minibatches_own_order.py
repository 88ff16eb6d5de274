"""minibatches draws its order with rng.choice instead of rng.permutation: another order than asked for."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "minibatches", "minibatch_order"


def minibatches(X, y, batch_size, rng, shuffle=True):
    order = rng.choice(len(X), size=len(X), replace=False) if shuffle else np.arange(len(X))  # noqa: F405
    for start in range(0, len(X), batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]
