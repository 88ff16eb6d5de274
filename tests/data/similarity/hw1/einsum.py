# hw1 -- gradient descent (I like einsum)
import numpy as np


def gd_step(w, grad, lr):
    step = lr * np.asarray(grad, dtype=float)
    return np.asarray(w, dtype=float) - step


def dataset_loss(loss_fn, X, Y, w):
    return float(sum(loss_fn(x, y, w) for x, y in zip(X, Y)) / len(Y))  # noqa: B905


def linear_regression_loss(x, y, w):
    return 0.5 * float(np.einsum("d,d->", x, w) - y) ** 2


def linear_regression_grad(X, Y, w):
    r = np.einsum("md,d->m", X, w) - Y
    return np.einsum("md,m->d", X, r) / len(Y)


def batch_gd(grad_fn, w0, X, Y, lr, steps):
    w, trace = np.copy(w0).astype(float), []
    for _ in range(steps):
        trace.append(dataset_loss(linear_regression_loss, X, Y, w))
        w = gd_step(w, grad_fn(X, Y, w), lr)
    return w, np.asarray(trace)


def sgd(grad_fn, w0, X, Y, lr, steps, rng):
    w = np.copy(w0).astype(float)
    for _ in range(steps):
        n = int(rng.integers(0, len(X)))
        w = gd_step(w, grad_fn(X[n:n + 1], Y[n:n + 1], w), lr)
    return w
