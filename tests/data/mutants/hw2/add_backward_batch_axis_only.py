"""add_backward sums dY over the batch axis whenever an input's shape differs from dY's."""

from reference.backprop_np import *  # noqa: F403

TARGET = "add_backward"
MISTAKE = "add_summed_over_batch_only"


def add_backward(dY, shape1, shape2):
    return tuple(dY.copy() if tuple(shape) == dY.shape else dY.sum(axis=0) for shape in (shape1, shape2))
