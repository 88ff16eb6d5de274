"""predict standardises X with its own statistics instead of the model's."""

from reference import practice_np as _ref
from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "predict", "predict_test_statistics"


def predict(model, X):
    return _ref.predict({**model, "mean": X.mean(axis=0), "std": X.std(axis=0)}, X)
