"""Finite-difference gradient checks: the numeric gradient, the relative error, and kink/tie-free inputs."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks.gradient import (
    MAX_REL_ERROR,
    apart,
    away_from_zero,
    gradient_mismatch,
    numeric_gradient,
    objective,
    rel_error,
    upstream,
)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_numeric_gradient_of_a_weighted_product(rng):
    W, X, G = rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), upstream(rng, (5, 3))
    numeric = numeric_gradient(lambda W_: objective(X @ W_.T, G), W)
    assert rel_error(G.T @ X, numeric) < 1e-8


def test_numeric_gradient_leaves_its_input_alone(rng):
    x = rng.normal(size=3)
    before = x.copy()
    numeric_gradient(lambda v: float(np.sum(v**3)), x)
    np.testing.assert_array_equal(x, before)


def test_objective_sums_over_several_outputs():
    assert objective([np.ones(2), 2 * np.ones(2)], (np.array([1.0, 2.0]), np.array([3.0, 0.0]))) == 9.0


def test_rel_error_is_cs231n_style_with_a_scale_floor():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0
    assert rel_error(np.array([1.0]), np.array([-1.0])) == pytest.approx(1.0)
    # noise on an element near zero stays small next to the gradient's scale
    assert rel_error(np.array([1.0, 1e-12]), np.array([1.0, 2e-12])) < 1e-8


def test_upstream_is_never_all_ones(rng):
    assert not np.allclose(upstream(rng, (4, 3)), 1.0)


def test_inputs_stay_off_kinks_and_ties(rng):
    S = away_from_zero(rng, (50, 20), margin=0.1)
    X1, X2 = apart(rng, (50, 20), gap=0.1)
    assert np.min(np.abs(S)) >= 0.1 and np.min(np.abs(X1 - X2)) >= 0.1 - 1e-12
    assert (S > 0).any() and (S < 0).any()


def test_a_centred_difference_at_the_relu_kink_gives_one_half():
    """Why the numeric check keeps away from kinks: at S = 0 it returns neither rule."""
    numeric = numeric_gradient(lambda s: float(np.sum(np.maximum(s, 0.0))), np.zeros(1))
    assert numeric[0] == pytest.approx(0.5)


def test_gradient_mismatch_passes_a_right_answer_and_names_a_wrong_part(rng):
    numeric = [rng.normal(size=(2, 3)), rng.normal(size=3)]
    assert gradient_mismatch([numeric[0] * (1 + 1e-9), numeric[1]], numeric, names=["dW", "db"]) is None
    found = gradient_mismatch([numeric[0], 2 * numeric[1]], numeric, names=["dW", "db"])
    assert found.name == "db" and found.error > MAX_REL_ERROR
    assert "finite-difference" in found.message


def test_gradient_mismatch_checks_shapes_first_and_allows_float32(rng):
    numeric = rng.normal(size=(2, 3))
    assert "shape (3, 2)" in gradient_mismatch(numeric.T, numeric, name="dW").message
    assert gradient_mismatch(numeric.astype(np.float32), numeric, name="dW") is None


def test_gradient_mismatch_takes_nested_lists_and_refuses_nan(rng):
    numeric = [rng.normal(size=(2, 3)), rng.normal(size=3)]
    assert gradient_mismatch([numeric[0].tolist(), numeric[1]], numeric) is None
    found = gradient_mismatch([numeric[0], np.full(3, np.nan)], numeric, names=["dW", "db"])
    assert found.name == "db" and found.problem == "nonfinite"
