"""train never passes weight_decay to the optimiser."""

from reference import mlp_lab as _ref
from reference.mlp_lab import *  # noqa: F403

TARGET, MISTAKE = "train", "weight_decay_ignored"


def train(model, X, y, *, weight_decay=0.0, **kwargs):
    return _ref.train(model, X, y, **kwargs)
