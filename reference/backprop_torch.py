"""Reference for hw2 in torch: two oracles independent of the numpy reference.

1. One ``torch.autograd.Function`` per rule with a hand-written ``backward`` (checked by ``gradcheck``).
2. Plain torch forwards named like ``reference.backprop_np``'s (``linear_forward``, …, ``mlp_forward``):
   autograd derives their backward, so they agree with the hand derivations only if those are right.

Inputs are float64 tensors, batch first, ``W`` is ``(out, in)``. Kink conventions follow the course:
ReLU passes the gradient at ``S == 0``; max sends a tie to ``X1``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torch.autograd import Function

# ---------------------------------------------------------------- hand-written backward passes


class Linear(Function):
    @staticmethod
    def forward(ctx, X: Tensor, W: Tensor, b: Tensor) -> Tensor:
        ctx.save_for_backward(X, W)
        return X @ W.T + b

    @staticmethod
    def backward(ctx, dY: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        X, W = ctx.saved_tensors
        return dY @ W, dY.T @ X, dY.sum(dim=0)


class ReLU(Function):
    @staticmethod
    def forward(ctx, S: Tensor) -> Tensor:
        ctx.save_for_backward(S)
        return S.clamp(min=0)

    @staticmethod
    def backward(ctx, dZ: Tensor) -> Tensor:
        (S,) = ctx.saved_tensors
        return torch.where(S >= 0, dZ, torch.zeros_like(dZ))  # passes at S == 0, as in the slides


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, S: Tensor) -> Tensor:
        Z = torch.sigmoid(S)
        ctx.save_for_backward(Z)
        return Z

    @staticmethod
    def backward(ctx, dZ: Tensor) -> Tensor:
        (Z,) = ctx.saved_tensors
        return dZ * Z * (1 - Z)


class Tanh(Function):
    @staticmethod
    def forward(ctx, S: Tensor) -> Tensor:
        Z = torch.tanh(S)
        ctx.save_for_backward(Z)
        return Z

    @staticmethod
    def backward(ctx, dZ: Tensor) -> Tensor:
        (Z,) = ctx.saved_tensors
        return dZ * (1 - Z**2)


class WeightedSum(Function):
    """``S[n, i] = w[i] z[n]``: z (N,), w (K,) → (N, K)."""

    @staticmethod
    def forward(ctx, z: Tensor, w: Tensor) -> Tensor:
        ctx.save_for_backward(z, w)
        return z[:, None] * w[None, :]

    @staticmethod
    def backward(ctx, dS: Tensor) -> tuple[Tensor, Tensor]:
        z, w = ctx.saved_tensors
        return dS @ w, dS.T @ z


class Duplicate(Function):
    @staticmethod
    def forward(ctx, X: Tensor) -> tuple[Tensor, Tensor]:
        return X.clone(), X.clone()

    @staticmethod
    def backward(ctx, dY1: Tensor, dY2: Tensor) -> Tensor:
        return dY1 + dY2


class Add(Function):
    """``X1 + X2`` with broadcasting; each gradient summed back to its input's shape."""

    @staticmethod
    def forward(ctx, X1: Tensor, X2: Tensor) -> Tensor:
        ctx.shapes = X1.shape, X2.shape
        return X1 + X2

    @staticmethod
    def backward(ctx, dY: Tensor) -> tuple[Tensor, Tensor]:
        shape1, shape2 = ctx.shapes
        # sum_to_size sums over the axes broadcasting added or stretched.
        return dY.sum_to_size(shape1).clone(), dY.sum_to_size(shape2).clone()


class Max(Function):
    @staticmethod
    def forward(ctx, X1: Tensor, X2: Tensor) -> Tensor:
        first_wins = X1 >= X2  # not torch.maximum: its backward splits a tie 50/50
        ctx.save_for_backward(first_wins)
        return torch.where(first_wins, X1, X2)

    @staticmethod
    def backward(ctx, dY: Tensor) -> tuple[Tensor, Tensor]:
        (first_wins,) = ctx.saved_tensors
        zero = torch.zeros_like(dY)
        return torch.where(first_wins, dY, zero), torch.where(first_wins, zero, dY)


