"""Worker-side procedures on trusted modules: they report data, and survive odd student code."""

from __future__ import annotations

import types

import numpy as np
import pytest

import reference.practice_np as hw3_ref
from grader.checks.accuracy import mlp_logits
from grader.course.lab.models import flat, mixed_weights, param_shapes, plain_spec
from grader.worker import lab_procedures, procedures


def module(**functions):
    return types.SimpleNamespace(**functions)


def test_collect_minibatches_lists_each_epochs_batches():
    X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    report = procedures.collect_minibatches(hw3_ref, {"X": X, "y": y, "batch_size": 2, "seed": 3, "epochs": 2})
    rng = np.random.default_rng(3)
    for epoch in report["epochs"]:
        order = rng.permutation(5)
        assert [len(b) for b in epoch["X"]] == [2, 2, 1]
        np.testing.assert_array_equal(np.concatenate(epoch["y"]), order)
    assert not report["too_many"]


def test_collect_minibatches_stops_an_endless_generator():
    def endless(X, y, batch_size, rng, shuffle=True):
        while True:
            yield X[:1], y[:1]

    report = procedures.collect_minibatches(module(minibatches=endless),
                                            {"X": np.zeros((3, 1)), "y": np.zeros(3), "batch_size": 1, "seed": 0})
    assert report["too_many"]


def test_collect_minibatches_rejects_what_is_not_a_pair():
    def singles(X, y, batch_size, rng, shuffle=True):
        yield X

    with pytest.raises(TypeError, match="pairs"):
        procedures.collect_minibatches(module(minibatches=singles),
                                       {"X": np.zeros((3, 1)), "y": np.zeros(3), "batch_size": 1, "seed": 0})


def build_payload(in_features=3, hidden=(5,), n_classes=2, **extra):
    sizes = [in_features, *hidden, n_classes]
    return {"in_features": in_features, "hidden_sizes": list(hidden), "n_classes": n_classes, "seed": 1,
            "shapes": param_shapes(sizes), **extra}


def test_lab_build_returns_the_outputs_of_the_model_with_the_given_weights():
    pytest.importorskip("torch")
    import reference.mlp_lab as lab

    rng = np.random.default_rng(0)
    weights = mixed_weights([3, 5, 2], rng)
    X = rng.standard_normal((4, 3)).astype(np.float32)
    report = lab_procedures.build(lab, build_payload(p_dropout=0.5, weights=flat(weights), X=X, X_train=X))
    assert report["shapes_found"] == [[5, 3], [5], [2, 5], [2]]
    for out in report["eval"]:
        np.testing.assert_allclose(out, mlp_logits(weights, X), rtol=1e-5, atol=1e-6)
    assert [out.shape for out in report["train"]] == [(4, 2)] * 2  # two train-mode forwards, two dropout masks
    assert not np.allclose(report["train"][0], report["eval"][0])


