"""The grader's numpy training of build_mlp's initial weights (``reference/mlp_lab_np.py``) against the reference
``train``: the same batches, and the same weights and losses up to rounding when train runs in float64."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from grader.course.assignments import REPO_ROOT, get_assignment
from grader.course.lab.models import default_init, plain_spec
from grader.data import make_blobs
from reference.mlp_lab_np import fit_layers, sgd_train, torch_randperm

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("seed", [0, 7, 2**31 - 1, 2**40 + 9])  # torch keeps a seed's low 32 bits
@pytest.mark.parametrize("n", [1, 2, 52, 450])
def test_torch_randperm_gives_torch_s_permutations_epoch_after_epoch(seed, n):
    generator = torch.Generator().manual_seed(seed)
    ours = torch_randperm(n, seed)
    for _ in range(3):
        np.testing.assert_array_equal(next(ours), torch.randperm(n, generator=generator).numpy())


def test_torch_randperm_refuses_a_length_torch_permutes_otherwise():
    with pytest.raises(ValueError, match="reproduces torch"):
        next(torch_randperm(2**32 // 20, 0))


def reference_train_in_float64(sizes, weights, X, y, config):
    """The reference ``train`` (torch.optim's SGD and StepLR) on a float64 copy of the grader's model."""
    import reference.mlp_lab as ref
    from grader.worker.lab_procedures import linear_weights, sequential

    model = sequential(plain_spec(sizes), weights).double()
    losses = ref.train(model, torch.as_tensor(X.astype(np.float32).astype(np.float64)), torch.as_tensor(y), **config)
    return linear_weights(model), losses


@pytest.mark.parametrize(("hidden", "config"), [
    ([16], {"epochs": 12, "lr": 0.3, "batch_size": 32, "step_size": 5, "gamma": 0.1, "seed": 3}),  # 90 = 2·32 + 26
    ([16, 8], {"epochs": 6, "lr": 0.1, "batch_size": 8, "weight_decay": 1e-2, "seed": 2**33 + 1}),
    ([], {"epochs": 4, "lr": 0.05, "batch_size": 90, "weight_decay": 0.1, "step_size": 1, "gamma": 0.5}),
    ([8], {"epochs": 3, "lr": 0.2, "batch_size": 1, "seed": 11}),
])
def test_the_numpy_training_is_train_in_float64(hidden, config):
    X, y = make_blobs(n_per_class=30, n_classes=3, n_features=2, spread=0.5, seed=1)
    sizes = [2, *hidden, 3]
    weights = default_init(sizes, np.random.default_rng(5))
    expected, expected_losses = reference_train_in_float64(sizes, weights, X, y, config)
    trained, losses = sgd_train(plain_spec(sizes), weights, X, y, **config)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-10)
    for ours, theirs in zip(trained, expected, strict=True):
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert not np.allclose(trained[0][0], weights[0][0])  # it trained


def test_fit_layers_returns_the_trained_weights_in_float64():
    X, y = make_blobs(n_per_class=10, n_classes=3, n_features=2, spread=0.5, seed=1)
    weights = default_init([2, 4, 3], np.random.default_rng(0))
    config = {"epochs": 2, "lr": 0.1, "batch_size": 8, "seed": 4}
    trained = fit_layers(plain_spec([2, 4, 3]), weights, X, y, **config)
    assert [[a.dtype for a in pair] for pair in trained] == [[np.float64] * 2] * 2
    for pair, expected in zip(trained, sgd_train(plain_spec([2, 4, 3]), weights, X, y, **config)[0], strict=True):
        for a, b in zip(pair, expected, strict=True):
            np.testing.assert_array_equal(a, b)
    assert weights[0][0].dtype == np.float32 and not np.array_equal(weights[0][0], trained[0][0])  # not in place


@pytest.mark.parametrize(("layers", "message"), [
    (plain_spec([2, 4, 3], p_dropout=0.5), "not \\['dropout'"),
    ([["linear", 2, 4, False], ["relu"], ["linear", 4, 3]], "not \\['linear', 2, 4, False\\]"),
    (plain_spec([2, 5, 3]), "shapes"),
])
def test_fit_layers_refuses_a_model_it_does_not_train(layers, message):
    weights = default_init([2, 4, 3], np.random.default_rng(0))
    with pytest.raises(ValueError, match=message):
        fit_layers(layers, weights, np.zeros((4, 2)), np.zeros(4, np.int64), epochs=1, lr=0.1, batch_size=2)


def test_the_lab_s_answers_come_from_a_module_that_never_imports_torch():
    assert get_assignment("lab").answers_module == "reference.mlp_lab_np"
    script = (
        "import sys, numpy as np\n"
        "from grader.checks.references import LiveReferences\n"
        "from grader.course.lab.models import default_init, plain_spec\n"
        "w = default_init([2, 8, 3], np.random.default_rng(0))\n"
        "X = np.linspace(-1, 1, 40).reshape(20, 2); y = np.arange(20) % 3\n"
        "out = LiveReferences()('lab', 'fit_layers', (plain_spec([2, 8, 3]), w, X, y), "
        "{'epochs': 2, 'lr': 0.1, 'batch_size': 8, 'seed': 0})\n"
        "assert len(out) == 2 and np.shape(out[0][0]) == (8, 2)\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    assert done.stdout.split() == ["False"]
