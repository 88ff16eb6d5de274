"""train_classifier stores each layer's W as (in, out)."""

from reference import practice_np as _ref
from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "train_classifier", "model_weights_transposed"


def train_classifier(X, y, config, rng):
    model = _ref.train_classifier(X, y, config, rng)
    return {**model, "params": [(W.T.copy(), b) for W, b in model["params"]]}
