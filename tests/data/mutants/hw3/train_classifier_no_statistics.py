"""train_classifier trains on standardised inputs but stores mean 0 and std 1 in the model."""

from reference import practice_np as _ref
from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "train_classifier", "model_statistics_not_training"


def train_classifier(X, y, config, rng):
    model = _ref.train_classifier(X, y, config, rng)
    return {**model, "mean": np.zeros(X.shape[1]), "std": np.ones(X.shape[1])}  # noqa: F405
