"""The course's data sets: generated spirals and blobs, the shipped 8x8 digits, and a seeded split.

numpy only: the grader and the sandboxed workers both import this module, and so does the lab notebook.
Every generator takes a seed and draws from ``np.random.default_rng(seed)``, so a seed names one data set.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

DIGITS_FILE = Path(__file__).resolve().parent / "datasets" / "digits.npz"


def make_spirals(
    n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The classic CS231n spiral: ``n_classes`` interleaved arms in the plane.

    Arm ``j`` has radius ``r = linspace(0, 1, n_per_class)`` and angle
    ``theta = linspace(4j, 4(j+1), n_per_class) + noise * N(0, 1)``; a point is ``(r sin theta, r cos theta)``.
    Returns ``X`` float64 ``(n_per_class * n_classes, 2)`` and ``y`` int64 ``(n_per_class * n_classes,)``,
    grouped by class (class 0 first); shuffle or split before training on minibatches.
    """
    _check_counts(n_per_class, n_classes)
    rng = np.random.default_rng(seed)
    X = np.empty((n_per_class * n_classes, 2))
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    r = np.linspace(0.0, 1.0, n_per_class)
    for j in range(n_classes):
        theta = np.linspace(4.0 * j, 4.0 * (j + 1), n_per_class) + noise * rng.standard_normal(n_per_class)
        X[j * n_per_class : (j + 1) * n_per_class] = np.column_stack([r * np.sin(theta), r * np.cos(theta)])
    return X, y


def make_blobs(
    n_per_class: int = 100, n_classes: int = 3, n_features: int = 2, spread: float = 1.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs: class ``j`` is ``c_j + spread * N(0, I)``, centres ``c_j ~ U(-5, 5)^n_features``.

    Returns ``X`` float64 ``(n_per_class * n_classes, n_features)`` and ``y`` int64, grouped by class.
    """
    _check_counts(n_per_class, n_classes)
    if n_features < 1:
        raise ValueError(f"n_features must be at least 1, got {n_features}")
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-5.0, 5.0, size=(n_classes, n_features))
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    X = centres[y] + spread * rng.standard_normal((y.size, n_features))
    return X, y


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The UCI 8x8 handwritten digits (CC BY 4.0; see ``datasets/DIGITS_LICENSE.md``), shipped with the grader.

    Returns ``X`` float64 ``(1797, 64)`` of pixel counts 0..16 (row-major 8x8 images, not scaled)
    and ``y`` int64 ``(1797,)`` with labels 0..9. Fresh arrays on every call.
    """
    if not DIGITS_FILE.is_file():
        raise FileNotFoundError(f"{DIGITS_FILE} is missing: reinstall the grader package (it ships the digits file)")
    with np.load(DIGITS_FILE, allow_pickle=False) as f:
        return f["pixels"].astype(np.float64), f["labels"].astype(np.int64)


def digits(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``load_digits()`` as a data maker of an accuracy task, which passes a seed: the same set for every seed
    (only the task's split and training seeds vary)."""
    return load_digits()


def train_test_split(
    X: np.ndarray, y: np.ndarray, test_fraction: float = 0.25, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stratified, seeded split: ``round(test_fraction * n_c)`` samples of each class ``c`` go to the test set.

    Both parts come back shuffled (classes mixed). Returns ``(X_train, X_test, y_train, y_test)``;
    the inputs are not modified.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} labels: they must match")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be strictly between 0 and 1, got {test_fraction}")
    rng = np.random.default_rng(seed)
    train_parts, test_parts = [], []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        n_test = int(round(test_fraction * members.size))
        test_parts.append(members[:n_test])
        train_parts.append(members[n_test:])
    train_idx = rng.permutation(np.concatenate(train_parts))
    test_idx = rng.permutation(np.concatenate(test_parts))
    return X[train_idx], X[test_idx], y[train_idx], y[test_idx]


def _check_counts(n_per_class: int, n_classes: int) -> None:
    if n_per_class < 1 or n_classes < 1:
        raise ValueError(f"need at least one class and one point per class, got {n_classes=} and {n_per_class=}")
