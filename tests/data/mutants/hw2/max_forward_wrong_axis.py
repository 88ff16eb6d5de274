"""max_forward stacks the inputs and takes the max over the wrong axis."""

import numpy as np

from reference.backprop_np import *  # noqa: F403

TARGET = "max_forward"
MISTAKE = "max_over_wrong_axis"


def max_forward(X1, X2):
    return np.stack([X1, X2]).max(axis=1)
