"""Homework 3 — backprop in practice: normalisation, minibatches, schedules, regularisation, dropout,
initialisation, and a numpy MLP that puts them together.

Conventions: numpy float64 arrays; batch first (``X`` is ``(N, D)``); a linear layer's ``W`` is ``(out, in)``
like ``torch.nn.Linear``, so ``Y = X @ W.T + b`` (the slides' column form is ``Y = W·X``).
Every function returns new arrays (never an input or a view of one) and never modifies its inputs.
Use numpy only (no torch). You may import your own hw2 functions (``from backprop import ...``): the grader
finds ``backprop.py`` next to this file or, in the course layout, in ``assignments/hw2_backprop/``.

Run ``grader check hw3`` to test your work.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

# --- normalisation ---------------------------------------------------------------------------------


def fit_standardizer(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature statistics of the *training* data: ``mean_j = 1/N Σ_i X_ij``,
    ``std_j = sqrt(1/N Σ_i (X_ij − mean_j)²)`` (population std, ``ddof=0``).

    Shapes: ``X`` (N, D) → ``(mean, std)``, each (D,). Fit on training data only, then reuse the same
    statistics for validation and test data (never refit on them).
    """
    raise NotImplementedError("hw3.fit_standardizer")


def standardize(X: np.ndarray, mean: np.ndarray, std: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    """``(X − mean) / (std + eps)``, per feature; ``eps`` keeps a constant feature (std 0) finite.

    Shapes: ``X`` (N, D), ``mean`` and ``std`` (D,) → (N, D).
    """
    raise NotImplementedError("hw3.standardize")


# --- minibatches -------------------------------------------------------------------------------------


def minibatches(
    X: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator, shuffle: bool = True
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(Xb, yb)`` batches covering every sample exactly once (one epoch).

    The sample order is ``order = rng.permutation(N)`` (draw it once, nothing else from ``rng``), or
    ``0 .. N−1`` when ``shuffle`` is False. Batch ``k`` holds ``order[k·batch_size : (k+1)·batch_size]``;
    the last batch is kept even when it has fewer than ``batch_size`` samples.
    Shapes: ``X`` (N, D), ``y`` (N,) → ``Xb`` (B, D), ``yb`` (B,). A generator (use ``yield``).
    """
    raise NotImplementedError("hw3.minibatches")


# --- learning-rate schedules (epoch counts from 0) ----------------------------------------------------


def step_decay(lr0: float, epoch: int, drop: float = 0.5, every: int = 10) -> float:
    """``lr = lr0 · drop^(epoch // every)``: multiply by ``drop`` every ``every`` epochs (like torch's StepLR)."""
    raise NotImplementedError("hw3.step_decay")


def exponential_decay(lr0: float, epoch: int, gamma: float) -> float:
    """``lr = lr0 · gamma^epoch`` (like torch's ExponentialLR)."""
    raise NotImplementedError("hw3.exponential_decay")


def cosine_decay(lr0: float, epoch: int, total_epochs: int, lr_min: float = 0.0) -> float:
    """``lr = lr_min + (lr0 − lr_min) · (1 + cos(π · epoch / total_epochs)) / 2``
    (like torch's CosineAnnealingLR): ``lr0`` at epoch 0, ``lr_min`` at ``total_epochs``."""
    raise NotImplementedError("hw3.cosine_decay")


# --- regularisation: on weight matrices only, never on biases ----------------------------------------


def l1_penalty(weights: Sequence[np.ndarray], lam: float) -> float:
    """``lam · Σ_k Σ_ij |W_k,ij|`` over a list of weight matrices (pass the ``W`` s, not the biases)."""
    raise NotImplementedError("hw3.l1_penalty")


def l1_grad(W: np.ndarray, lam: float) -> np.ndarray:
    """Gradient of ``lam · Σ|W|`` with respect to one weight matrix: ``lam · sign(W)``, and 0 where ``W == 0``.

    Shapes: ``W`` any → same shape.
    """
    raise NotImplementedError("hw3.l1_grad")


def l2_penalty(weights: Sequence[np.ndarray], lam: float) -> float:
    """``lam/2 · Σ_k ‖W_k‖²`` (squared Frobenius norms) over a list of weight matrices (no biases)."""
    raise NotImplementedError("hw3.l2_penalty")


def l2_grad(W: np.ndarray, lam: float) -> np.ndarray:
    """Gradient of ``lam/2 · ‖W‖²``: ``lam · W`` (what ``torch.optim.SGD(weight_decay=lam)`` adds). Same shape as W."""
    raise NotImplementedError("hw3.l2_grad")


def elastic_net_grad(W: np.ndarray, l1: float, l2: float) -> np.ndarray:
    """Gradient of ``l1 · Σ|W| + l2/2 · ‖W‖²``: ``l1 · sign(W) + l2 · W`` (sign 0 at 0). Same shape as W."""
    raise NotImplementedError("hw3.elastic_net_grad")


# --- inverted dropout -------------------------------------------------------------------------------


def dropout_forward(X: np.ndarray, p: float, train: bool, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Inverted dropout: drop each unit with probability ``p`` (0 ≤ p < 1) and scale the survivors by
    ``1/(1 − p)`` so the expected activation is unchanged and evaluation needs no rescaling.

    Training: ``keep = rng.random(X.shape) >= p`` (one draw of that shape), ``mask = keep / (1 − p)``,
    ``Y = X · mask`` elementwise. Evaluation (``train`` False): ``Y`` is a copy of ``X``, ``mask`` is all ones,
    and ``rng`` is not used. Returns ``(Y, mask)``, both the shape of ``X``.
    """
    raise NotImplementedError("hw3.dropout_forward")


def dropout_backward(dY: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``dX = dY · mask`` elementwise: the gradient flows through the kept units with the same scaling."""
    raise NotImplementedError("hw3.dropout_backward")


# --- initialisation: W has shape (fan_out, fan_in), like torch.nn.Linear.weight -----------------------


def xavier_uniform(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """Glorot/Xavier uniform: ``W_ij ~ U(−a, a)`` with ``a = sqrt(6 / (fan_in + fan_out))``,
    so ``Var(W_ij) = 2 / (fan_in + fan_out)``. Returns shape ``(fan_out, fan_in)``."""
    raise NotImplementedError("hw3.xavier_uniform")


def he_normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """He/Kaiming normal for ReLU layers: ``W_ij ~ N(0, 2 / fan_in)`` (variance 2/fan_in, std sqrt(2/fan_in)).
    Returns shape ``(fan_out, fan_in)``."""
    raise NotImplementedError("hw3.he_normal")


# --- putting it together -----------------------------------------------------------------------------


def train_classifier(X: np.ndarray, y: np.ndarray, config: dict, rng: np.random.Generator) -> dict:
    """Train a numpy MLP classifier on ``X`` (N, D) float64 and integer labels ``y`` (N,) in ``0 .. C−1``.

    The network: standardised inputs (``fit_standardizer`` on this training ``X``), hidden layers
    ``Linear → ReLU → dropout``, a final ``Linear`` giving logits (N, C); softmax cross-entropy loss;
    He-initialised weights (``he_normal``) and zero biases; minibatch SGD on shuffled batches
    (``minibatches``); L2 on the weights only; inverted dropout on hidden layers during training only.

    ``config`` is a dict with exactly these keys:
      ``hidden``      an int (one hidden layer) or a list of ints (one per hidden layer), e.g. ``[64, 32]``
      ``epochs``      number of passes over the data
      ``lr``          initial learning rate ``lr0``
      ``batch_size``  minibatch size
      ``l2``          L2 strength ``lam`` (gradient ``lam · W`` added to each ``dW``; 0 disables it)
      ``dropout``     drop probability ``p`` of hidden units (0 disables it)
      ``lr_decay``    None (constant rate) or a per-epoch factor gamma: ``lr = lr0 · gamma^epoch``

    Draw all randomness (initialisation, shuffling, dropout) from ``rng``.
    Returns the model, a dict ``{"mean": (D,), "std": (D,), "params": [(W, b), ...]}``: the standardiser's
    statistics and the layers in order, each ``W`` (out, in) and ``b`` (out,), as hw2's ``mlp_forward`` takes them.
    Graded by the accuracy of ``predict`` on held-out data.
    """
    raise NotImplementedError("hw3.train_classifier")


def predict(model: dict, X: np.ndarray) -> np.ndarray:
    """Integer class labels (N,) for ``X`` (N, D) from a ``model`` returned by ``train_classifier``.

    Standardise ``X`` with the stored ``model["mean"]`` and ``model["std"]`` (never refit on ``X``),
    run the layers ``model["params"]`` with ReLU after every layer but the last and no dropout,
    and return the argmax of the logits as int64.
    """
    raise NotImplementedError("hw3.predict")
