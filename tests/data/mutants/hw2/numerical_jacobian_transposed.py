"""numerical_jacobian returns (n, m)."""

from reference.backprop_np import *  # noqa: F403
from reference.backprop_np import numerical_jacobian as _right

TARGET = "numerical_jacobian"
MISTAKE = "jacobian_transposed"


def numerical_jacobian(f, x, eps=1e-6):
    return _right(f, x, eps).T
