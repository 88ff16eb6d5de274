"""Correct hw3 code written differently from the reference: in-place shuffle and float32 batches returned as a
list iterator, uniform draws for dropout, scaled standard draws for the initialisers. Every check of these
targets must pass."""

import numpy as np

from reference.practice_np import *  # noqa: F403

TARGETS = ("minibatches", "dropout_forward", "xavier_uniform", "he_normal")


def minibatches(X, y, batch_size, rng, shuffle=True):
    order = np.arange(len(X))
    if shuffle:
        rng.shuffle(order)  # the same draws as rng.permutation(N)
    X32 = X.astype(np.float32)  # float32 batches are right within float32 precision
    return iter([(X32[order[i : i + batch_size]], y[order[i : i + batch_size]]) for i in range(0, len(X), batch_size)])


def dropout_forward(X, p, train, rng):
    if not train:
        return X.copy(), np.ones_like(X, dtype=float)
    mask = (rng.uniform(size=X.shape) >= p).astype(float) / (1.0 - p)
    return X * mask, mask


def xavier_uniform(fan_in, fan_out, rng):
    a = (6.0 / (fan_in + fan_out)) ** 0.5
    return (2 * rng.random((fan_out, fan_in)) - 1) * a


def he_normal(fan_in, fan_out, rng):
    return rng.standard_normal((fan_out, fan_in)).astype(np.float32) * np.float32((2.0 / fan_in) ** 0.5)
