"""hw1 reference (gradient descent) against closed forms. Stubs vs SPEC: tests/test_parity.py."""

from __future__ import annotations

import numpy as np
import pytest

import reference.gradient_descent_np as ref


@pytest.fixture
def problem():
    """A well-conditioned least-squares problem: X (40, 3), Y (40,), w (3,)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    Y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=40)
    return X, Y, rng.normal(size=3)


def test_gd_step_is_w_minus_lr_grad():
    w, g = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    np.testing.assert_array_equal(ref.gd_step(w, g, 0.1), [0.95, 2.1])


def test_loss_is_half_squared_error_and_dataset_loss_is_the_mean(problem):
    X, Y, w = problem
    assert ref.linear_regression_loss(np.array([1.0, 2.0]), 1.0, np.array([3.0, 4.0])) == 0.5 * 10.0**2
    expected = 0.5 * np.mean((X @ w - Y) ** 2)
    assert ref.dataset_loss(ref.linear_regression_loss, X, Y, w) == pytest.approx(expected, rel=1e-12)


def test_grad_matches_central_difference_of_dataset_loss(problem):
    X, Y, w = problem
    eps = 1e-6
    numeric = np.empty_like(w)
    for j in range(len(w)):
        step = np.zeros_like(w)
        step[j] = eps
        plus = ref.dataset_loss(ref.linear_regression_loss, X, Y, w + step)
        minus = ref.dataset_loss(ref.linear_regression_loss, X, Y, w - step)
        numeric[j] = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(ref.linear_regression_grad(X, Y, w), numeric, rtol=1e-7, atol=1e-9)


def test_batch_gd_converges_to_least_squares(problem):
    X, Y, w0 = problem
    w, losses = ref.batch_gd(ref.linear_regression_grad, w0, X, Y, lr=0.3, steps=300)
    w_star = np.linalg.lstsq(X, Y, rcond=None)[0]
    np.testing.assert_allclose(w, w_star, atol=1e-8)
    assert np.all(np.diff(losses) <= 1e-15)  # a convex quadratic with a small step never goes up


def test_batch_gd_losses_are_taken_before_each_step(problem):
    X, Y, w0 = problem
    w0_before = w0.copy()
    steps = 5
    w, losses = ref.batch_gd(ref.linear_regression_grad, w0, X, Y, lr=0.1, steps=steps)
    assert len(losses) == steps
    w_t = w0.copy()
    for t in range(steps):
        assert losses[t] == pytest.approx(ref.dataset_loss(ref.linear_regression_loss, X, Y, w_t), rel=1e-12)
        w_t = w_t - 0.1 * ref.linear_regression_grad(X, Y, w_t)
    np.testing.assert_allclose(w, w_t, rtol=1e-12)
    np.testing.assert_array_equal(w0, w0_before)


def test_sgd_is_reproducible_and_steps_on_one_sample_at_a_time(problem):
    X, Y, w0 = problem
    X_before, w0_before = X.copy(), w0.copy()
    seen = []

    def grad_fn(Xb, Yb, w):
        seen.append((Xb.shape, Yb.shape))
        return ref.linear_regression_grad(Xb, Yb, w)

    w = ref.sgd(grad_fn, w0, X, Y, 0.05, 30, np.random.default_rng(7))
    assert seen == [((1, 3), (1,))] * 30

    draws, w_expected = np.random.default_rng(7), w0.copy()
    for _ in range(30):
        k = draws.integers(0, len(X))
        w_expected = w_expected - 0.05 * ref.linear_regression_grad(X[k : k + 1], Y[k : k + 1], w_expected)
    np.testing.assert_array_equal(w, w_expected)
    np.testing.assert_array_equal(ref.sgd(grad_fn, w0, X, Y, 0.05, 30, np.random.default_rng(7)), w)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(w0, w0_before)


@pytest.mark.parametrize(
    ("name", "make_args"),
    [
        ("gd_step", lambda X, Y, w: (w, X[0], 0.1)),
        ("dataset_loss", lambda X, Y, w: (ref.linear_regression_loss, X, Y, w)),
        ("linear_regression_loss", lambda X, Y, w: (X[0], Y[0], w)),
        ("linear_regression_grad", lambda X, Y, w: (X, Y, w)),
        ("batch_gd", lambda X, Y, w: (ref.linear_regression_grad, w, X, Y, 0.1, 3)),
        ("sgd", lambda X, Y, w: (ref.linear_regression_grad, w, X, Y, 0.1, 3, np.random.default_rng(0))),
    ],
)
def test_functions_leave_inputs_alone_and_return_new_arrays(name, make_args, problem):
    args = make_args(*problem)
    arrays = [a for a in args if isinstance(a, np.ndarray)]
    before = [a.copy() for a in arrays]
    out = getattr(ref, name)(*args)
    for old, new in zip(before, arrays, strict=True):
        np.testing.assert_array_equal(old, new)
    outputs = [o for o in (out if isinstance(out, tuple) else (out,)) if isinstance(o, np.ndarray)]
    assert not any(np.shares_memory(o, a) for o in outputs for a in arrays)
