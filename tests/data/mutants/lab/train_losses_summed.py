"""train reports each epoch's loss summed over its batches instead of the mean per sample."""

import math

from reference import mlp_lab as _ref
from reference.mlp_lab import *  # noqa: F403

TARGET, MISTAKE = "train", "losses_not_mean"


def train(model, X, y, *, epochs, lr, batch_size, **kwargs):
    losses = _ref.train(model, X, y, epochs=epochs, lr=lr, batch_size=batch_size, **kwargs)
    return [loss * math.ceil(len(X) / batch_size) for loss in losses]
