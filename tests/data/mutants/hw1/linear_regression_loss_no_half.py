"""linear_regression_loss forgets the ½."""

from reference.gradient_descent_np import *  # noqa: F403

TARGET = "linear_regression_loss"
MISTAKE = "missing_half"


def linear_regression_loss(x, y, w):
    return float((x @ w - y) ** 2)
