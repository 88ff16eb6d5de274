"""dropout_forward keeps a unit where rng.random() < 1 − p: the right rate, the wrong units."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "dropout_forward", "dropout_keep_rule"


def dropout_forward(X, p, train, rng):
    if not train:
        return np.array(X, dtype=np.float64), np.ones(np.shape(X))  # noqa: F405
    mask = (rng.random(X.shape) < 1 - p) / (1.0 - p)
    return X * mask, mask
