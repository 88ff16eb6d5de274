"""hw3 references (numpy, and the torch oracle) against closed forms, finite differences and torch's own
schedulers, weight decay, autograd and initialisers. Stubs vs SPEC: tests/test_parity.py."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import reference.practice_np as ref
from grader.checks.statistical import false_failure_bound, normal_findings, uniform_findings
from grader.data import make_blobs, train_test_split
from reference.backprop_np import linear_forward, relu_forward, softmax_cross_entropy_forward


@pytest.fixture(scope="module")
def tref():
    import reference.practice_torch as module  # torch costs seconds: only the tests that compare pay it

    return module


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def central_difference(f, W: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        step = np.zeros_like(W)
        step[idx] = eps
        grad[idx] = (f(W + step) - f(W - step)) / (2 * eps)
    return grad


# --- normalisation ---------------------------------------------------------------------------------


def test_fit_standardizer_gives_the_population_std(tref):
    X = rng().normal(3.0, 2.0, size=(12, 4))
    mean, std = ref.fit_standardizer(X)
    np.testing.assert_allclose(mean, X.sum(axis=0) / 12, rtol=1e-12)
    np.testing.assert_allclose(std, np.sqrt(((X - mean) ** 2).sum(axis=0) / 12), rtol=1e-12)  # ddof=0, not 11
    for ours, torchs in zip((mean, std), tref.fit_standardizer(X), strict=True):
        np.testing.assert_allclose(ours, torchs, rtol=1e-12)


def test_standardize_applies_the_given_statistics_and_eps(tref):
    X = np.column_stack([rng().normal(size=20), np.full(20, 7.0)])  # a constant column has std 0
    mean, std = ref.fit_standardizer(X)
    Z = ref.standardize(X, mean, std)
    assert np.all(np.isfinite(Z)) and np.all(Z[:, 1] == 0.0)
    np.testing.assert_allclose(Z[:, 0].mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z[:, 0].std(), 1.0, rtol=1e-7)
    X_test = rng(1).normal(size=(5, 2))  # test data reuses the training statistics
    np.testing.assert_allclose(ref.standardize(X_test, mean, std, eps=0.5), (X_test - mean) / (std + 0.5))
    np.testing.assert_allclose(tref.standardize(X_test, mean, std, eps=0.5), (X_test - mean) / (std + 0.5))


# --- minibatches -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "batch_size"), [(10, 3), (10, 5), (7, 7), (1, 4), (5, 1)])
def test_minibatches_follow_the_permutation_and_keep_the_last_partial_batch(n, batch_size, tref):
    X, y = np.arange(2.0 * n).reshape(n, 2), np.arange(n)
    batches = list(ref.minibatches(X, y, batch_size, rng(3)))
    order = rng(3).permutation(n)
    assert [len(yb) for _, yb in batches] == [batch_size] * (n // batch_size) + [n % batch_size] * (n % batch_size > 0)
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in batches]), order)  # each sample once, in order
    np.testing.assert_array_equal(np.concatenate([Xb for Xb, _ in batches]), X[order])
    for (Xb, yb), (Xt, yt) in zip(batches, tref.minibatches(X, y, batch_size, rng(3)), strict=True):
        np.testing.assert_array_equal(Xb, Xt)
        np.testing.assert_array_equal(yb, yt)


def test_minibatches_without_shuffle_keep_the_order_and_leave_rng_alone():
    X, y = np.arange(14.0).reshape(7, 2), np.arange(7)
    generator = rng()
    before = copy.deepcopy(generator.bit_generator.state)
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in ref.minibatches(X, y, 3, generator, False)]), y)
    assert generator.bit_generator.state == before


# --- schedules ---------------------------------------------------------------------------------------


def test_schedules_follow_their_closed_forms():
    assert [ref.step_decay(1.0, e) for e in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]
    assert ref.exponential_decay(2.0, 3, 0.5) == 0.25
    assert ref.cosine_decay(0.1, 0, 20, 0.01) == pytest.approx(0.1)
    assert ref.cosine_decay(0.1, 10, 20, 0.01) == pytest.approx(0.055)
    assert ref.cosine_decay(0.1, 20, 20, 0.01) == pytest.approx(0.01)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("step_decay", {"lr0": 0.3}),
        ("step_decay", {"lr0": 0.1, "drop": 0.1, "every": 3}),
        ("exponential_decay", {"lr0": 0.1, "gamma": 0.9}),
        ("cosine_decay", {"lr0": 0.1, "total_epochs": 30}),
        ("cosine_decay", {"lr0": 0.5, "total_epochs": 25, "lr_min": 0.02}),
    ],
)
def test_schedules_match_torch_schedulers(name, kwargs, tref):
    ours = [getattr(ref, name)(epoch=e, **kwargs) for e in range(31)]
    torchs = [getattr(tref, name)(epoch=e, **kwargs) for e in range(31)]
    np.testing.assert_allclose(ours, torchs, rtol=1e-10, atol=1e-15)


# --- regularisation ----------------------------------------------------------------------------------


@pytest.fixture
def weights():
    """Two weight matrices with every entry at least 0.1 away from 0, the kink of |w|."""
    r = rng(5)
    return [r.choice([-1.0, 1.0], size=s) * r.uniform(0.1, 2.0, size=s) for s in ((3, 4), (2, 3))]


def test_penalties_sum_over_weight_matrices(weights, tref):
    assert ref.l1_penalty(weights, 0.3) == pytest.approx(0.3 * sum(np.abs(W).sum() for W in weights))
    assert ref.l2_penalty(weights, 0.3) == pytest.approx(0.15 * sum((W**2).sum() for W in weights))
    assert tref.l1_penalty(weights, 0.3) == pytest.approx(ref.l1_penalty(weights, 0.3))
    assert tref.l2_penalty(weights, 0.3) == pytest.approx(ref.l2_penalty(weights, 0.3))


@pytest.mark.parametrize(
    ("grad", "penalty"),
    [
        (lambda W: ref.l1_grad(W, 0.3), lambda W: ref.l1_penalty([W], 0.3)),
        (lambda W: ref.l2_grad(W, 0.3), lambda W: ref.l2_penalty([W], 0.3)),
        (lambda W: ref.elastic_net_grad(W, 0.3, 0.2), lambda W: ref.l1_penalty([W], 0.3) + ref.l2_penalty([W], 0.2)),
    ],
    ids=["l1", "l2", "elastic"],
)
def test_regulariser_grads_match_central_differences(grad, penalty, weights):
    np.testing.assert_allclose(grad(weights[0]), central_difference(penalty, weights[0]), rtol=1e-6, atol=1e-9)


def test_regulariser_grads_match_torch_weight_decay_and_autograd(weights, tref):
    W = weights[0]
    np.testing.assert_allclose(ref.l2_grad(W, 0.01), tref.l2_grad(W, 0.01), rtol=1e-9)  # SGD(weight_decay=0.01)
    np.testing.assert_allclose(ref.l1_grad(W, 0.3), tref.l1_grad(W, 0.3), rtol=1e-12)
    np.testing.assert_allclose(ref.elastic_net_grad(W, 0.3, 0.2), tref.elastic_net_grad(W, 0.3, 0.2), rtol=1e-12)


def test_l1_grad_is_zero_at_zero(tref):
    W = np.array([[0.0, -2.0], [3.0, 0.0]])
    expected = np.array([[0.0, -0.5], [0.5, 0.0]])
    np.testing.assert_array_equal(ref.l1_grad(W, 0.5), expected)
    np.testing.assert_array_equal(tref.l1_grad(W, 0.5), expected)
    np.testing.assert_array_equal(ref.elastic_net_grad(W, 0.5, 0.0), expected)


# --- dropout -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.0, 0.3, 0.9])
def test_dropout_mask_rule_and_scaling(p, tref):
    X = rng(1).normal(size=(20, 30))
    Y, mask = ref.dropout_forward(X, p, True, rng(2))
    keep = rng(2).random(X.shape) >= p
    np.testing.assert_array_equal(mask, keep / (1 - p))
    np.testing.assert_array_equal(Y, X * mask)
    for ours, torchs in zip((Y, mask), tref.dropout_forward(X, p, True, rng(2)), strict=True):
        np.testing.assert_array_equal(ours, torchs)


def test_dropout_eval_is_the_identity_and_draws_nothing(tref):
    X, generator = rng(1).normal(size=(4, 5)), rng(2)
    before = copy.deepcopy(generator.bit_generator.state)
    for module in (ref, tref):
        Y, mask = module.dropout_forward(X, 0.5, False, generator)
        np.testing.assert_array_equal(Y, X)
        np.testing.assert_array_equal(mask, np.ones_like(X))
        assert not np.shares_memory(Y, X)
    assert generator.bit_generator.state == before


def test_dropout_backward_scales_like_the_forward(tref):
    X, dY = rng(1).normal(size=(2, 6, 5))
    _, mask = ref.dropout_forward(X, 0.4, True, rng(3))
    np.testing.assert_array_equal(ref.dropout_backward(dY, mask), dY * mask)
    np.testing.assert_allclose(tref.dropout_backward(dY, mask), dY * mask, rtol=1e-15)


def test_dropout_rejects_p_of_one():
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        ref.dropout_forward(np.ones((2, 2)), 1.0, True, rng())


# --- initialisation ----------------------------------------------------------------------------------
# 60,000 draws per test. The bounds in grader.checks.statistical are exact inequalities (chi-square tails
# of Laurent & Massart, Hoeffding, the normal tail), each failing a correct sampler with probability at most
# 1e-7; a union bound over a test's findings keeps its false-failure probability below 1e-6 for every seed.
FAN_IN, FAN_OUT = 300, 200


def init_findings(name: str, W: np.ndarray) -> list:
    if name == "xavier_uniform":
        return uniform_findings(W, np.sqrt(6.0 / (FAN_IN + FAN_OUT)))
    return normal_findings(W, np.sqrt(2.0 / FAN_IN))


@pytest.mark.parametrize("name", ["xavier_uniform", "he_normal"])
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_initialisers_have_the_right_shape_and_distribution(name, backend, tref):
    module = ref if backend == "numpy" else tref
    assert getattr(module, name)(5, 3, rng()).shape == (3, 5)  # (fan_out, fan_in), like nn.Linear.weight
    findings = init_findings(name, getattr(module, name)(FAN_IN, FAN_OUT, rng(11)))
    assert false_failure_bound(findings) < 1e-6
    assert all(f.ok for f in findings), [f.describe() for f in findings if not f.ok]


@pytest.mark.parametrize(
    ("name", "wrong"),
    [
        ("he_normal", lambda r: r.normal(0.0, np.sqrt(1.0 / FAN_IN), (FAN_OUT, FAN_IN))),  # Xavier-like 1/fan_in
        ("he_normal", lambda r: r.normal(0.0, np.sqrt(2.0 / FAN_OUT), (FAN_OUT, FAN_IN))),  # fan_out for fan_in
        ("xavier_uniform", lambda r: r.uniform(-1, 1, (FAN_OUT, FAN_IN)) * np.sqrt(6.0 / FAN_IN)),  # fan_in only
        ("xavier_uniform", lambda r: r.normal(0.0, np.sqrt(2.0 / (FAN_IN + FAN_OUT)), (FAN_OUT, FAN_IN))),  # normal
    ],
)
def test_the_initialiser_bounds_reject_known_mistakes(name, wrong):
    assert not all(f.ok for f in init_findings(name, wrong(rng(11))))


# --- the MLP trainer ---------------------------------------------------------------------------------
SMALL = {"hidden": 16, "epochs": 20, "lr": 0.1, "batch_size": 16, "l2": 1e-4, "dropout": 0.1, "lr_decay": 0.95}


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(60, 3, seed=0)
    return train_test_split(X, y, 0.25, seed=0)


def test_train_classifier_learns_blobs_and_is_reproducible(blobs):
    X_train, X_test, y_train, y_test = blobs
    model = ref.train_classifier(X_train, y_train, SMALL, rng(0))
    labels = ref.predict(model, X_test)
    assert labels.dtype == np.int64 and labels.shape == y_test.shape
    assert np.mean(labels == y_test) >= 0.95
    again = ref.train_classifier(X_train, y_train, SMALL, rng(0))
    for (W, b), (W2, b2) in zip(model["params"], again["params"], strict=True):
        np.testing.assert_array_equal(W, W2)
        np.testing.assert_array_equal(b, b2)


@pytest.mark.parametrize(("hidden", "sizes"), [(16, [2, 16, 3]), ([8, 4], [2, 8, 4, 3]), ([], [2, 3])])
def test_model_holds_training_statistics_and_layers_of_the_configured_sizes(hidden, sizes, blobs):
    X_train, _, y_train, _ = blobs
    model = ref.train_classifier(X_train, y_train, {**SMALL, "hidden": hidden, "epochs": 1}, rng(0))
    mean, std = ref.fit_standardizer(X_train)
    np.testing.assert_array_equal(model["mean"], mean)
    np.testing.assert_array_equal(model["std"], std)
    assert [(W.shape, b.shape) for W, b in model["params"]] == [
        ((n_out, n_in), (n_out,)) for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
    ]


def test_full_batch_steps_are_sgd_with_l2_on_weights_only(blobs):
    """He init, standardised inputs, a constant lr without decay, and the L2 gradient added to W, never to b
    (two epochs: the biases start at 0, where an L2 term on them would vanish)."""
    X, _, y, _ = blobs
    config = {**SMALL, "epochs": 2, "batch_size": len(X), "dropout": 0.0, "l2": 0.5, "lr": 0.3, "lr_decay": None}
    model = ref.train_classifier(X, y, config, rng(4))
    draws = rng(4)
    params = [(ref.he_normal(2, 16, draws), np.zeros(16)), (ref.he_normal(16, 3, draws), np.zeros(3))]
    Xs = ref.standardize(X, *ref.fit_standardizer(X))
    for _ in range(2):
        order = draws.permutation(len(X))
        grads = ref._gradients(Xs[order], y[order], params, 0.0, draws)
        params = [(W - 0.3 * (dW + 0.5 * W), b - 0.3 * db) for (W, b), (dW, db) in zip(params, grads, strict=True)]
    for (W, b), (W_expected, b_expected) in zip(model["params"], params, strict=True):
        np.testing.assert_allclose(W, W_expected, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b, b_expected, rtol=1e-12, atol=1e-14)


def test_lr_decay_scales_later_epochs(blobs):
    X, _, y, _ = blobs
    frozen = {**SMALL, "lr_decay": 0.0}  # lr = lr0 · 0^epoch: only epoch 0 moves the weights
    one, three = (ref.train_classifier(X, y, {**frozen, "epochs": e}, rng(0)) for e in (1, 3))
    for (W1, b1), (W3, b3) in zip(one["params"], three["params"], strict=True):
        np.testing.assert_array_equal(W1, W3)
        np.testing.assert_array_equal(b1, b3)


def test_training_gradients_with_dropout_match_central_differences():
    """The hand-made forward/backward with dropout, against the loss under the same seeded masks."""
    r = rng(8)
    X, y = r.normal(size=(6, 4)), np.array([0, 1, 2, 0, 1, 2])
    params = [(r.normal(size=(5, 4)), r.normal(size=5)), (r.normal(size=(3, 5)), r.normal(size=3))]
    p, seed = 0.4, 9

    def loss(params):
        draws, Z = rng(seed), X
        for W, b in params[:-1]:
            Z, _ = ref.dropout_forward(relu_forward(linear_forward(Z, W, b)), p, True, draws)
        return softmax_cross_entropy_forward(linear_forward(Z, *params[-1]), y)

    grads = ref._gradients(X, y, params, p, rng(seed))
    for k, layer_grads in enumerate(grads):
        for which, analytic in enumerate(layer_grads):  # 0: dW, 1: db

            def loss_of(value, k=k, which=which):
                layer = list(params[k])
                layer[which] = value
                return loss([*params[:k], tuple(layer), *params[k + 1 :]])

            numeric = central_difference(loss_of, params[k][which])
            np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


# --- no function modifies its inputs or returns a view of one ------------------------------------------
def _model():
    X, y = make_blobs(10, 2, seed=1)
    return ref.train_classifier(X, y, {**SMALL, "epochs": 2}, rng(0))


CASES = {
    "fit_standardizer": lambda r: (r.normal(size=(6, 3)),),
    "standardize": lambda r: (r.normal(size=(6, 3)), r.normal(size=3), r.uniform(1, 2, size=3)),
    "minibatches": lambda r: (r.normal(size=(6, 3)), np.arange(6), 6, rng(0), False),
    "l1_penalty": lambda r: ([r.normal(size=(2, 3)), r.normal(size=(3, 3))], 0.1),
    "l1_grad": lambda r: (r.normal(size=(2, 3)), 0.1),
    "l2_penalty": lambda r: ([r.normal(size=(2, 3))], 0.1),
    "l2_grad": lambda r: (r.normal(size=(2, 3)), 1.0),
    "elastic_net_grad": lambda r: (r.normal(size=(2, 3)), 0.1, 0.2),
    "dropout_forward": lambda r: (r.normal(size=(4, 3)), 0.0, True, rng(0)),
    "dropout_backward": lambda r: (r.normal(size=(4, 3)), np.ones((4, 3))),
    "train_classifier": lambda r: (*make_blobs(10, 2, seed=1), {**SMALL, "epochs": 2}, rng(0)),
    "predict": lambda r: (_model(), r.normal(size=(5, 2))),
}


def _arrays(value) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)) or hasattr(value, "__next__"):
        return [a for item in value for a in _arrays(item)]
    return []


@pytest.mark.parametrize("name", CASES)
def test_functions_leave_inputs_alone_and_return_new_arrays(name):
    args = CASES[name](rng(2))
    before = copy.deepcopy(_arrays(args))
    out = getattr(ref, name)(*args)
    outputs = _arrays(out)  # also runs a generator to its end
    for old, new in zip(before, _arrays(args), strict=True):
        np.testing.assert_array_equal(old, new)
    assert not any(np.shares_memory(o, i) for o in outputs for i in _arrays(args))
