"""max_forward calls np.max(X1, X2), which reads X2 as an axis."""

import numpy as np

from reference.backprop_np import *  # noqa: F403

TARGET = "max_forward"
MISTAKE = ""


def max_forward(X1, X2):
    return np.max(X1, X2)
