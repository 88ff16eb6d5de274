"""dropout_forward scales by 1 − p in eval mode, as non-inverted dropout does."""

from reference.practice_np import *  # noqa: F403
from reference.practice_np import dropout_forward as reference_dropout_forward

TARGET, MISTAKE = "dropout_forward", "dropout_eval_scaled"


def dropout_forward(X, p, train, rng):
    if not train:
        return X * (1 - p), np.full(np.shape(X), 1 - p)  # noqa: F405
    return reference_dropout_forward(X, p, train, rng)