def test_lab_build_loads_weights_in_the_order_the_forward_calls_the_layers():
    torch = pytest.importorskip("torch")

    class HeadFirst(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.head, self.body = torch.nn.Linear(4, 4), torch.nn.Linear(4, 4)  # same shapes: order matters

        def forward(self, x):
            return self.head(torch.relu(self.body(x)))

    weights = mixed_weights([4, 4, 4], np.random.default_rng(1))
    X = np.random.default_rng(2).standard_normal((3, 4)).astype(np.float32)
    report = lab_procedures.build(module(build_mlp=lambda *a: HeadFirst()),
                              build_payload(4, (4,), 4, weights=flat(weights), X=X))
    np.testing.assert_allclose(report["eval"][0], mlp_logits(weights, X), rtol=1e-5, atol=1e-6)


def test_lab_build_returns_only_the_shapes_it_found_when_the_weights_do_not_fit():
    torch = pytest.importorskip("torch")
    report = lab_procedures.build(module(build_mlp=lambda *a: torch.nn.Linear(3, 2, bias=False)),
                              build_payload(3, (), 2, weights=[np.zeros((2, 3)), np.zeros(2)], X=np.zeros((1, 3))))
    assert report == {"shapes_found": [[2, 3]]}


def test_lab_build_returns_the_initial_parameters_as_built():
    torch = pytest.importorskip("torch")
    import reference.mlp_lab as lab

    report = lab_procedures.build(lab, build_payload())
    torch.manual_seed(1)
    expected = [p.detach().double().numpy() for p in lab.build_mlp(3, [5], 2).parameters()]
    assert all(np.array_equal(a, b) for a, b in zip(report["initial"], expected, strict=True))
    assert set(report) == {"shapes_found", "initial"}


def test_lab_build_rejects_what_is_not_a_module():
    pytest.importorskip("torch")
    with pytest.raises(TypeError, match="torch.nn.Module"):
        lab_procedures.build(module(build_mlp=lambda *a: [1, 2]), build_payload())


def train_payload(**extra):
    return {"X": np.zeros((4, 2), np.float32), "y": np.zeros(4, dtype=np.int64), "spec": plain_spec([2, 3, 2]),
            "weights": mixed_weights([2, 3, 2], np.random.default_rng(0)), "torch_seed": 5, "kwargs": {}, **extra}


def test_lab_train_reports_what_train_returned_when_it_is_not_losses():
    pytest.importorskip("torch")
    report = lab_procedures.train(module(train=lambda model, X, y, **kw: None), train_payload())
    assert report["losses"] is None and "NoneType" in report["losses_kind"]


def test_lab_train_starts_from_the_given_weights_and_seeds_every_global_generator():
    torch = pytest.importorskip("torch")
    import random

    seen = {}

    def peek(model, X, y, **kwargs):
        seen["weights"] = lab_procedures.linear_weights(model)
        seen["draws"] = (float(torch.rand(())), float(np.random.rand()), random.random())
        return [0.0]

    payload = train_payload()
    report = lab_procedures.train(module(train=peek), payload)
    for (W, b), (W0, b0) in zip(seen["weights"], payload["weights"], strict=True):
        assert np.array_equal(W, W0) and np.array_equal(b, b0)
    first = seen["draws"]
    lab_procedures.train(module(train=peek), train_payload(torch_seed=6))
    assert all(a != b for a, b in zip(first, seen["draws"], strict=True))
    assert [w.shape for w, _ in report["weights"]] == [(3, 2), (2, 3)]


def test_lab_predict_hands_over_the_model_in_train_mode_twice_and_returns_what_predict_returned():
    torch = pytest.importorskip("torch")
    modes = []

    def careless(model, X):
        modes.append(model.training)
        return model(X).argmax(dim=1)

    weights = [[np.eye(2), np.zeros(2)], [np.eye(2), np.zeros(2)]]
    report = lab_procedures.predict(module(predict=careless), {"spec": plain_spec([2, 2, 2], 0.5), "weights": weights,
                                                           "X": np.ones((3, 2), np.float32), "seed": 0})
    assert modes == [True, True]
    assert isinstance(report["labels"], torch.Tensor) and report["labels"].shape == (3,)


def test_plain_spec_puts_relu_and_dropout_after_each_hidden_linear():
    assert plain_spec([2, 4, 3]) == [["linear", 2, 4], ["relu"], ["linear", 4, 3]]
    assert plain_spec([2, 4, 5, 3], 0.5) == [["linear", 2, 4], ["relu"], ["dropout", 0.5], ["linear", 4, 5], ["relu"],
                                             ["dropout", 0.5], ["linear", 5, 3]]
    assert plain_spec([2, 3]) == [["linear", 2, 3]]


def test_sequential_makes_a_linear_without_bias_and_rejects_an_unknown_layer():
    pytest.importorskip("torch")
    assert lab_procedures.sequential([["linear", 2, 3, False]])[0].bias is None
    with pytest.raises(ValueError, match="unknown layer 'conv'"):
        lab_procedures.sequential([["conv", 2, 3]])
