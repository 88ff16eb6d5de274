"""linear_forward forgets the bias and linear_backward transposes dW, and this file's own mlp_forward and
mlp_backward call them: only the two linear rules should lose points, not the net."""

import numpy as np

from reference.backprop_np import *  # noqa: F403
from reference.backprop_np import ACTIVATIONS

TARGET = ("linear_forward", "linear_backward")
MISTAKE = "transposed_dW"


def linear_forward(X, W, b):
    return X @ W.T


def linear_backward(dY, X, W):
    return dY @ W, X.T @ dY, dY.sum(axis=0)


def mlp_forward(X, params, activation="relu"):
    h, _ = ACTIVATIONS[activation]
    Z, cache = np.array(X, dtype=float), []
    for k, (W, b) in enumerate(params):
        S = linear_forward(Z, W, b)
        cache.append((Z, S))
        Z = h(S) if k < len(params) - 1 else S
    return Z.copy(), cache


def mlp_backward(dlogits, cache, params, activation="relu"):
    _, h_backward = ACTIVATIONS[activation]
    grads, dS = [], dlogits
    for k in reversed(range(len(params))):
        dZ, dW, db = linear_backward(dS, cache[k][0], params[k][0])
        grads.append((dW, db))
        if k > 0:
            dS = h_backward(dZ, cache[k - 1][1])
    return grads[::-1]
