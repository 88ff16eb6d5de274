"""Worker-side procedures on trusted modules: they report data, and survive odd student code."""

from __future__ import annotations

import types

import numpy as np
import pytest

import reference.practice_np as hw3_ref
from grader.checks.lab_models import plain_spec, spec_from_report
from grader.worker import procedures


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


def test_lab_build_reports_layers_and_outputs():
    pytest.importorskip("torch")
    import reference.mlp_lab as lab

    X = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    report = procedures.build(lab, {"in_features": 3, "hidden_sizes": [5], "n_classes": 2, "p_dropout": 0.5,
                                    "X": X, "seed": 1})
    assert [layer["kind"] for layer in report["layers"]] == ["Linear", "ReLU", "Dropout", "Linear"]
    assert report["layers"][2]["p"] == 0.5
    np.testing.assert_array_equal(report["eval_output"], report["eval_repeat"])
    assert [w.shape for w, _ in report["weights"]] == [(5, 3), (2, 5)]


def test_lab_build_rejects_what_is_not_a_module():
    pytest.importorskip("torch")
    with pytest.raises(TypeError, match="torch.nn.Module"):
        procedures.build(module(build_mlp=lambda *a: [1, 2]), {"in_features": 2, "hidden_sizes": [], "n_classes": 2,
                                                               "X": np.zeros((1, 2)), "seed": 0})


def test_lab_train_reports_what_train_returned_when_it_is_not_losses():
    pytest.importorskip("torch")
    report = procedures.train(module(train=lambda model, X, y, **kw: None),
                              {"X": np.zeros((4, 2)), "y": np.zeros(4, dtype=np.int64), "spec": plain_spec([2, 3, 2]),
                               "init_seed": 0, "kwargs": {}})
    run, = report["runs"]
    assert run["losses"] is None and "NoneType" in run["losses_kind"]


def test_lab_predict_records_mode_and_gradients():
    pytest.importorskip("torch")

    def careless(model, X):
        return model(X).argmax(dim=1)

    weights = [[np.eye(2), np.zeros(2)], [np.eye(2), np.zeros(2)]]
    report = procedures.predict(module(predict=careless), {"spec": plain_spec([2, 2, 2], 0.5), "weights": weights,
                                                           "X": np.ones((3, 2), np.float32)})
    assert report["container"] == "tensor" and report["labels"].shape == (3,)
    assert report["forward_calls"] == [{"grad": True, "train": True}]


def test_lab_build_does_not_count_an_empty_container_as_a_layer():
    torch = pytest.importorskip("torch")

    class Custom(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden, self.out = torch.nn.ModuleList(), torch.nn.Linear(2, 3)

        def forward(self, x):
            return self.out(x)

    report = procedures.build(module(build_mlp=lambda *a: Custom()), {"in_features": 2, "hidden_sizes": [],
                                                                      "n_classes": 3, "X": np.zeros((1, 2)), "seed": 0})
    assert [layer["kind"] for layer in report["layers"]] == ["Linear"]


def test_plain_spec_puts_relu_and_dropout_after_each_hidden_linear():
    assert plain_spec([2, 4, 3]) == [["linear", 2, 4], ["relu"], ["linear", 4, 3]]
    assert plain_spec([2, 4, 5, 3], 0.5) == [["linear", 2, 4], ["relu"], ["dropout", 0.5], ["linear", 4, 5], ["relu"],
                                             ["dropout", 0.5], ["linear", 5, 3]]
    assert plain_spec([2, 3]) == [["linear", 2, 3]]


@pytest.mark.parametrize("hidden", [[], [5], [6, 4]])
def test_a_built_model_remade_from_its_report_computes_the_same(hidden):
    torch = pytest.importorskip("torch")
    import reference.mlp_lab as lab

    X = np.random.default_rng(1).standard_normal((7, 3)).astype(np.float32)
    report = procedures.build(lab, {"in_features": 3, "hidden_sizes": hidden, "n_classes": 2, "p_dropout": 0.5,
                                    "X": X, "seed": 2})
    remade = procedures.sequential(spec_from_report(report["layers"]), report["weights"]).eval()
    with torch.no_grad():
        np.testing.assert_array_equal(remade(torch.as_tensor(X)).double().numpy(), report["eval_output"])
    assert [type(m).__name__ for m in remade] == [layer["kind"] for layer in report["layers"]]


def test_a_linear_without_bias_is_remade_without_bias():
    torch = pytest.importorskip("torch")
    report = procedures.build(module(build_mlp=lambda *a: torch.nn.Linear(2, 3, bias=False)),
                              {"in_features": 2, "hidden_sizes": [], "n_classes": 3, "X": np.zeros((1, 2)), "seed": 0})
    spec = spec_from_report(report["layers"])
    assert spec == [["linear", 2, 3, False]]
    assert procedures.sequential(spec)[0].bias is None


def test_sequential_rejects_an_unknown_layer_and_a_report_of_one():
    pytest.importorskip("torch")
    with pytest.raises(ValueError, match="unknown layer 'conv'"):
        procedures.sequential([["conv", 2, 3]])
    with pytest.raises(ValueError, match="Tanh"):
        spec_from_report([{"kind": "Tanh"}])