class MSE(Function):
    """``1/(2N) Σ ‖Ŷ − Y‖²``; gradients for both ``Y_hat`` and ``Y``."""

    @staticmethod
    def forward(ctx, Y_hat: Tensor, Y: Tensor) -> Tensor:
        ctx.save_for_backward(Y_hat - Y)
        return ((Y_hat - Y) ** 2).sum() / (2 * Y_hat.shape[0])

    @staticmethod
    def backward(ctx, dC: Tensor) -> tuple[Tensor, Tensor]:
        (diff,) = ctx.saved_tensors
        dY_hat = dC * diff / diff.shape[0]
        return dY_hat, -dY_hat


class SoftmaxCrossEntropy(Function):
    """Mean of ``−log softmax(logits)[label]``; logits (N, K), labels (N,) int64 (no gradient)."""

    @staticmethod
    def forward(ctx, logits: Tensor, labels: Tensor) -> Tensor:
        log_p = torch.log_softmax(logits, dim=1)  # stable at logits of 1000
        ctx.save_for_backward(log_p, labels)
        return -log_p.gather(1, labels[:, None]).mean()

    @staticmethod
    def backward(ctx, dC: Tensor) -> tuple[Tensor, None]:
        log_p, labels = ctx.saved_tensors
        onehot = torch.nn.functional.one_hot(labels, log_p.shape[1]).to(log_p.dtype)
        return dC * (log_p.exp() - onehot) / log_p.shape[0], None


FUNCTIONS: dict[str, type[Function]] = {
    "linear": Linear,
    "relu": ReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "weighted_sum": WeightedSum,
    "duplicate": Duplicate,
    "add": Add,
    "max": Max,
    "mse": MSE,
    "softmax_cross_entropy": SoftmaxCrossEntropy,
}

# ---------------------------------------------------------------- plain forwards: autograd derives the backward


def linear_forward(X: Tensor, W: Tensor, b: Tensor) -> Tensor:
    return X @ W.T + b


def relu_forward(S: Tensor) -> Tensor:
    return torch.where(S >= 0, S, torch.zeros_like(S))  # not torch.relu: its gradient at 0 is 0


def sigmoid_forward(S: Tensor) -> Tensor:
    return torch.sigmoid(S)


def tanh_forward(S: Tensor) -> Tensor:
    return torch.tanh(S)


def weighted_sum_forward(z: Tensor, w: Tensor) -> Tensor:
    return torch.outer(z, w)


def duplicate_forward(X: Tensor) -> tuple[Tensor, Tensor]:
    return X.clone(), X.clone()


def add_forward(X1: Tensor, X2: Tensor) -> Tensor:
    return X1 + X2


def max_forward(X1: Tensor, X2: Tensor) -> Tensor:
    return torch.where(X1 >= X2, X1, X2)  # not torch.maximum: it splits ties 50/50


def mse_forward(Y_hat: Tensor, Y: Tensor) -> Tensor:
    return ((Y_hat - Y) ** 2).sum() / (2 * Y_hat.shape[0])


def softmax_cross_entropy_forward(logits: Tensor, labels: Tensor) -> Tensor:
    return torch.nn.functional.cross_entropy(logits, labels)  # mean over the batch


ACTIVATIONS = {"relu": relu_forward, "sigmoid": sigmoid_forward, "tanh": tanh_forward}
CUSTOM_ACTIVATIONS = {"relu": ReLU.apply, "sigmoid": Sigmoid.apply, "tanh": Tanh.apply}


def mlp_forward(
    X: Tensor, params: Sequence[tuple[Tensor, Tensor]], activation: str = "relu", *, custom: bool = False
) -> Tensor:
    """Logits of linear layers with ``activation`` between them (none after the last).

    ``custom=True`` builds it from the hand-written Functions above; otherwise from plain torch ops.
    """
    h = (CUSTOM_ACTIVATIONS if custom else ACTIVATIONS)[activation]
    linear = Linear.apply if custom else linear_forward
    Z = X
    for k, (W, b) in enumerate(params):
        Z = linear(Z, W, b)
        if k < len(params) - 1:
            Z = h(Z)
    return Z
