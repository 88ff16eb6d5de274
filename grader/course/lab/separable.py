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

With a partial last batch (``r = N mod batch_size > 0``) the losses are no longer fixed, but:

- ``losses[0]`` still is: in epoch 0 every sample's loss is taken at W0, whichever batch it is in;
- each later ``losses[e]`` lies between the means over the samples of their smallest and largest losses at the
  start of epoch e over the paths (``epoch_bounds``);
- the final columns tell which paths each sample may have taken (``matching_paths``). Paths that put a sample in
  the partial batch equally often end close together, so a column often matches several, but the two paths of
  samples never shuffled (always in the partial batch, or never) stand alone: when every column matches exactly its
  index-order path, the last r samples were in the partial batch in every epoch (``in_index_order``).
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np

TOLERANCE = 1e-4  # float32 training agrees with this float64 computation to about 1e-6
MAX_SUBSETS = 10**6  # partial batches enumerated to name a mistake (C(N, r)): C(52, 4) is 270,725


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


def draw_two_level(rng: np.random.Generator, n: int, classes: int, scale: float, wrong: int, margin: float = 1.0,
                   noise: float = 0.01) -> Separable:
    """Labels uniform over the classes; weights ``W0 = N(0, noise²)`` plus ``margin`` on one entry of each column:
    the label's for ``n - wrong`` samples (confident and right), another class's for ``wrong`` samples chosen at
    random (confident and wrong). So the losses at W0 take two tight levels ``a = log(1 + (C - 1)·e^(-scale·margin))``
    and ``a + scale·margin``, and their mean ``a + (wrong / n)·scale·margin`` stays clear of the mean of any r
    samples (about ``a + (j / r)·scale·margin``, j of them wrong) when ``wrong / n`` is clear of every ``j / r``."""
    y = rng.integers(0, classes, n)
    W0 = rng.normal(0.0, noise, (classes, n))
    is_wrong = np.zeros(n, dtype=bool)
    is_wrong[rng.choice(n, wrong, replace=False)] = True
    confident = np.where(is_wrong, (y + rng.integers(1, classes, n)) % classes, y)
    W0[confident, np.arange(n)] += margin
    return Separable(scale, y, W0.astype(np.float32))


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
        ce, grad = cross_entropy(problem.scale * U, problem.y)
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


