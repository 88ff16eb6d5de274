"""The lab: both notebooks' graded cells against reference/mlp_lab.py, and the reference's structure rules."""

from __future__ import annotations

import inspect
from pathlib import Path

import nbformat
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import reference.mlp_lab as ref  # noqa: E402
from grader.course.assignments import REPO_ROOT, get_assignment  # noqa: E402

LAB = get_assignment("lab")
SOLVED = REPO_ROOT / "reference" / "mlp_lab_solved.ipynb"
NOTEBOOKS = {"student": LAB.stub_path, "solved": SOLVED}
STUB_ARGS = {
    "build_mlp": lambda: (2, [4], 3),
    "train": lambda: (torch.nn.Linear(2, 3), torch.zeros(4, 2), torch.zeros(4, dtype=torch.int64)),
    "predict": lambda: (torch.nn.Linear(2, 3), torch.zeros(4, 2)),
}
STUB_KWARGS = {"train": {"epochs": 1, "lr": 0.1, "batch_size": 2}}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def graded_cells(path: Path) -> list:
    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code" and "graded" in c.metadata.get("tags", [])]


def run_graded_cells(path: Path) -> dict:
    """Execute only the graded cells, in order, in a fresh namespace (as the grader does)."""
    namespace: dict = {"__name__": "graded_lab"}
    for cell in graded_cells(path):
        exec(compile(cell.source, f"{path.name}:{cell.get('id', '?')}", "exec", dont_inherit=True), namespace)
    return namespace


def functions_in(namespace: dict) -> dict:
    return {name: value for name, value in namespace.items() if inspect.isfunction(value)}


