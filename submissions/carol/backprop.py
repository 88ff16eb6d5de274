"""Homework 2 — backpropagation, one rule at a time.

Conventions: numpy float64 arrays; batch first, so ``X`` is ``(N, D)`` (one sample per row). A linear
layer's ``W`` is ``(out, in)`` like ``torch.nn.Linear``, so ``Y = X @ W.T + b``. The slides write one
sample as a column vector (``Y = W·X``, ``dC/dX = Wᵀ·dC/dY``, ``dC/dW = dC/dY·Xᵀ``); each docstring gives
both forms. A ``d`` name is the gradient of the cost C: ``dY`` is ``dC/dY`` and has the shape of ``Y``.
Every function returns new arrays (never an input itself or a view of one) and never modifies its inputs.
Use numpy only (no torch).

Run ``grader check hw2`` to test your work.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# ---------------------------------------------------------------- linear layer


def linear_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Linear layer. Slides (one sample as a column): ``Y = W·X + b``. Batch first: ``Y = X @ W.T + b``.

    Shapes: ``X`` (N, D_in), ``W`` (D_out, D_in), ``b`` (D_out,); returns ``Y`` (N, D_out).
    """
    return X @ W.T + b


def linear_backward(dY: np.ndarray, X: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward of ``Y = X @ W.T + b``.

    Slides (column vectors): ``dC/dX = Wᵀ·dC/dY``, ``dC/dW = dC/dY·Xᵀ``, ``dC/db = dC/dY``.
    Batch first: ``dX = dY @ W``, ``dW = dY.T @ X``, ``db = dY.sum(axis=0)`` (every sample adds its share).
    Shapes: ``dY`` (N, D_out), ``X`` (N, D_in), ``W`` (D_out, D_in).
    Returns ``(dX, dW, db)`` with the shapes of ``X`` (N, D_in), ``W`` (D_out, D_in) and ``b`` (D_out,).
    """
    return dY @ W, dY.T @ X, dY.sum(axis=0)


# ---------------------------------------------------------------- non-linear functions Z = h(S)
# Chain rule, elementwise: dC/dS = dC/dZ · h'(S). ``S`` and ``dZ`` have the same shape (any).


def relu_forward(S: np.ndarray) -> np.ndarray:
    """``Z = max(S, 0)`` elementwise. Shape: as ``S``."""
    return np.maximum(S, 0.0)


def relu_backward(dZ: np.ndarray, S: np.ndarray) -> np.ndarray:
    """``dS = dZ · h'(S)`` with ``h'(S) = 0`` where ``S < 0`` and ``1`` otherwise.

    Convention at the kink (the slides' rule): at ``S == 0`` the gradient passes through (``dS = dZ``).
    Shapes: ``dZ`` and ``S`` alike; returns ``dS`` of that shape.
    """
    return np.where(S >= 0, dZ, 0.0)


def sigmoid_forward(S: np.ndarray) -> np.ndarray:
    """``Z = σ(S) = 1 / (1 + e^(−S))`` elementwise. Shape: as ``S``.

    Must stay finite and warning-free for ``|S|`` of 1000: ``e^(−S)`` overflows at ``S = −1000``
    (hint: for ``S < 0`` use the equal form ``e^S / (1 + e^S)``, or ``np.logaddexp``).
    """
    raise NotImplementedError("hw2.sigmoid_forward")


def sigmoid_backward(dZ: np.ndarray, S: np.ndarray) -> np.ndarray:
    """``dS = dZ · σ(S)(1 − σ(S))``. Finite for ``|S|`` of 1000. Shapes: ``dZ`` and ``S`` alike."""
    raise NotImplementedError("hw2.sigmoid_backward")


def tanh_forward(S: np.ndarray) -> np.ndarray:
    """``Z = tanh(S)`` elementwise. Shape: as ``S``."""
    raise NotImplementedError("hw2.tanh_forward")


def tanh_backward(dZ: np.ndarray, S: np.ndarray) -> np.ndarray:
    """``dS = dZ · (1 − tanh²(S))``. Shapes: ``dZ`` and ``S`` alike."""
    raise NotImplementedError("hw2.tanh_backward")


# ---------------------------------------------------------------- fan-out, duplicate, add, max


def weighted_sum_forward(z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """One unit ``z`` feeding K units: ``s_i = w_i z``, for each of the N samples.

    Shapes: ``z`` (N,), ``w`` (K,); returns ``S`` (N, K) with ``S[n, i] = w[i] * z[n]``.
    """
    raise NotImplementedError("hw2.weighted_sum_forward")


def weighted_sum_backward(dS: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Gradients from every unit z feeds add up: ``dC/dz = Σ_i w_i · dC/ds_i``.

    Shapes: ``dS`` (N, K), ``w`` (K,); returns ``dz`` (N,).
    """
    raise NotImplementedError("hw2.weighted_sum_backward")


def duplicate_forward(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``Y1 = X``, ``Y2 = X``: returns two new arrays equal to ``X`` (copies, not ``X`` itself)."""
    return X.copy(), X.copy()


def duplicate_backward(dY1: np.ndarray, dY2: np.ndarray) -> np.ndarray:
    """Both copies send gradient back: ``dX = dY1 + dY2``. Shapes: all alike."""
    return dY1 + dY2


def add_forward(X1: np.ndarray, X2: np.ndarray) -> np.ndarray:
    """``Y = X1 + X2`` with numpy broadcasting (e.g. (N, D) + (D,), or (N, D) + (N, 1))."""
    raise NotImplementedError("hw2.add_forward")


def add_backward(dY: np.ndarray, shape1: tuple[int, ...], shape2: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Backward of ``Y = X1 + X2``: ``dC/dX1 = dC/dY`` and ``dC/dX2 = dC/dY``, reduced to each input's shape.

    Where an input was broadcast, every copy of it received gradient: sum ``dY`` over those axes.
    Axes broadcasting added in front are summed away; axes of length 1 that were stretched are summed
    with ``keepdims``. E.g. ``dY`` (N, D), ``shape2 = (D,)`` → ``dX2 = dY.sum(axis=0)``;
    ``shape2 = (N, 1)`` → ``dX2 = dY.sum(axis=1, keepdims=True)``.
    Returns ``(dX1, dX2)`` with shapes exactly ``shape1`` and ``shape2``.
    """
    raise NotImplementedError("hw2.add_backward")


def max_forward(X1: np.ndarray, X2: np.ndarray) -> np.ndarray:
    """``Y = max(X1, X2)`` elementwise. Shapes: all (N, D)."""
    raise NotImplementedError("hw2.max_forward")


def max_backward(dY: np.ndarray, X1: np.ndarray, X2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Backward of ``Y = max(X1, X2)``, elementwise: the gradient goes to the input that won.

    ``dC/dX1 = dC/dY`` where ``X1 >= X2``, else 0;  ``dC/dX2 = dC/dY`` where ``X1 < X2``, else 0.
    Ties go to ``X1``. Shapes: all (N, D). Returns ``(dX1, dX2)``.
    """
    raise NotImplementedError("hw2.max_backward")


# ---------------------------------------------------------------- functional modules and Jacobians


def numerical_jacobian(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Jacobian of ``f: Rⁿ → Rᵐ`` at ``x`` by central differences.

    ``J[i, j] = (f(x + eps·e_j)[i] − f(x − eps·e_j)[i]) / (2·eps)``, with ``e_j`` the j-th unit vector.
    ``x`` is read flattened (n = ``x.size``) and so is ``f``'s output (m = its size). Returns ``J`` (m, n).
    Perturb a copy: ``x`` itself must be unchanged afterwards.
    """
    raise NotImplementedError("hw2.numerical_jacobian")


def linear_jacobians(W: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Jacobians of ``y = W·x`` (one sample, column form) against ``x`` and against ``W``.

    ``J_x[i, j] = ∂y_i/∂x_j = W[i, j]``: shape (m, n).
    ``J_W[i, k·n + j] = ∂y_i/∂W[k, j] = x_j if i == k else 0``: shape (m, m·n), columns in the order of
    ``W`` flattened row-major (``W.reshape(-1)``). Shapes: ``W`` (m, n), ``x`` (n,).
    Returns ``(J_x, J_W)``.
    """
    raise NotImplementedError("hw2.linear_jacobians")


def chain_rule(dC_dznext: np.ndarray, J_z: np.ndarray, J_w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One module ``z_next = g(z, w)`` in a chain: push the cost's gradient back through its Jacobians.

    Row-vector gradients, ``[1×df] = [1×dg]·[dg×df]``: ``dC/dz = dC/dz_next · J_z`` and
    ``dC/dw = dC/dz_next · J_w``. Shapes: ``dC_dznext`` (1, g), ``J_z`` (g, n), ``J_w`` (g, p).
    Returns ``(dC_dz, dC_dw)`` of shapes (1, n) and (1, p).
    """
    raise NotImplementedError("hw2.chain_rule")


# ---------------------------------------------------------------- costs (means over the batch)


def mse_forward(Y_hat: np.ndarray, Y: np.ndarray) -> float:
    """Mean squared error: ``C = 1/(2N) Σ_n ‖ŷ_n − y_n‖²``. Shapes: ``Y_hat`` and ``Y`` (N, D). Returns a float."""
    raise NotImplementedError("hw2.mse_forward")


def mse_backward(Y_hat: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``dC/dY_hat = (Y_hat − Y) / N``. Shapes: ``Y_hat`` and ``Y`` (N, D); returns (N, D)."""
    raise NotImplementedError("hw2.mse_backward")


def softmax_cross_entropy_forward(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean cross-entropy of softmax: ``C = −1/N Σ_n log softmax(logits_n)[labels_n]``.

    Shapes: ``logits`` (N, K), ``labels`` (N,) integers in ``[0, K)``. Returns a float.
    Must be finite for logits of magnitude 1000: subtract each row's max before ``exp``.
    """
    raise NotImplementedError("hw2.softmax_cross_entropy_forward")


def softmax_cross_entropy_backward(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``dC/dlogits = (softmax(logits) − onehot(labels)) / N``. Shapes as the forward; returns (N, K).

    Finite for logits of magnitude 1000.
    """
    raise NotImplementedError("hw2.softmax_cross_entropy_backward")


# ---------------------------------------------------------------- multistage graph: a traditional neural net


def mlp_forward(
    X: np.ndarray, params: list[tuple[np.ndarray, np.ndarray]], activation: str = "relu"
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Forward pass ``s_{k+1} = W_k z_k + b_k``, ``z_k = h(s_k)``, with ``z_0 = X``.

    ``params`` is a list of ``(W, b)``, one per layer, ``W`` (D_out, D_in), ``b`` (D_out,).
    ``h`` is ``activation``, one of ``"relu"``, ``"sigmoid"``, ``"tanh"``, applied after every layer
    except the last: the last layer's output is the logits (N, D_last).
    Returns ``(logits, cache)``. ``cache`` is a list with one ``(Z, S)`` pair per layer: ``Z`` that
    layer's input (a copy of ``X`` for the first) and ``S = Z @ W.T + b`` its output before ``h``
    (so the last ``S`` equals the logits). ``mlp_backward`` receives this cache.
    """
    raise NotImplementedError("hw2.mlp_forward")


def mlp_backward(
    dlogits: np.ndarray,
    cache: list[tuple[np.ndarray, np.ndarray]],
    params: list[tuple[np.ndarray, np.ndarray]],
    activation: str = "relu",
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Backward pass of ``mlp_forward``: from ``dlogits = dC/dlogits`` (N, D_last) to every layer's gradients.

    Walk the layers from last to first: ``linear_backward`` gives ``(dZ, dW, db)``; below every layer
    but the first, ``dS`` of the layer beneath is ``h'`` applied to ``dZ`` (e.g. ``relu_backward(dZ, S)``
    with that layer's ``S`` from the cache). ``cache`` is ``mlp_forward``'s, ``activation`` the same.
    Returns a list of ``(dW, db)`` in the order of ``params``, each the shape of its ``(W, b)``.
    """
    raise NotImplementedError("hw2.mlp_backward")