def all_paths(problem: Separable, rates: np.ndarray, batch_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``batch_size_paths``' sizes (K, E) and, for each, ``paths``' final columns (K, N, C) and losses (K, E + 1, N)."""
    sizes = batch_size_paths(problem.n, batch_size, len(rates))
    return (sizes, *paths(problem, rates, sizes))


def ends(final: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Which path each column of the returned weights ``W`` (C, N) ends within tolerance of, among the paths'
    ``final`` columns (K, N, C): ``matches`` (K, N), ``matches[k, i]`` when column i is at the end of path k."""
    err = np.abs(final - np.asarray(W, np.float64).T[None]).max(axis=2)  # (K, N)
    return err <= TOLERANCE * (1.0 + np.abs(final).max())


def matching_paths(problem: Separable, W: np.ndarray, rates: np.ndarray, batch_size: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The possible paths ``sizes`` (K, E) of ``batch_size_paths`` and which of them each column of ``W`` ends
    (``ends``)."""
    sizes, final, _ = all_paths(problem, rates, batch_size)
    return sizes, ends(final, W)


def genuine(problem: Separable, W: np.ndarray, rates: np.ndarray, batch_size: int) -> bool:
    """Whether every column of the returned weights ``W`` (C, N) is at the end of one of its possible SGD paths
    (each sample used once per epoch, in a batch of batch_size or in the last, smaller one)."""
    return bool(np.all(matching_paths(problem, W, rates, batch_size)[1].any(axis=0)))


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


def start_losses(problem: Separable) -> np.ndarray:
    """Each sample's loss at W0, ``CE(scale · W0[:, i], y_i)`` (N,): the loss it has in epoch 0, whatever the
    shuffling."""
    return cross_entropy(problem.scale * problem.W0.T.astype(np.float64), problem.y)[0]


def loss_bounds(losses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What ``losses`` (E,) may be, epoch by epoch, whatever the shuffling, from the paths' losses ``ℓ`` (K, E + 1,
    N) of ``all_paths``: ``(lo, hi)`` (E,) each, with ``lo[e] = mean_i min_k ℓ[k, e, i]`` and
    ``hi[e] = mean_i max_k ℓ[k, e, i]``, ``ℓ[k, e, i]`` sample i's loss at the start of epoch e on path k. Every
    path starts at W0, so ``lo[0] = hi[0]`` is the mean of ``start_losses``."""
    return losses[:, :-1].min(axis=0).mean(axis=1), losses[:, :-1].max(axis=0).mean(axis=1)


def epoch_bounds(problem: Separable, rates: np.ndarray, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """``loss_bounds`` of the paths ``batch_size_paths`` gives."""
    return loss_bounds(all_paths(problem, rates, batch_size)[2])


def between(actual: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> bool:
    """Whether ``lo <= actual <= hi`` elementwise (same shapes), with ``close``'s tolerance on either side."""
    actual, lo, hi = (np.asarray(a, np.float64) for a in (actual, lo, hi))
    return actual.shape == lo.shape and bool(np.all((actual >= lo - TOLERANCE * np.abs(lo) - 1e-7)
                                                   & (actual <= hi + TOLERANCE * np.abs(hi) + 1e-7)))


def near_any(actual: float, values: np.ndarray) -> bool:
    """Whether ``actual`` is within ``close``'s tolerance of one of ``values`` (M,)."""
    values = np.asarray(values, np.float64)
    return bool(np.any(np.abs(float(actual) - values) <= TOLERANCE * np.abs(values) + 1e-7))


@functools.cache
def _subsets(n: int, size: int) -> np.ndarray:
    """Every subset of ``size`` of range(n), one per row (C(n, size), size)."""
    if math.comb(n, size) > MAX_SUBSETS:
        raise ValueError(f"C({n}, {size}) partial batches are too many to enumerate")
    return np.array(list(itertools.combinations(range(n), size)), dtype=np.intp).reshape(-1, size)


def subset_sums(values: np.ndarray, size: int) -> np.ndarray:
    """``Σ_{i∈P} values_i`` for every subset P of ``size`` entries of ``values`` (N,): (C(N, size),)."""
    return np.asarray(values, np.float64)[_subsets(len(values), size)].sum(axis=1)


def epoch0_mistakes(problem: Separable, rates: np.ndarray, batch_size: int) -> dict[str, np.ndarray]:
    """With ``r = N mod batch_size > 0``: what known mistakes report as ``losses[0]``, for every possible partial
    batch P of epoch 0 (K = ceil(N / B) batches, ``ℓ_i`` sample i's loss at W0, ``ℓ'_i(b)`` its loss after one step
    in a batch of b):

    - ``losses_unweighted``, the plain mean of the K batch means: ``(Σ_{i∉P} ℓ_i / B + Σ_{i∈P} ℓ_i / r) / K``;
    - ``losses_after_epoch``, the mean loss at the end of epoch 0: ``(Σ_{i∉P} ℓ'_i(B) + Σ_{i∈P} ℓ'_i(r)) / N``;
    - ``losses_not_mean``, the sum of the K batch means: K times the mean loss, or K times the plain mean above.

    Each value is an array over the C(N, r) partial batches (``MAX_SUBSETS`` at most)."""
    n, r = problem.n, problem.n % batch_size
    if r == 0:
        raise ValueError("with batch_size dividing N the losses are fixed: see expected_losses")
    batches = math.ceil(n / batch_size)
    start = start_losses(problem)
    unweighted = (start.sum() / batch_size + subset_sums(start, r) * (1 / r - 1 / batch_size)) / batches
    _, after = paths(problem, rates[:1], np.array([[batch_size], [r]], dtype=np.float64))
    after_full, after_partial = after[0, 1], after[1, 1]
    after_epoch = (after_full.sum() + subset_sums(after_partial - after_full, r)) / n
    return {"losses_unweighted": unweighted, "losses_after_epoch": after_epoch,
            "losses_not_mean": batches * np.append(unweighted, start.mean())}


def index_order_paths(n: int, batch_size: int, epochs: int) -> np.ndarray:
    """Each sample's batch sizes (N, E) when every epoch takes the samples in index order: the last
    ``N mod batch_size`` samples are the partial batch every time, the others are never in it."""
    sizes = np.full((n, epochs), float(batch_size))
    sizes[n - n % batch_size:] = n % batch_size
    return sizes


def in_index_order(sizes: np.ndarray, matches: np.ndarray, batch_size: int) -> bool:
    """Whether the run shows the samples were never shuffled, from ``matching_paths``' ``sizes`` (K, E) and
    ``matches`` (K, N): every column matches exactly one path, and that path is its ``index_order_paths`` row.

    A column that matches one path only took that path (the true one always matches), so then the last r samples
    were in the partial batch in every epoch. A train that shuffles shows this with probability ``C(N, r)^-E``
    (a new permutation every epoch) or ``C(N, r)^-1`` (one permutation reused). A column matching several paths
    proves nothing, and with r = 0 there is nothing to see: both give False."""
    n, epochs = matches.shape[1], sizes.shape[1]
    if n % batch_size == 0 or not np.all(matches.sum(axis=0) == 1):
        return False
    return bool(np.array_equal(sizes[matches.argmax(axis=0)], index_order_paths(n, batch_size, epochs)))
