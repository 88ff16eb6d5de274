"""Statistical tests: correct samplers pass, the known wrong ones fail, and the tail bounds hold."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader.checks import statistical as st
from grader.checks.accuracy import AccuracyTask, credit, disguise, draw, mlp_logits
from grader.data import train_test_split


def test_hoeffding_halfwidth_solves_its_bound():
    t = st.hoeffding_halfwidth(1000, -1.0, 1.0, delta=1e-3)
    assert 2 * math.exp(-2 * 1000 * t**2 / 4) == pytest.approx(1e-3)


def test_chi2_interval_holds_a_chi_square_variable_nearly_always():
    n, delta = 50, 0.05
    low, high = st.chi2_interval(n, delta)
    draws = np.random.default_rng(0).chisquare(n, size=20000)
    outside = np.mean((draws <= low) | (draws >= high))
    assert outside < delta  # the bound is conservative: the true rate is well below delta


def test_hoeffding_mean_test_rarely_rejects_a_correct_uniform():
    rng = np.random.default_rng(1)
    delta = 0.05
    rejected = [not st.mean_within(rng.uniform(-1, 1, 200), 0.0, st.hoeffding_halfwidth(200, -1, 1, delta), "m").ok
                for _ in range(2000)]
    assert np.mean(rejected) < delta


@pytest.mark.parametrize("seed", range(20))
def test_correct_samplers_pass(seed):
    rng = np.random.default_rng(seed)
    a, sigma = 0.1, 0.07
    assert all(f.ok for f in st.uniform_findings(rng.uniform(-a, a, 60000), a))
    assert all(f.ok for f in st.normal_findings(rng.normal(0, sigma, 60000), sigma))


@pytest.mark.parametrize("wrong", ["normal_same_variance", "bound_times_sqrt2", "shifted"])
def test_wrong_uniform_samplers_fail(wrong):
    rng, a, n = np.random.default_rng(5), 0.1, 60000
    values = {"normal_same_variance": rng.normal(0, a / math.sqrt(3), n),
              "bound_times_sqrt2": rng.uniform(-a * math.sqrt(2), a * math.sqrt(2), n),
              "shifted": rng.uniform(-a, a, n) * 0.97 + 0.003}[wrong]
    assert not all(f.ok for f in st.uniform_findings(values, a))


@pytest.mark.parametrize("wrong", ["uniform_same_variance", "variance_halved", "std_is_variance"])
def test_wrong_normal_samplers_fail(wrong):
    rng, sigma, n = np.random.default_rng(6), 0.07, 60000
    values = {"uniform_same_variance": rng.uniform(-sigma * math.sqrt(3), sigma * math.sqrt(3), n),
              "variance_halved": rng.normal(0, sigma / math.sqrt(2), n),
              "std_is_variance": rng.normal(0, sigma**2, n)}[wrong]
    assert not all(f.ok for f in st.normal_findings(values, sigma))


def test_a_check_of_all_tests_stays_below_one_in_a_million():
    findings = st.uniform_findings(np.random.default_rng(0).uniform(-1, 1, 1000), 1.0)
    assert st.false_failure_bound(findings) < 1e-6


@pytest.mark.parametrize(("accuracy", "fraction"), [(0.4, 0.0), (0.5, 0.0), (0.7, 0.5), (0.9, 1.0), (0.95, 1.0)])
def test_credit_is_linear_between_floor_and_threshold(accuracy, fraction):
    assert credit(accuracy, 0.5, 0.9) == pytest.approx(fraction)


def test_task_rejects_a_floor_above_its_threshold():
    with pytest.raises(ValueError, match="floor"):
        AccuracyTask("t", lambda seed: (np.zeros((2, 1)), np.zeros(2)), 0.5, floor=0.9, threshold=0.8)


def test_a_draw_is_the_callers_own_and_its_data_is_made_once_per_seed():
    made = []

    def make_data(seed):
        made.append(seed)
        rng = np.random.default_rng(seed)
        return rng.normal(size=(40, 2)), np.arange(40) % 2

    task = AccuracyTask("t", make_data, 0.25, floor=0.5, threshold=0.9)
    first = draw(task, np.random.default_rng(7))
    first.X_train[:] = 0.0  # the caller's own arrays: changing them changes no later draw
    first.y_test[:] = 5
    again = draw(task, np.random.default_rng(7))
    assert made == [made[0]]
    seeds = np.random.default_rng(7).integers(0, 2**31, size=4)
    expected = disguise(train_test_split(*make_data(int(seeds[0])), 0.25, int(seeds[1])), int(seeds[0]))
    assert all(np.array_equal(got, want) for got, want in
               zip((again.X_train, again.X_test, again.y_train, again.y_test), expected, strict=True))
    assert (again.train_seed, again.init_seed) == (int(seeds[2]), int(seeds[3]))
    assert again.X_train.flags.writeable
    draw(task, np.random.default_rng(8))
    assert len(made) == 3  # another seed, other data


def test_mlp_logits_is_linear_relu_linear():
    W1, b1 = np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([0.0, -1.0])
    W2, b2 = np.array([[1.0, 1.0]]), np.array([0.5])
    X = np.array([[1.0, 2.0], [3.0, -1.0]])
    hidden = np.maximum(X @ W1.T + b1, 0)
    np.testing.assert_allclose(mlp_logits([(W1, b1), (W2, b2)], X), hidden @ W2.T + b2)


def test_a_draw_at_the_bound_rounded_up_to_float32_is_still_inside():
    a = math.sqrt(6 / 300)
    at_bound = np.float32(a)
    assert float(at_bound) > a  # float32 rounds this bound up
    assert st.uniform_findings(np.array([at_bound, -at_bound]), a)[0].ok
