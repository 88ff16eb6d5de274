"""linear_regression_loss forgets to square the residual: ½ (x·w − y)."""

from reference.gradient_descent_np import *  # noqa: F403

TARGET = "linear_regression_loss"
MISTAKE = "loss_not_squared"


def linear_regression_loss(x, y, w):
    return float(0.5 * (x @ w - y))
