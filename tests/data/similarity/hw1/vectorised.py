"""Homework 1, vectorised with numpy throughout."""
import numpy as np


def gd_step(w, grad, lr):
    return np.subtract(w, np.multiply(lr, grad))


def dataset_loss(loss_fn, X, Y, w):
    losses = np.array([loss_fn(X[i], Y[i], w) for i in range(X.shape[0])])
    return float(losses.mean())


def linear_regression_loss(x, y, w):
    residual = np.dot(x, w) - y
    return float(residual * residual / 2)


def linear_regression_grad(X, Y, w):
    residuals = X.dot(w) - Y
    return X.T.dot(residuals) / X.shape[0]


def batch_gd(grad_fn, w0, X, Y, lr, steps):
    weights = w0.astype(float)
    losses = np.zeros(steps)
    for t in range(steps):
        losses[t] = dataset_loss(linear_regression_loss, X, Y, weights)
        weights = weights - lr * grad_fn(X, Y, weights)
    return weights, losses


def sgd(grad_fn, w0, X, Y, lr, steps, rng):
    weights = w0.astype(float)
    for _ in range(steps):
        idx = rng.integers(0, len(Y))
        xs, ys = X[idx:idx + 1], Y[idx:idx + 1]
        weights = weights - lr * grad_fn(xs, ys, weights)
    return weights
