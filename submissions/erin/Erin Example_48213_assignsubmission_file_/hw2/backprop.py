"""Reference solutions for hw2 (backprop rules) in numpy: the shortest clear code per rule.

Batch first: ``X`` is ``(N, D)``; a linear layer's ``W`` is ``(out, in)``, so ``Y = X @ W.T + b``.
Every function returns new arrays (never an input or a view of one) and leaves its inputs untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

Array = np.ndarray
Params = Sequence[tuple[Array, Array]]


# Linear layer: Y = X @ W.T + b.
def linear_forward(X: Array, W: Array, b: Array) -> Array:
    # torch does it for me
    out = torch.nn.functional.linear(torch.from_numpy(X), torch.from_numpy(W), torch.from_numpy(b))
    return out.numpy()


def linear_backward(dY: Array, X: Array, W: Array) -> tuple[Array, Array, Array]:
    # Row-vector form of dC/dX = Wᵀ·dC/dY and dC/dW = dC/dY·Xᵀ; db adds up every sample's share.
    return dY @ W, dY.T @ X, dY.sum(axis=0)


# Non-linear h, chain rule dC/dS = dC/dZ · h'(S).
def relu_forward(S: Array) -> Array:
    return np.maximum(S, 0.0)


def relu_backward(dZ: Array, S: Array) -> Array:
    return np.where(S >= 0, dZ, 0.0)  # ">=": the slides' rule lets the gradient pass at S == 0


def sigmoid_forward(S: Array) -> Array:
    return np.exp(-np.logaddexp(0.0, -S))  # 1 / (1 + e^-S) without overflowing e^-S at S = -1000


def sigmoid_backward(dZ: Array, S: Array) -> Array:
    Z = sigmoid_forward(S)
    return dZ * Z * (1.0 - Z)


def tanh_forward(S: Array) -> Array:
    return np.tanh(S)


def tanh_backward(dZ: Array, S: Array) -> Array:
    return dZ * (1.0 - np.tanh(S) ** 2)


# Fan-out of one unit z into K units s_i = w_i z.
def weighted_sum_forward(z: Array, w: Array) -> Array:
    return np.outer(z, w)


def weighted_sum_backward(dS: Array, w: Array) -> Array:
    return dS @ w  # dz = Σ_i w_i dC/ds_i


def duplicate_forward(X: Array) -> tuple[Array, Array]:
    return X.copy(), X.copy()  # two independent copies: neither output may alias the input


def duplicate_backward(dY1: Array, dY2: Array) -> Array:
    return dY1 + dY2


def add_forward(X1: Array, X2: Array) -> Array:
    return X1 + X2


def _sum_to_shape(dY: Array, shape: tuple[int, ...]) -> Array:
    """Undo numpy broadcasting: sum dY over the axes that broadcasting added or stretched."""
    extra = dY.ndim - len(shape)
    dX = dY.sum(axis=tuple(range(extra))) if extra else dY
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and dX.shape[i] != 1)
    return np.array(dX.sum(axis=stretched, keepdims=True)).reshape(shape)  # np.array: a new array, never dY


def add_backward(dY: Array, shape1: tuple[int, ...], shape2: tuple[int, ...]) -> tuple[Array, Array]:
    return _sum_to_shape(dY, tuple(shape1)), _sum_to_shape(dY, tuple(shape2))


def max_forward(X1: Array, X2: Array) -> Array:
    return np.maximum(X1, X2)


def max_backward(dY: Array, X1: Array, X2: Array) -> tuple[Array, Array]:
    first_wins = X1 >= X2  # ">=": a tie sends the gradient to X1
    return np.where(first_wins, dY, 0.0), np.where(first_wins, 0.0, dY)


# Functional modules and Jacobians.
def numerical_jacobian(f: Callable[[Array], Array], x: Array, eps: float = 1e-6) -> Array:
    """J[i, j] = (f(x + eps e_j)_i - f(x - eps e_j)_i) / (2 eps), shape (m, n); x is read flattened."""
    x = np.array(x, dtype=np.float64)  # a private copy to perturb
    flat = x.reshape(-1)
    columns = []
    for j in range(flat.size):
        saved = flat[j]
        flat[j] = saved + eps
        plus = np.array(f(x), dtype=np.float64).reshape(-1)
        flat[j] = saved - eps
        minus = np.array(f(x), dtype=np.float64).reshape(-1)
        flat[j] = saved
        columns.append((plus - minus) / (2 * eps))
    return np.stack(columns, axis=1)


def linear_jacobians(W: Array, x: Array) -> tuple[Array, Array]:
    """For y = W x: J_x = W (m, n); J_W (m, m n) against W flattened row-major, dy_i/dW_kj = δ_ik x_j."""
    m = W.shape[0]
    return W.copy(), np.kron(np.eye(m), np.reshape(x, (1, -1)))


def chain_rule(dC_dznext: Array, J_z: Array, J_w: Array) -> tuple[Array, Array]:
    return dC_dznext @ J_z, dC_dznext @ J_w  # [1×df] = [1×dg]·[dg×df]


# Costs: scalars averaged over the batch.
def mse_forward(Y_hat: Array, Y: Array) -> float:
    return float(np.sum((Y_hat - Y) ** 2) / (2 * Y_hat.shape[0]))


def mse_backward(Y_hat: Array, Y: Array) -> Array:
    return (Y_hat - Y) / Y_hat.shape[0]


def _log_softmax(logits: Array) -> Array:
    shifted = logits - logits.max(axis=1, keepdims=True)  # e^1000 overflows; e^0 does not
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax_cross_entropy_forward(logits: Array, labels: Array) -> float:
    rows = np.arange(logits.shape[0])
    return float(-_log_softmax(logits)[rows, labels].mean())


def softmax_cross_entropy_backward(logits: Array, labels: Array) -> Array:
    dlogits = np.exp(_log_softmax(logits))
    dlogits[np.arange(logits.shape[0]), labels] -= 1.0
    return dlogits / logits.shape[0]


# Multistage graph: s_{k+1} = W_k z_k, z_k = h(s_k).
ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array, Array], Array]]] = {
    "relu": (relu_forward, relu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
}


def _activation(name: str) -> tuple[Callable[[Array], Array], Callable[[Array, Array], Array]]:
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {name!r}")
    return ACTIVATIONS[name]


def mlp_forward(X: Array, params: Params, activation: str = "relu") -> tuple[Array, list[tuple[Array, Array]]]:
    """Logits of a stack of linear layers with ``activation`` between them (none after the last).

    ``cache`` holds one ``(Z, S)`` pair per layer: ``Z`` the layer's input (``Z_0`` a copy of ``X``)
    and ``S = Z @ W.T + b`` its pre-activation; the last ``S`` is the logits.
    """
    h, _ = _activation(activation)
    cache = []
    Z = np.array(X, dtype=np.float64)  # a copy, so the cache never aliases the caller's X
    for k, (W, b) in enumerate(params):
        S = linear_forward(Z, W, b)
        cache.append((Z, S))
        Z = h(S) if k < len(params) - 1 else S
    return Z.copy(), cache  # a copy: logits and the cache's last S stay independent


def mlp_backward(
    dlogits: Array, cache: Sequence[tuple[Array, Array]], params: Params, activation: str = "relu"
) -> list[tuple[Array, Array]]:
    """``[(dW_k, db_k)]`` in the order of ``params``, from ``dlogits`` (N, C) and ``mlp_forward``'s cache."""
    _, h_backward = _activation(activation)
    grads = []
    dS = dlogits
    for k in reversed(range(len(params))):
        Z, _ = cache[k]
        dZ, dW, db = linear_backward(dS, Z, params[k][0])
        grads.append((dW, db))
        if k > 0:
            dS = h_backward(dZ, cache[k - 1][1])  # the input of layer k is h(S_{k-1})
    return grads[::-1]
