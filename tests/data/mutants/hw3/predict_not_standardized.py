"""predict runs the layers on raw X, skipping the stored standardisation."""

from reference.practice_np import *  # noqa: F403
from reference.practice_np import mlp_forward

TARGET, MISTAKE = "predict", "predict_not_standardized"


def predict(model, X):
    return mlp_forward(X, model["params"], "relu")[0].argmax(axis=1)
