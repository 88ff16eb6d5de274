"""Backprop rules with matrix products (np.matmul / np.dot) and small helper classes of my own."""
import numpy as np
from numpy import matmul


def linear_forward(X, W, b):
    out = matmul(X, np.transpose(W))
    out = out + b
    return out


def linear_backward(dY, X, W):
    """Gradients of the linear layer."""
    dX = matmul(dY, W)
    dW = matmul(np.transpose(dY), X)
    db = np.ones(dY.shape[0]).dot(dY)
    return dX, dW, db


def relu_forward(S):
    return S * (S > 0)


def relu_backward(dZ, S):
    gate = np.ones_like(S)
    gate[S < 0] = 0
    return dZ * gate


def sigmoid_forward(S):
    return 0.5 * (1.0 + np.tanh(0.5 * S))  # same function, no overflow


def sigmoid_backward(dZ, S):
    y = sigmoid_forward(S)
    return dZ * (y * (1.0 - y))


def tanh_forward(S):
    return 2.0 * sigmoid_forward(2.0 * S) - 1.0


def tanh_backward(dZ, S):
    th = tanh_forward(S)
    return dZ - dZ * th * th


def weighted_sum_forward(z, w):
    return matmul(z.reshape(-1, 1), w.reshape(1, -1))


def weighted_sum_backward(dS, w):
    return matmul(dS, w.reshape(-1, 1)).ravel()


def duplicate_forward(X):
    return X + 0.0, X + 0.0


def duplicate_backward(dY1, dY2):
    out = np.zeros_like(dY1, dtype=float)
    out += dY1
    out += dY2
    return out


def add_forward(X1, X2):
    return np.asarray(X1) + np.asarray(X2)


def _collapse(grad, target):
    target = tuple(target)
    padded = (1,) * (grad.ndim - len(target)) + target
    keep = [k for k, (have, want) in enumerate(zip(grad.shape, padded)) if want == 1 and have != 1]  # noqa: B905
    summed = grad.sum(axis=tuple(keep), keepdims=True) if keep else grad + 0.0
    return summed.reshape(target)


def add_backward(dY, shape1, shape2):
    return _collapse(dY, shape1), _collapse(dY, shape2)


def max_forward(X1, X2):
    pick = X1 >= X2
    return pick * X1 + (~pick) * X2


def max_backward(dY, X1, X2):
    pick = (X1 >= X2)
    return dY * pick, dY * (~pick)


def numerical_jacobian(f, x, eps=1e-6):
    x = np.array(x, dtype=float)
    size = x.size
    rows = None
    for j in range(size):
        step = np.zeros(size)
        step[j] = eps
        diff = np.ravel(f(x + step.reshape(x.shape))) - np.ravel(f(x - step.reshape(x.shape)))
        if rows is None:
            rows = np.zeros((diff.size, size))
        rows[:, j] = diff / (2.0 * eps)
    return rows


def linear_jacobians(W, x):
    m = W.shape[0]
    xr = np.asarray(x, dtype=float).reshape(1, -1)
    J_W = np.zeros((m, m * xr.shape[1]))
    for r in range(m):
        J_W[r:r + 1, r * xr.shape[1]:(r + 1) * xr.shape[1]] = xr
    return W + 0.0, J_W


def chain_rule(dC_dznext, J_z, J_w):
    upstream = np.reshape(dC_dznext, (1, -1))
    return matmul(upstream, J_z), matmul(upstream, J_w)


def mse_forward(Y_hat, Y):
    e = (Y_hat - Y).ravel()
    return float(e.dot(e)) / (2.0 * Y_hat.shape[0])


def mse_backward(Y_hat, Y):
    return (Y_hat - Y) * (1.0 / Y_hat.shape[0])


def _logsumexp(a):
    top = np.max(a, axis=1)
    return top + np.log(np.sum(np.exp(a - top[:, None]), axis=1))


def softmax_cross_entropy_forward(logits, labels):
    N = logits.shape[0]
    chosen = logits[np.arange(N), labels]
    return float(np.mean(_logsumexp(logits) - chosen))


def softmax_cross_entropy_backward(logits, labels):
    N = logits.shape[0]
    probs = np.exp(logits - _logsumexp(logits)[:, None])
    probs[np.arange(N), labels] = probs[np.arange(N), labels] - 1
    return probs / N


class Layer:
    def __init__(self, W, b):
        self.W, self.b = W, b


def mlp_forward(X, params, activation="relu"):
    fns = {"relu": relu_forward, "sigmoid": sigmoid_forward, "tanh": tanh_forward}
    if activation not in fns:
        raise ValueError("unknown activation " + activation)
    layers = [Layer(W, b) for W, b in params]
    cache, a = [], np.array(X, dtype=float)
    for i, layer in enumerate(layers):
        pre = linear_forward(a, layer.W, layer.b)
        cache.append((a, pre))
        a = fns[activation](pre) if i + 1 < len(layers) else pre.copy()
    return a, cache


def mlp_backward(dlogits, cache, params, activation="relu"):
    backs = {"relu": relu_backward, "sigmoid": sigmoid_backward, "tanh": tanh_backward}
    result = []
    delta = dlogits
    i = len(params)
    while i > 0:
        i -= 1
        a, _ = cache[i]
        da, gW, gb = linear_backward(delta, a, params[i][0])
        result.append((gW, gb))
        if i > 0:
            delta = backs[activation](da, cache[i - 1][1])
    result.reverse()
    return result
