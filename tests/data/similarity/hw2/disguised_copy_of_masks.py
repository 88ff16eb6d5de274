"""HW2 - my backprop implementation.

(A copy of masks.py with every variable renamed, the functions in another order, new comments and
another layout: what a student hides a copy behind.)
"""
import numpy as np


# ---- costs first ----
def mse_forward(Y_hat, Y):
    count = Y.shape[0]
    return float(np.sum(np.square(Y_hat - Y)) / count / 2)


def mse_backward(Y_hat, Y):
    return (Y_hat - Y) / Y.shape[0]


def softmax_cross_entropy_backward(logits, labels):
    centred = logits - np.max(logits, axis=1, keepdims=True)
    probs = np.exp(centred) / np.sum(np.exp(centred), axis=1, keepdims=True)
    hit = np.zeros(logits.shape, dtype=bool)
    hit[np.arange(len(labels)), labels] = True
    return np.where(hit, probs - 1, probs) / logits.shape[0]


def softmax_cross_entropy_forward(logits, labels):
    centred = logits - np.max(logits, axis=1, keepdims=True)
    log_z = np.log(np.sum(np.exp(centred), axis=1))
    hit = np.zeros(logits.shape, dtype=bool)
    hit[np.arange(len(labels)), labels] = True
    picked = centred[hit]
    return float(np.mean(log_z - picked))


# ---- layers ----
def linear_backward(dY, X, W):
    return (np.dot(dY, W),
            np.dot(dY.T, X),
            np.sum(dY, axis=0))


def linear_forward(X, W, b):
    return np.dot(X, W.T) + b


def tanh_backward(dZ, S):
    return dZ * (1 - tanh_forward(S) ** 2)


def tanh_forward(S):
    return np.tanh(S)


def sigmoid_backward(dZ, S):
    sig = sigmoid_forward(S)
    return dZ * sig * (1 - sig)


def sigmoid_forward(S):
    S = np.asarray(S, dtype=float)
    res = np.empty_like(S)
    pos = S >= 0
    res[pos] = 1.0 / (1.0 + np.exp(-S[pos]))
    expo = np.exp(S[~pos])
    res[~pos] = expo / (1.0 + expo)
    return res


def relu_backward(dZ, S):
    below = S < 0
    grad = dZ.astype(float)   # a fresh copy
    grad[below] = 0.0
    return grad


def relu_forward(S):
    keep = S > 0
    return np.where(keep, S, 0.0)


# ---- graph pieces ----
def max_backward(dY, X1, X2):
    first = X1 >= X2
    second = ~first
    return np.where(first, dY, 0), np.where(second, dY, 0)


def max_forward(X1, X2):
    return np.where(X1 >= X2, X1, X2)


def reduce_like(g, target):
    target = tuple(target)
    while len(g.shape) > len(target):
        g = np.sum(g, axis=0)
    ones = np.array(target) == 1
    for axis in np.nonzero(ones)[0]:
        g = np.sum(g, axis=int(axis), keepdims=True)
    return np.reshape(np.array(g), target)


def add_backward(dY, shape1, shape2):
    return reduce_like(dY, shape1), reduce_like(dY, shape2)


def add_forward(X1, X2):
    return X1 + X2


def duplicate_backward(dY1, dY2):
    return dY1 + dY2


def duplicate_forward(X):
    return X.copy(), X.copy()


def weighted_sum_backward(dS, w):
    return np.sum(dS * w[np.newaxis, :], axis=1)


def weighted_sum_forward(z, w):
    return z[:, np.newaxis] * w[np.newaxis, :]


# ---- jacobians ----
def chain_rule(dC_dznext, J_z, J_w):
    return dC_dznext @ J_z, dC_dznext @ J_w


def linear_jacobians(W, x):
    n_out, n_in = W.shape
    jac = np.zeros((n_out, n_out * n_in))
    owner = np.arange(n_out * n_in) // n_in
    for o in range(n_out):
        jac[o, owner == o] = x
    return W.copy(), jac


def numerical_jacobian(f, x, eps=1e-6):
    x = np.array(x, dtype=np.float64)
    values = x.ravel()
    columns = []
    for idx in range(values.size):
        sel = np.zeros(values.size, dtype=bool)
        sel[idx] = True
        hi = np.where(sel, values + eps, values).reshape(x.shape)
        lo = np.where(sel, values - eps, values).reshape(x.shape)
        columns.append((np.ravel(f(hi)) - np.ravel(f(lo))) / (2 * eps))
    return np.column_stack(columns)


# ---- the network ----
def mlp_backward(dlogits, cache, params, activation="relu"):
    if activation == "relu":
        back = relu_backward
    elif activation == "sigmoid":
        back = sigmoid_backward
    elif activation == "tanh":
        back = tanh_backward
    else:
        raise ValueError("unsupported activation")
    out = []
    delta = dlogits
    for layer in reversed(range(len(params))):
        a_in, _ = cache[layer]
        d_in, gW, gb = linear_backward(delta, a_in, params[layer][0])
        out.append((gW, gb))
        if layer > 0:
            delta = back(d_in, cache[layer - 1][1])
    return out[::-1]


def mlp_forward(X, params, activation="relu"):
    if activation == "relu":
        act = relu_forward
    elif activation == "sigmoid":
        act = sigmoid_forward
    elif activation == "tanh":
        act = tanh_forward
    else:
        raise ValueError("unsupported activation")
    cache = []
    a = X.astype(np.float64)
    for layer, (W, b) in enumerate(params):
        pre = linear_forward(a, W, b)
        cache.append((a, pre))
        final = layer == len(params) - 1
        a = pre.copy() if final else act(pre)
    return a, cache
