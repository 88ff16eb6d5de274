"""mlp_forward forgets the activation between layers: a purely linear net."""

import numpy as np

from reference.backprop_np import *  # noqa: F403
from reference.backprop_np import linear_forward

TARGET = "mlp_forward"
MISTAKE = "mlp_no_hidden_activation"


def mlp_forward(X, params, activation="relu"):
    cache, Z = [], np.array(X, dtype=np.float64)
    for W, b in params:
        S = linear_forward(Z, W, b)
        cache.append((Z, S))
        Z = S
    return Z.copy(), cache