@pytest.mark.parametrize("which", NOTEBOOKS)
def test_notebook_is_valid_nbformat_v4(which):
    nb = nbformat.read(NOTEBOOKS[which], as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4


@pytest.mark.parametrize("which", NOTEBOOKS)
def test_graded_cells_alone_define_exactly_the_lab_targets(which):
    assert set(functions_in(run_graded_cells(NOTEBOOKS[which]))) == set(LAB.targets)


@pytest.mark.parametrize("name", LAB.targets)
def test_student_stubs_raise_not_implemented_naming_the_task(name):
    stub = run_graded_cells(LAB.stub_path)[name]
    with pytest.raises(NotImplementedError, match=f"lab.{name}"):
        stub(*STUB_ARGS[name](), **STUB_KWARGS.get(name, {}))


@pytest.mark.parametrize("name", LAB.targets)
def test_stub_and_solved_functions_have_the_reference_signature_and_docstring(name):
    expected = getattr(ref, name)
    for path in NOTEBOOKS.values():
        function = run_graded_cells(path)[name]
        assert inspect.signature(function) == inspect.signature(expected), path.name
        assert inspect.getdoc(function) == inspect.getdoc(expected), path.name


@pytest.mark.parametrize("name", LAB.targets)
def test_solved_notebook_holds_the_reference_code_verbatim(name):
    sources = [c.source for c in graded_cells(SOLVED)]
    assert inspect.getsource(getattr(ref, name)).strip() in sources


def test_notebooks_differ_only_in_the_graded_function_bodies():
    student, solved = (nbformat.read(p, as_version=4).cells for p in (LAB.stub_path, SOLVED))
    assert [c.get("id") for c in student] == [c.get("id") for c in solved]
    for a, b in zip(student, solved, strict=True):
        if a.source != b.source:
            assert "graded" in a.metadata.get("tags", []) and "NotImplementedError" in a.source


def test_exploration_cells_use_the_shared_data_module():
    sources = "\n".join(c.source for c in nbformat.read(LAB.stub_path, as_version=4).cells)
    assert "from grader.data import make_spirals, train_test_split" in sources


@pytest.mark.parametrize("hidden", [[], [5], [8, 6, 4]])
def test_build_mlp_stacks_linear_relu_dropout_blocks_then_a_linear(hidden):
    model = ref.build_mlp(3, hidden, 4, p_dropout=0.25)
    kinds = [type(m) for m in model.children()]
    assert kinds == [torch.nn.Linear, torch.nn.ReLU, torch.nn.Dropout] * len(hidden) + [torch.nn.Linear]
    linears = [m for m in model.children() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == list(zip([3, *hidden], [*hidden, 4], strict=True))
    assert all(m.p == 0.25 for m in model.children() if isinstance(m, torch.nn.Dropout))
    assert model(torch.zeros(7, 3)).shape == (7, 4)


@pytest.fixture
def dropout_model():
    torch.manual_seed(0)
    return ref.build_mlp(2, [32, 32], 3, p_dropout=0.5), torch.randn(64, 2)


def test_dropout_is_active_in_train_mode_and_inactive_in_eval_mode(dropout_model):
    model, X = dropout_model
    model.train()
    assert not torch.equal(model(X), model(X))
    model.eval()
    without_dropout = torch.nn.Sequential(*[m for m in model.children() if not isinstance(m, torch.nn.Dropout)])
    torch.testing.assert_close(model(X), without_dropout(X), rtol=0, atol=0)


def test_predict_works_on_a_model_left_in_train_mode(dropout_model):
    model, X = dropout_model
    model.eval()
    expected = model(X).argmax(dim=1)
    model.train()
    first = ref.predict(model, X)
    assert not model.training  # eval mode is set, and deliberately not restored
    model.train()
    second = ref.predict(model, X)
    assert first.dtype == torch.int64 and first.shape == (64,) and not first.requires_grad
    torch.testing.assert_close(first, expected, rtol=0, atol=0)
    torch.testing.assert_close(second, expected, rtol=0, atol=0)


def fresh_model_and_blobs(seed: int = 0):
    from grader.data import make_blobs

    X, y = make_blobs(n_per_class=30, n_classes=3, n_features=2, spread=0.5, seed=1)
    torch.manual_seed(seed)
    return ref.build_mlp(2, [16], 3), torch.tensor(X, dtype=torch.float32), torch.tensor(y)


def test_train_returns_one_decreasing_mean_loss_per_epoch():
    model, X, y = fresh_model_and_blobs()
    losses = ref.train(model, X, y, epochs=20, lr=0.1, batch_size=16, seed=0)
    assert isinstance(losses, list) and len(losses) == 20 and all(isinstance(v, float) for v in losses)
    assert losses[-1] < 0.5 * losses[0]


def test_train_is_reproducible_for_a_seed_and_shuffles_differently_for_another():
    runs = []
    for seed in (3, 3, 4):
        model, X, y = fresh_model_and_blobs()
        runs.append(ref.train(model, X, y, epochs=3, lr=0.1, batch_size=8, seed=seed))
    assert runs[0] == runs[1] and runs[0] != runs[2]


def test_train_loss_is_the_size_weighted_mean_over_the_epoch():
    model, X, y = fresh_model_and_blobs()
    with torch.no_grad():
        before = torch.nn.functional.cross_entropy(model(X), y).item()
    [loss] = ref.train(model, X, y, epochs=1, lr=0.0, batch_size=7, seed=0)  # lr 0: the model never moves
    assert loss == pytest.approx(before, rel=1e-6)


def test_step_lr_scales_the_rate_every_step_size_epochs():
    final = []
    for epochs in (1, 3):
        model, X, y = fresh_model_and_blobs()
        ref.train(model, X, y, epochs=epochs, lr=0.1, batch_size=8, step_size=1, gamma=0.0, seed=0)
        final.append(np.concatenate([p.detach().numpy().ravel() for p in model.parameters()]))
    np.testing.assert_array_equal(final[0], final[1])  # lr 0 after the first epoch


def test_weight_decay_shrinks_the_weights():
    norms = []
    for decay in (0.0, 0.5):
        model, X, y = fresh_model_and_blobs()
        ref.train(model, X, y, epochs=10, lr=0.1, batch_size=8, weight_decay=decay, seed=0)
        norms.append(sum(p.detach().norm() ** 2 for p in model.parameters()))
    assert norms[1] < norms[0]
