"""Accuracy after training: held-out tasks, a trusted MLP forward, and partial credit between a floor and a threshold.

A task says how a check draws its data and seeds from the check's generator, so the calibration of a
threshold (over many generators) and the graded run (one generator) follow the same protocol.
Thresholds are calibrated from the reference so that a correct submission falls below them with
probability < 1e-3 (each task's numbers and how they were set sit beside its constants in the suites).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from grader.checks.base import Verdict
from grader.data import train_test_split

Array = np.ndarray
SEED_BOUND = 2**31  # seeds drawn for data, split and training stay valid for numpy and torch alike
SPLITS_KEPT = 32  # a course's accuracy checks draw a handful of distinct splits, the same for every student


@dataclass(frozen=True)
class AccuracyTask:
    """A held-out accuracy task. ``make_data(seed) -> (X, y)``; the split is stratified and seeded."""

    name: str  # shown to students, e.g. "3-class spirals"
    make_data: Callable[[int], tuple[Array, Array]]
    test_fraction: float
    floor: float  # at or below: no credit (what a model that learnt nothing useful reaches)
    threshold: float  # at or above: full credit (calibrated, see the suite)

    def __post_init__(self) -> None:
        if not 0.0 <= self.floor < self.threshold <= 1.0:
            raise ValueError(f"task {self.name}: need 0 <= floor < threshold <= 1")


@dataclass(frozen=True)
class Draw:
    """One draw of a task: the training and held-out parts, and a seed for training."""

    X_train: Array
    X_test: Array
    y_train: Array
    y_test: Array
    train_seed: int
    init_seed: int


def draw(task: AccuracyTask, rng: np.random.Generator) -> Draw:
    """Data seed, split seed, training seed and initialisation seed, in this order, from ``rng``. The arrays are
    the caller's own, disguised (``disguise``); the data and its split are made once per process for each task
    and seeds."""
    data_seed, split_seed, train_seed, init_seed = (int(s) for s in rng.integers(0, SEED_BOUND, size=4))
    X_train, X_test, y_train, y_test = disguise(_split(task, data_seed, split_seed), data_seed)
    return Draw(X_train, X_test, y_train, y_test, train_seed, init_seed)


def disguise(parts: Sequence[Array], seed: int) -> tuple[Array, Array, Array, Array]:
    """Copies of ``(X_train, X_test, y_train, y_test)`` with the features shuffled and their signs flipped, and
    the classes renamed, at random from ``seed`` (a check's seed, the course secret's for a hidden one).

    A data set such as the digits is public, and so are its held-out points: weights trained on all of it
    elsewhere would score on a held-out part without any training. In the disguise they do not fit. A model
    trained on the disguised data does as well as on the original: standardising each feature, an initialiser
    that draws weights independently and symmetrically about zero, and gradient descent are all unchanged by
    renaming, reordering or negating features and classes, so the accuracy thresholds calibrated on the original
    data stand (``tests/test_accuracy_disguise.py`` shows the reference reaching every hw3 task's threshold on
    disguised draws).
    """
    X_train, X_test, y_train, y_test = parts
    rng = np.random.default_rng([seed, 0x5EC12E7])  # apart from the draw's own seeds
    columns = rng.permutation(X_train.shape[1])
    signs = rng.choice(np.array([-1.0, 1.0]), size=X_train.shape[1])
    labels = rng.permutation(int(max(y_train.max(), y_test.max())) + 1).astype(y_train.dtype)
    return X_train[:, columns] * signs, X_test[:, columns] * signs, labels[y_train], labels[y_test]


@functools.lru_cache(maxsize=SPLITS_KEPT)
def _split(task: AccuracyTask, data_seed: int, split_seed: int) -> tuple[Array, Array, Array, Array]:
    """``task``'s data for ``data_seed`` split by ``split_seed``: read-only, so no holder can change what the next
    draw gets."""
    X, y = task.make_data(data_seed)
    parts = train_test_split(X, y, task.test_fraction, split_seed)
    for part in parts:
        part.flags.writeable = False
    return parts


def mlp_logits(layers: Sequence[Sequence[Array]], X: Array) -> Array:
    """Logits of the plain MLP ``Linear -> ReLU -> ... -> Linear`` (no dropout: evaluation), ``W`` (out, in).

    The grader's own forward, used to evaluate weights a submission produced; float64 throughout.
    """
    Z = np.asarray(X, dtype=np.float64)
    for k, (W, b) in enumerate(layers):
        Z = Z @ np.asarray(W, dtype=np.float64).T + np.asarray(b, dtype=np.float64)
        if k < len(layers) - 1:
            Z = np.maximum(Z, 0.0)
    return Z


def credit(accuracy: float, floor: float, threshold: float) -> float:
    """Fraction of the points: 0 at or below ``floor``, 1 at or above ``threshold``, linear between."""
    return float(np.clip((accuracy - floor) / (threshold - floor), 0.0, 1.0))


def accuracy_verdict(accuracy: float, task: AccuracyTask, what: str, *, reveal: bool, hint: str = "") -> Verdict:
    """Judge a held-out accuracy. ``reveal`` (public checks) states the floor and threshold; hidden checks
    state only the student's own accuracy, never what a correct model reaches on the hidden data."""
    if not np.isfinite(accuracy):
        return Verdict.wrong(f"{what}: the held-out accuracy could not be computed", problem="accuracy")
    fraction = credit(accuracy, task.floor, task.threshold)
    got = f"{what}: held-out accuracy {accuracy:.1%} on the {task.name}"
    if fraction == 1.0:
        return Verdict.ok(got)
    if reveal:
        scale = f"full marks from {task.threshold:.0%}, none at or below {task.floor:.0%}"
    else:
        scale = "below what a correct implementation reaches on this data"
    return Verdict.wrong(f"{got}, {scale}" + (f"; {hint}" if hint else ""), fraction=fraction, problem="accuracy")
