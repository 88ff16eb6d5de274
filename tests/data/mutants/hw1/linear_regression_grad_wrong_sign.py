"""linear_regression_grad takes the residual the other way round: 1/m Xᵀ(Y − Xw)."""

from reference.gradient_descent_np import *  # noqa: F403

TARGET = "linear_regression_grad"
MISTAKE = "wrong_sign"


def linear_regression_grad(X, Y, w):
    return X.T @ (Y - X @ w) / len(X)
