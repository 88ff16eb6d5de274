"""linear_regression_grad forgets the 1/m."""

from reference.gradient_descent_np import *  # noqa: F403

TARGET = "linear_regression_grad"
MISTAKE = "missing_1_over_m"


def linear_regression_grad(X, Y, w):
    return X.T @ (X @ w - Y)
