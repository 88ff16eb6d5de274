"""dropout_forward reads p as the probability of keeping a unit."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "dropout_forward", "dropout_p_is_keep_probability"


def dropout_forward(X, p, train, rng):
    if not train:
        return np.array(X, dtype=np.float64), np.ones(np.shape(X))  # noqa: F405
    mask = (rng.random(X.shape) < p) / p
    return X * mask, mask
