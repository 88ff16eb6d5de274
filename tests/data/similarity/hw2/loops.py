"""hw2 written with explicit Python loops over samples and units."""

import numpy as np


def linear_forward(X, W, b):
    n, d_out = X.shape[0], W.shape[0]
    Y = np.zeros((n, d_out))
    for i in range(n):
        for j in range(d_out):
            Y[i, j] = np.dot(X[i], W[j]) + b[j]
    return Y


def linear_backward(dY, X, W):
    dX = np.zeros(X.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(W.shape[0])
    for i in range(X.shape[0]):
        for j in range(W.shape[0]):
            dX[i] += dY[i, j] * W[j]
            dW[j] += dY[i, j] * X[i]
            db[j] += dY[i, j]
    return dX, dW, db


def relu_forward(S):
    out = np.array(S, dtype=float)
    flat = out.reshape(-1)
    for k in range(flat.size):
        if flat[k] < 0:
            flat[k] = 0.0
    return out


def relu_backward(dZ, S):
    dS = np.array(dZ, dtype=float)
    flat, s = dS.reshape(-1), np.asarray(S).reshape(-1)
    for k in range(flat.size):
        if s[k] < 0:
            flat[k] = 0.0
    return dS


def _sig(v):
    if v >= 0:
        return 1.0 / (1.0 + np.exp(-v))
    e = np.exp(v)
    return e / (1.0 + e)


def sigmoid_forward(S):
    S = np.asarray(S, dtype=float)
    return np.array([_sig(v) for v in S.reshape(-1)]).reshape(S.shape)


def sigmoid_backward(dZ, S):
    sig = sigmoid_forward(S)
    result = np.empty_like(sig)
    for idx in np.ndindex(sig.shape):
        result[idx] = dZ[idx] * sig[idx] * (1 - sig[idx])
    return result


def tanh_forward(S):
    S = np.asarray(S, dtype=float)
    out = np.empty_like(S)
    for idx in np.ndindex(S.shape):
        out[idx] = np.tanh(S[idx])
    return out


def tanh_backward(dZ, S):
    t = tanh_forward(S)
    out = np.empty_like(t)
    for idx in np.ndindex(t.shape):
        out[idx] = dZ[idx] * (1 - t[idx] * t[idx])
    return out


def weighted_sum_forward(z, w):
    out = np.zeros((len(z), len(w)))
    for n in range(len(z)):
        for i in range(len(w)):
            out[n, i] = w[i] * z[n]
    return out


def weighted_sum_backward(dS, w):
    dz = np.zeros(dS.shape[0])
    for n in range(dS.shape[0]):
        total = 0.0
        for i in range(len(w)):
            total += w[i] * dS[n, i]
        dz[n] = total
    return dz


def duplicate_forward(X):
    return np.array(X, copy=True), np.array(X, copy=True)


def duplicate_backward(dY1, dY2):
    return np.add(dY1, dY2)


def add_forward(X1, X2):
    return np.add(X1, X2)


def _unbroadcast(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis in range(len(shape)):
        if shape[axis] == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return np.array(grad).reshape(shape)


def add_backward(dY, shape1, shape2):
    return _unbroadcast(dY, tuple(shape1)), _unbroadcast(dY, tuple(shape2))


def max_forward(X1, X2):
    out = np.empty(np.broadcast(X1, X2).shape)
    for idx in np.ndindex(out.shape):
        a, b = X1[idx], X2[idx]
        out[idx] = a if a >= b else b
    return out


def max_backward(dY, X1, X2):
    d1, d2 = np.zeros(dY.shape), np.zeros(dY.shape)
    for idx in np.ndindex(dY.shape):
        if X1[idx] >= X2[idx]:
            d1[idx] = dY[idx]
        else:
            d2[idx] = dY[idx]
    return d1, d2


def numerical_jacobian(f, x, eps=1e-6):
    x0 = np.array(x, dtype=float).reshape(-1)
    m = np.asarray(f(x0.reshape(np.shape(x)))).size
    J = np.zeros((m, x0.size))
    for j in range(x0.size):
        up, down = x0.copy(), x0.copy()
        up[j] += eps
        down[j] -= eps
        fu = np.asarray(f(up.reshape(np.shape(x))), dtype=float).reshape(-1)
        fd = np.asarray(f(down.reshape(np.shape(x))), dtype=float).reshape(-1)
        for i in range(m):
            J[i, j] = (fu[i] - fd[i]) / (2 * eps)
    return J


def linear_jacobians(W, x):
    m, n = W.shape
    J_x = np.array(W, dtype=float)
    J_W = np.zeros((m, m * n))
    for i in range(m):
        for j in range(n):
            J_W[i, i * n + j] = x[j]
    return J_x, J_W


def chain_rule(dC_dznext, J_z, J_w):
    g = np.asarray(dC_dznext).reshape(-1)
    dz = np.zeros(J_z.shape[1])
    dw = np.zeros(J_w.shape[1])
    for i in range(len(g)):
        dz += g[i] * J_z[i]
        dw += g[i] * J_w[i]
    return dz.reshape(1, -1), dw.reshape(1, -1)


def mse_forward(Y_hat, Y):
    total = 0.0
    for row_hat, row in zip(Y_hat, Y):  # noqa: B905
        diff = row_hat - row
        total += float(np.dot(diff, diff))
    return total / (2 * len(Y_hat))


def mse_backward(Y_hat, Y):
    n = len(Y_hat)
    grad = np.zeros(np.shape(Y_hat))
    for i in range(n):
        grad[i] = (Y_hat[i] - Y[i]) / n
    return grad


def softmax_cross_entropy_forward(logits, labels):
    loss = 0.0
    for row, label in zip(logits, labels):  # noqa: B905
        top = max(row)
        log_norm = top + np.log(sum(np.exp(v - top) for v in row))
        loss += log_norm - row[label]
    return float(loss / len(logits))


def softmax_cross_entropy_backward(logits, labels):
    n = len(logits)
    grad = np.zeros(np.shape(logits))
    for i in range(n):
        e = np.exp(logits[i] - max(logits[i]))
        grad[i] = e / e.sum()
        grad[i, labels[i]] -= 1.0
    return grad / n


ACTS = {"relu": (relu_forward, relu_backward), "sigmoid": (sigmoid_forward, sigmoid_backward),
        "tanh": (tanh_forward, tanh_backward)}


def mlp_forward(X, params, activation="relu"):
    forward = ACTS[activation][0]
    cache = []
    Z = np.array(X, dtype=float)
    for layer in range(len(params)):
        W, b = params[layer]
        S = linear_forward(Z, W, b)
        cache.append((Z, S))
        if layer == len(params) - 1:
            Z = S.copy()
        else:
            Z = forward(S)
    return Z, cache


def mlp_backward(dlogits, cache, params, activation="relu"):
    backward = ACTS[activation][1]
    grads = [None] * len(params)
    upstream = dlogits
    for layer in range(len(params) - 1, -1, -1):
        Z, S = cache[layer]
        dZ, dW, db = linear_backward(upstream, Z, params[layer][0])
        grads[layer] = (dW, db)
        if layer > 0:
            upstream = backward(dZ, cache[layer - 1][1])
    return grads
