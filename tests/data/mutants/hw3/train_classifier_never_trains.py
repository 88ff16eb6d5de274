"""train_classifier's epoch loop never runs: the model keeps its initial weights."""

from reference import practice_np as _ref
from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "train_classifier", ""


def train_classifier(X, y, config, rng):
    return _ref.train_classifier(X, y, {**config, "epochs": 0}, rng)
