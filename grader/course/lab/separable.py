"""A training problem whose SGD trajectory the grader can compute exactly, whatever the shuffling: ``train``'s
losses and its reproducibility are judged on it.

The problem: N samples, ``X = scale · I_N`` (sample i is the i-th basis vector, scaled), labels y drawn by the
grader, and the grader's model ``Linear(N, C, bias=False)`` from weights ``W0`` (C, N) it drew. Sample i's logits
are ``scale · W[:, i]``, so column i of W is touched by sample i's loss alone: one SGD step on a batch S of size B
moves every column i in S by ``-lr_e · scale / B · (softmax(scale · W[:, i]) - onehot(y_i))`` and leaves the
others as they are. Hence, with no weight decay:

- each column's path depends only on the epoch's learning rate ``lr_e`` and on the size B of the batch sample i
  fell in (``batch_size``, or the last batch's ``N mod batch_size``), never on the order of the samples;
- sample i's loss during epoch e is its loss at the start of the epoch, so
  ``losses[e] = mean_i CE(scale · W_e[:, i], y_i)`` exactly, with ``W_e`` the weights at the start of epoch e.

So the grader can verify what comes back against its own float64 computation of plain SGD: with ``batch_size``
dividing N the whole run (weights and losses) is one fixed trajectory; otherwise each column must follow one of
the 2^epochs paths given by which epochs put sample i in the partial batch (``genuine``). A forger has to compute
these trajectories, that is, do SGD.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

TOLERANCE = 1e-4  # float32 training agrees with this float64 computation to about 1e-6


@dataclass(frozen=True)
class Separable:
    """One drawn problem: sizes, scale, labels ``y`` (N,) and initial weights ``W0`` (C, N) float32."""

    scale: float
    y: np.ndarray
    W0: np.ndarray

    @property
    def n(self) -> int:
        return len(self.y)

    def X(self) -> np.ndarray:
        return (self.scale * np.eye(self.n)).astype(np.float32)

    def spec(self) -> list:
        return [["linear", self.n, self.W0.shape[0], False]]

    def weights(self) -> list:
        return [[self.W0, np.zeros(self.W0.shape[0], np.float32)]]


def draw_separable(rng: np.random.Generator, n: int, classes: int, scale: float) -> Separable:
    """Labels uniform over the classes; weights N(0, 0.1²), so training starts near the uniform prediction."""
    return Separable(scale, rng.integers(0, classes, n), rng.normal(0.0, 0.1, (classes, n)).astype(np.float32))


def _cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample CE and its gradient ``softmax - onehot`` for logits (..., N, C) and labels (N,)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    onehot = np.eye(logits.shape[-1])[y]
    return -(log_p * onehot).sum(axis=-1), np.exp(log_p) - onehot


def epoch_rates(epochs: int, lr: float, step_size: int | None = None, gamma: float = 0.1) -> np.ndarray:
    """``lr_e = lr · gamma^(e // step_size)`` (StepLR stepped once per epoch), or ``lr`` throughout."""
    return np.array([lr * (gamma ** (e // step_size) if step_size else 1.0) for e in range(epochs)])


def paths(problem: Separable, rates: np.ndarray, batch_sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every column's SGD path for each row of ``batch_sizes`` (K, E): the size of the batch it is in at each
    epoch. Returns the final columns (K, N, C) and each sample's loss at the start of every epoch and after the
    last one (K, E + 1, N)."""
    K, E = batch_sizes.shape
    U = np.broadcast_to(problem.W0.T.astype(np.float64), (K, problem.n, problem.W0.shape[0])).copy()
    losses = np.empty((K, E + 1, problem.n))
    for e in range(E + 1):
        ce, grad = _cross_entropy(problem.scale * U, problem.y)
        losses[:, e] = ce
        if e < E:
            U -= (rates[e] * problem.scale / batch_sizes[:, e])[:, None, None] * grad
    return U, losses


def batch_size_paths(n: int, batch_size: int, epochs: int) -> np.ndarray:
    """The possible sizes of a sample's batch over the epochs (K, E): one path if batch_size divides n, else
    every mix of full and last-partial batches."""
    last = n % batch_size
    choices = (batch_size,) if last == 0 else (batch_size, last)
    return np.array(list(itertools.product(choices, repeat=epochs)), dtype=np.float64)


def genuine(problem: Separable, W: np.ndarray, rates: np.ndarray, batch_size: int) -> bool:
    """Whether every column of the returned weights ``W`` (C, N) is at the end of one of its possible SGD paths
    (each sample used once per epoch, in a batch of batch_size or in the last, smaller one)."""
    final, _ = paths(problem, rates, batch_size_paths(problem.n, batch_size, len(rates)))
    err = np.abs(final - np.asarray(W, np.float64).T[None]).max(axis=2)  # (K, N)
    return bool(np.all(err.min(axis=0) <= TOLERANCE * (1.0 + np.abs(final).max())))


def expected_losses(problem: Separable, rates: np.ndarray, batch_size: int) -> dict[str, np.ndarray]:
    """With batch_size dividing N: the per-epoch losses ("") and what known mistakes report instead."""
    sizes = batch_size_paths(problem.n, batch_size, len(rates))
    if len(sizes) != 1:
        raise ValueError("the losses are fixed only when batch_size divides N")
    _, losses = paths(problem, rates, sizes)
    per_epoch = losses[0].mean(axis=1)
    return {"": per_epoch[:-1], "losses_not_mean": per_epoch[:-1] * problem.n / batch_size,
            "losses_after_epoch": per_epoch[1:]}


def close(actual: np.ndarray, expected: np.ndarray) -> bool:
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    return actual.shape == expected.shape and bool(np.all(np.abs(actual - expected) <= TOLERANCE * np.abs(expected)
                                                          + 1e-7))
