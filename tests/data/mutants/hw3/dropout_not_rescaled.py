"""dropout_forward drops units but forgets the 1/(1 - p) of inverted dropout."""

from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "dropout_forward", "dropout_not_rescaled"


def dropout_forward(X, p, train, rng):
    if not train:
        return X.copy(), np.ones(X.shape)  # noqa: F405
    keep = (rng.random(X.shape) >= p) * 1.0
    return X * keep, keep
