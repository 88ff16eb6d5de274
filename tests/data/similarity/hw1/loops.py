import numpy as np


def gd_step(w, grad, lr):
    new_w = np.empty(len(w))
    for i in range(len(w)):
        new_w[i] = w[i] - lr * grad[i]
    return new_w


def dataset_loss(loss_fn, X, Y, w):
    total = 0.0
    for i in range(len(X)):
        total += loss_fn(X[i], Y[i], w)
    return total / len(X)


def linear_regression_loss(x, y, w):
    pred = 0.0
    for j in range(len(w)):
        pred += x[j] * w[j]
    return 0.5 * (pred - y) ** 2


def linear_regression_grad(X, Y, w):
    m, d = X.shape
    g = np.zeros(d)
    for i in range(m):
        err = np.dot(X[i], w) - Y[i]
        for j in range(d):
            g[j] += err * X[i, j]
    return g / m


def batch_gd(grad_fn, w0, X, Y, lr, steps):
    w = np.array(w0, dtype=float)
    history = []
    for _ in range(steps):
        history.append(dataset_loss(linear_regression_loss, X, Y, w))
        w = gd_step(w, grad_fn(X, Y, w), lr)
    return w, np.array(history)


def sgd(grad_fn, w0, X, Y, lr, steps, rng):
    w = np.array(w0, dtype=float)
    step = 0
    while step < steps:
        k = rng.integers(0, X.shape[0])
        w = gd_step(w, grad_fn(X[k:k + 1], Y[k:k + 1], w), lr)
        step += 1
    return w
