"""grader.data: shapes, dtypes, determinism per seed, the shipped digits, and the stratified split."""

from __future__ import annotations

import numpy as np
import pytest

from grader.data import DIGITS_FILE, load_digits, make_blobs, make_spirals, train_test_split


@pytest.fixture(params=["spirals", "blobs"])
def generate(request):
    if request.param == "spirals":
        return lambda seed: make_spirals(n_per_class=30, n_classes=4, noise=0.2, seed=seed)
    return lambda seed: make_blobs(n_per_class=30, n_classes=4, n_features=3, spread=0.5, seed=seed)


def test_generators_give_float64_features_and_int64_balanced_labels(generate):
    X, y = generate(0)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.shape[0] == 120
    assert y.shape == (120,)
    np.testing.assert_array_equal(np.bincount(y), [30, 30, 30, 30])
    assert np.isfinite(X).all()


def test_generators_are_deterministic_per_seed(generate):
    X0, y0 = generate(7)
    X1, y1 = generate(7)
    X2, _ = generate(8)
    np.testing.assert_array_equal(X0, X1)
    np.testing.assert_array_equal(y0, y1)
    assert not np.array_equal(X0, X2)


def test_spirals_follow_the_classic_formula():
    X, y = make_spirals(n_per_class=50, n_classes=3, noise=0.0, seed=0)
    assert X.shape == (150, 2)
    r = np.linspace(0.0, 1.0, 50)
    np.testing.assert_allclose(np.hypot(X[:50, 0], X[:50, 1]), r, atol=1e-12)
    theta = np.linspace(4.0, 8.0, 50)  # class 1, no noise
    np.testing.assert_allclose(X[50:100], np.column_stack([r * np.sin(theta), r * np.cos(theta)]), atol=1e-12)


def test_spiral_noise_perturbs_the_angle_only():
    X, _ = make_spirals(n_per_class=50, n_classes=3, noise=0.5, seed=3)
    np.testing.assert_allclose(np.hypot(X[:50, 0], X[:50, 1]), np.linspace(0.0, 1.0, 50), atol=1e-12)


def test_blobs_gather_around_one_centre_per_class():
    X, y = make_blobs(n_per_class=500, n_classes=2, n_features=2, spread=0.1, seed=0)
    for label in (0, 1):
        assert X[y == label].std(axis=0).max() < 0.15


@pytest.mark.parametrize("bad", [dict(n_per_class=0), dict(n_classes=0)])
def test_generators_reject_empty_requests(bad):
    with pytest.raises(ValueError, match="at least one"):
        make_spirals(**{"n_per_class": 10, "n_classes": 3, **bad})


def test_digits_ship_with_the_package_and_load_as_1797_images_of_10_classes():
    assert DIGITS_FILE.is_file()
    assert (DIGITS_FILE.parent / "DIGITS_LICENSE.md").is_file()
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    np.testing.assert_array_equal(np.unique(y), np.arange(10))
    assert X.min() == 0 and X.max() == 16
    # the first image of the UCI test set is a 0
    assert y[0] == 0 and X[0, :8].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]


def test_load_digits_returns_fresh_arrays():
    X, _ = load_digits()
    X[:] = -1
    assert load_digits()[0].min() == 0


def test_split_is_stratified_disjoint_complete_and_deterministic():
    y = np.repeat(np.arange(3), 40)
    X = np.column_stack([np.arange(120.0), y])  # row i carries its own index and label
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=0.25, seed=5)
    assert X_train.shape == (90, 2) and X_test.shape == (30, 2)
    np.testing.assert_array_equal(np.bincount(y_test), [10, 10, 10])
    np.testing.assert_array_equal(np.sort(np.concatenate([X_train[:, 0], X_test[:, 0]])), np.arange(120.0))
    np.testing.assert_array_equal(X_train[:, 1], y_train)
    np.testing.assert_array_equal(X_test[:, 1], y_test)
    again = train_test_split(X, y, test_fraction=0.25, seed=5)
    for a, b in zip(again, (X_train, X_test, y_train, y_test), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(train_test_split(X, y, 0.25, seed=6)[1], X_test)


def test_split_mixes_the_classes():
    X, y = make_spirals(n_per_class=40, n_classes=3, noise=0.2, seed=0)
    _, _, y_train, _ = train_test_split(X, y, 0.25, seed=0)
    assert not np.all(np.diff(y_train) >= 0)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_split_rejects_fractions_outside_zero_one(fraction):
    X, y = make_blobs(seed=0)
    with pytest.raises(ValueError, match="test_fraction"):
        train_test_split(X, y, fraction, seed=0)


def test_split_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="must match"):
        train_test_split(np.zeros((5, 2)), np.zeros(4, dtype=np.int64), 0.2, seed=0)
