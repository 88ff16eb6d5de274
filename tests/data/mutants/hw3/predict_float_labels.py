"""predict returns the argmax as floats."""

from reference import practice_np as _ref
from reference.practice_np import *  # noqa: F403

TARGET, MISTAKE = "predict", "labels_not_integers"


def predict(model, X):
    return _ref.predict(model, X).astype(float)
