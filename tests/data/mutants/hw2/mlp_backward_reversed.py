"""mlp_backward returns the layers' gradients last layer first."""

from reference.backprop_np import *  # noqa: F403
from reference.backprop_np import mlp_backward as _right

TARGET = "mlp_backward"
MISTAKE = "mlp_grads_reversed"


def mlp_backward(dlogits, cache, params, activation="relu"):
    return _right(dlogits, cache, params, activation)[::-1]
