"""The lab checks' own computations: the separable problem's SGD against torch, the dropout statistics, and the
bounds on the training the grader does itself for build_mlp."""

from __future__ import annotations

import importlib
import types

import numpy as np
import pytest
from inprocess_worker import InProcessWorker
from lab_cells import build_with

from grader.course.lab.dropout import dropout_problem, independence_problem
from grader.course.lab.kinds.training import MAX_INITIAL, initial_weights
from grader.course.lab.separable import draw_separable, epoch_rates, expected_losses, genuine
from grader.suites import load_checks
from grader.suites.runner import run_check
from grader.worker.lab_procedures import linear_weights, sequential
from reference.mlp_lab_np import fit_layers

torch = pytest.importorskip("torch")
lab = importlib.import_module("reference.mlp_lab")
SECRET = "test-secret"


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def separable_run(seed: int, train=lab.train, n=60, batch_size=16, epochs=5, lr=0.5, **kwargs):
    problem = draw_separable(np.random.default_rng(seed), n, 3, 2.0)
    model = sequential(problem.spec(), problem.weights())
    losses = train(model, torch.as_tensor(problem.X()), torch.as_tensor(problem.y), epochs=epochs, lr=lr,
                   batch_size=batch_size, seed=seed, **kwargs)
    return problem, linear_weights(model)[0][0], np.array(losses), epoch_rates(epochs, lr)


@pytest.mark.parametrize("seed", range(5))
def test_the_reference_trains_the_separable_problem_exactly_as_computed(seed):
    problem, W, losses, rates = separable_run(seed, n=48, epochs=12)
    expected = expected_losses(problem, rates, 16)
    np.testing.assert_allclose(losses, expected[""], rtol=1e-5)
    assert losses[-1] < 0.6 * losses[0]
    assert genuine(problem, W, rates, 16)


@pytest.mark.parametrize("seed", range(5))
def test_any_shuffling_gives_a_genuine_run_when_the_last_batch_is_partial(seed):
    problem, W, _, rates = separable_run(seed)
    assert genuine(problem, W, rates, 16)
    rng = np.random.default_rng(seed)

    def numpy_shuffled(model, X, y, *, epochs, lr, batch_size, seed):
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        for _ in range(epochs):
            for batch in torch.from_numpy(rng.permutation(len(X))).split(batch_size):
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(model(X[batch]), y[batch]).backward()
                optimizer.step()
        return [0.0] * epochs

    problem, W, _, rates = separable_run(seed, train=numpy_shuffled)
    assert genuine(problem, W, rates, 16)


@pytest.mark.parametrize("optimizer", [lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
                                       lambda p, lr: torch.optim.Adam(p, lr=lr * 0.1)], ids=["momentum", "adam"])
def test_another_optimiser_is_not_a_genuine_sgd_run(optimizer):
    def other(model, X, y, *, epochs, lr, batch_size, seed):
        opt = optimizer(model.parameters(), lr)
        for _ in range(epochs):
            for batch in torch.randperm(len(X)).split(batch_size):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(X[batch]), y[batch]).backward()
                opt.step()
        return [0.0] * epochs

    problem, W, _, rates = separable_run(0, train=other)
    assert not genuine(problem, W, rates, 16)
    assert not genuine(problem, problem.W0, rates, 16)  # nor is doing nothing


def train_mode_output(p_used: float, p: float, seed: int, rescale: bool = True, H: int = 16, N: int = 256):
    """(train-mode output, units) of a hidden layer of H units all >= 0.5 under nn.Dropout(p_used)."""
    rng = np.random.default_rng(seed)
    h = rng.uniform(0.5, 1.5, (N, H))
    torch.manual_seed(seed)
    out = torch.nn.functional.dropout(torch.as_tensor(h, dtype=torch.float32), p_used, training=True).double()
    out = out.numpy() * ((1 - p_used) if not rescale else 1.0)
    return out, h


@pytest.mark.parametrize("p", [0.5, 0.9])
def test_correct_dropout_passes_the_drop_rate_and_rescale_tests(p):
    for seed in range(200):
        out, h = train_mode_output(p, p, seed)
        assert dropout_problem(out, h, p, hidden=False) == ("", ""), seed


@pytest.mark.parametrize("p_used, rescale, mistake", [(0.5, True, "dropout_p_ignored"),
                                                       (0.9, False, "build_dropout_not_rescaled"),
                                                       (0.0, True, "dropout_p_ignored")])
def test_wrong_dropout_is_named(p_used, rescale, mistake):
    out, h = train_mode_output(p_used, 0.9, 0, rescale)
    problem, named = dropout_problem(out, h, 0.9, hidden=True)
    assert problem and named == mistake
    assert "0.9" not in problem and "±" not in problem  # a hidden check's message tells no number


def test_a_drop_rate_off_with_the_right_rescale_is_caught_statistically():
    out, h = train_mode_output(0.6, 0.5, 3)
    out = np.where(out > 0, h / 0.5, 0.0)  # p's rescale, another drop rate
    problem, named = dropout_problem(out, h, 0.5, hidden=False)
    assert named == "dropout_p_ignored" and "share of dropped units" in problem and "±" in problem
    assert "±" not in dropout_problem(out, h, 0.5, hidden=True)[0]


def good_initial(sizes=(2, 64, 64, 4)):
    return {"initial": [np.zeros(s) for a, b in zip(sizes[:-1], sizes[1:], strict=True) for s in ((b, a), (b,))]}


def test_initial_weights_must_have_the_expected_shapes_be_finite_and_sensible():
    sizes = [2, 64, 64, 4]
    assert initial_weights(good_initial(), sizes) is not None
    assert initial_weights(good_initial((2, 2000, 2000, 4)), sizes) is None
    for bad in (np.nan, np.inf, 2 * MAX_INITIAL):
        report = good_initial()
        report["initial"][2][0, 0] = bad
        assert initial_weights(report, sizes) is None
    assert initial_weights({"initial": "junk"}, sizes) is None and initial_weights(None, sizes) is None


def test_denormal_initial_weights_are_flushed_to_zero():
    report = good_initial()
    report["initial"][0][:] = 1e-40
    start = initial_weights(report, [2, 64, 64, 4])
    assert start[0][0].dtype == np.float32 and not np.any(start[0][0])


def test_the_reference_training_stops_at_its_budget():
    weights = [[np.zeros((4, 2), np.float32), np.zeros(4, np.float32)], [np.zeros((3, 4), np.float32),
                                                                         np.zeros(3, np.float32)]]
    with pytest.raises(TimeoutError):
        fit_layers([["linear", 2, 4], ["relu"], ["linear", 4, 3]], weights, np.zeros((8, 2)), np.zeros(8),
                       budget_seconds=0.0, epochs=1, lr=0.1, batch_size=4)


def trains_check():
    check, = [c for c in load_checks("lab", include_hidden=True) if c.id == "lab.build_mlp.hidden.trains"]
    return check


def test_an_honest_build_of_huge_layers_is_refused_before_the_grader_trains_it():
    asked = []

    def references(assignment, function, args, kwargs):
        asked.append(function)
        raise AssertionError("the grader must not train this model")

    def huge(in_features, hidden_sizes, n_classes, p_dropout=0.0):
        return lab.build_mlp(in_features, [2000, 2000], n_classes, p_dropout)

    verdict = run_check(trains_check(), InProcessWorker(module=types.SimpleNamespace(build_mlp=huge)), references,
                        SECRET)
    assert (verdict.status, verdict.fraction, verdict.mistake) == ("fail", 0.0, "build_wrong_sizes")
    assert asked == []


def test_grader_side_training_over_its_budget_is_an_error_that_says_so():
    def over_budget(assignment, function, args, kwargs):
        raise TimeoutError("training took longer than its budget")

    verdict = run_check(trains_check(), InProcessWorker(module=lab), over_budget, SECRET)
    assert verdict.status == "error" and "budget" in verdict.message


class Watching(InProcessWorker):
    """An in-process worker that keeps every procedure payload it is sent."""

    def __init__(self, module):
        super().__init__(module=module)
        self.payloads = []
        self.log = []  # "procedure" and "restart", in the order they came

    def procedure(self, name, payload, *, timeout):
        self.payloads.append(payload)
        self.log.append("procedure")
        return super().procedure(name, payload, timeout=timeout)

    def restart(self):
        self.log.append("restart")
        super().restart()


def arrays_in(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from arrays_in(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from arrays_in(v)


@pytest.mark.slow
@pytest.mark.parametrize("check_id", ["lab.train.public.spirals", "lab.train.hidden.spirals",
                                      "lab.build_mlp.hidden.trains"])
def test_the_held_out_data_never_goes_to_the_worker(check_id, monkeypatch):
    import grader.course.lab.kinds.training as training
    from grader.checks.references import LiveReferences

    draws = []
    real_draw = training.draw
    monkeypatch.setattr(training, "draw", lambda task, rng: draws.append(real_draw(task, rng)) or draws[-1])
    check, = [c for c in load_checks("lab", include_hidden=True) if c.id == check_id]
    worker = Watching(lab)
    assert run_check(check, worker, LiveReferences(), SECRET).fraction == 1.0
    held_out = {row.astype(np.float32).tobytes() for row in draws[0].X_test}
    sent = [a for payload in worker.payloads for a in arrays_in(payload) if a.ndim == 2 and a.shape[1] == 2]
    assert not any(row.astype(np.float32).tobytes() in held_out for a in sent for row in a)
    trained_on = any(np.array_equal(a, draws[0].X_train.astype(np.float32)) for a in sent)
    assert trained_on == check_id.startswith("lab.train")  # the training part goes, for train only


def test_the_two_reproducibility_runs_are_in_two_processes_the_second_fresh():
    check, = [c for c in load_checks("lab", include_hidden=True) if c.id == "lab.train.hidden.reproducible"]
    worker = Watching(lab)
    assert run_check(check, worker, lambda *a: None, SECRET).fraction == 1.0
    assert worker.log == ["procedure", "restart", "procedure"]
    first, second = worker.payloads
    assert first["kwargs"]["seed"] == second["kwargs"]["seed"] and first["torch_seed"] != second["torch_seed"]


FIXED_MASK_DROPOUT = '''
import torch
from torch import nn


class SameMaskDropout(nn.Module):
    """Right rate, right rescale, but a generator seeded afresh in every call: the same units dropped each time."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = torch.rand(x.shape, generator=torch.Generator().manual_seed(1234)) >= self.p
        return x * keep / (1 - self.p)
'''


@pytest.mark.parametrize(("dropout", "passes"), [("SameMaskDropout", False), ("nn.Dropout", True)])
def test_dropout_must_draw_a_fresh_mask_on_every_forward_pass(dropout: str, passes: bool) -> None:
    from grader.course.lab.kinds.build import dropout_payload, judge_build
    from grader.worker.lab_procedures import build

    module = types.ModuleType("mlp_lab")
    exec(FIXED_MASK_DROPOUT + build_with(dropout), module.__dict__)  # noqa: S102 - the test's own code
    for p in (0.5, 0.9):
        payload = dropout_payload(np.random.default_rng(3), 3, 16, p, 256)
        verdict = judge_build(build(module, payload), payload, "train_dropout", hidden=False)
        assert (verdict.status == "pass") == passes, verdict.message
        if not passes:
            assert "same units are dropped on every forward pass" in verdict.message



FAKE_RANDOMNESS = FIXED_MASK_DROPOUT + '''

class _Masked(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p, self.calls = p, 0

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        self.calls += 1
        return x * self.keep(x).to(x.dtype) / (1 - self.p)


class UnitMaskDropout(_Masked):
    """One random mask of the units, shared by every row of the batch: exactly round(p·H) of them dropped."""

    def keep(self, x):
        keep = torch.ones(x.shape[1], dtype=torch.bool)
        keep[torch.randperm(x.shape[1])[: round(self.p * x.shape[1])]] = False
        return keep.expand_as(x)


class RowMaskDropout(_Masked):
    """One random draw per row: rows dropped or kept whole."""

    def keep(self, x):
        return (torch.rand(x.shape[0], 1) >= self.p).expand_as(x)


class CounterDropout(_Masked):
    """No randomness: entry k of call c is kept when frac(0.618·(k + 1) + 0.37·c) >= p."""

    def keep(self, x):
        k = torch.arange(1, x.numel() + 1, dtype=torch.float64)
        return (torch.frac(k * 0.6180339887498949 + self.calls * 0.37) >= self.p).reshape(x.shape)


class FlippingDropout(_Masked):
    """A random mask, then the units it kept: every pass drops other units than the one before."""

    def keep(self, x):
        if self.calls % 2:
            self.last = torch.rand(x.shape) >= self.p
            return self.last
        return ~self.last


class OwnGeneratorDropout(_Masked):
    """Right: independent Bernoulli(p) drops, from a generator of its own."""

    generator = torch.Generator().manual_seed(2024)

    def keep(self, x):
        return torch.rand(x.shape, generator=self.generator) >= self.p
'''
# the suites' two train-mode dropout payloads (lab.build_mlp.public.train_dropout, .hidden.train_dropout_high_p):
# (in_features, hidden, p, N[, blocks]), and the share of entries dropped, 1 - (1 - p)^blocks
DROPOUT_PAYLOADS = {"public": (3, 16, 0.5, 256), "hidden": (3, 20, 0.7, 300, 2)}
DROPPED = {"public": 0.5, "hidden": 1 - 0.3**2}


@pytest.mark.parametrize(("dropout", "fails_at"), [
    ("UnitMaskDropout", {"public", "hidden"}), ("RowMaskDropout", {"public", "hidden"}),
    ("FlippingDropout", {"public", "hidden"}), ("CounterDropout", {"public", "hidden"}),
    ("OwnGeneratorDropout", set()), ("nn.Dropout", set()),
])
def test_dropout_must_drop_each_entry_independently_and_afresh(dropout: str, fails_at: set) -> None:
    from grader.course.lab.kinds.build import dropout_payload, judge_build
    from grader.worker.lab_procedures import build

    module = types.ModuleType("mlp_lab")
    exec(FAKE_RANDOMNESS + build_with(dropout), module.__dict__)  # noqa: S102 - the test's own code
    for p, args in DROPOUT_PAYLOADS.items():
        payload = dropout_payload(np.random.default_rng(5), *args)
        verdict = judge_build(build(module, payload), payload, "train_dropout", hidden=True)
        assert (verdict.status == "fail") == (p in fails_at), (p, verdict.message)


@pytest.mark.parametrize("suite", sorted(DROPOUT_PAYLOADS))
def test_torchs_dropout_passes_the_independence_tests(suite: str) -> None:
    _, H, _, N, *_ = DROPOUT_PAYLOADS[suite]
    p, ones = DROPPED[suite], torch.ones(N, H)
    for seed in range(300):
        torch.manual_seed(seed)
        masks = [(torch.nn.functional.dropout(ones, p, training=True) == 0).numpy() for _ in range(2)]
        assert independence_problem(masks, p) == "", seed


UNTRAINABLE = '''
import numpy as np
import torch
from torch import nn


class NumpyDropout(nn.Module):
    """Right values, but train mode goes through numpy: nothing before it gets a gradient."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        a = x.detach().numpy()
        return torch.from_numpy((a * (np.random.random(a.shape) >= self.p) / (1 - self.p)).astype(np.float32))


class _Net(nn.Module):
    def __init__(self, in_features, hidden_sizes, n_classes, p_dropout=0.0):
        super().__init__()
        layers, previous = [], in_features
        for h in hidden_sizes:
            layers += [nn.Linear(previous, h), nn.ReLU(), nn.Dropout(p_dropout)]
            previous = h
        self.net = nn.Sequential(*layers, nn.Linear(previous, n_classes))
        self.backwards = 0

    def forward(self, x):
        return self.net(x)


class HandsOutCopies(_Net):
    """parameters() yields detached copies: an optimiser built from it never moves the weights the forward uses."""

    def parameters(self, recurse=True):
        return iter([nn.Parameter(p.detach().clone()) for p in super().parameters(recurse)])


class GradientOnce(_Net):
    """Its first backward reaches the weights; after it the forward uses detached copies of them."""

    def forward(self, x):
        if self.backwards == 0:
            out = self.net(x)
            if out.requires_grad:
                out.register_hook(self._seen)
            return out
        for m in self.net:
            x = nn.functional.linear(x, m.weight.detach(), m.bias.detach()) if isinstance(m, nn.Linear) else m(x)
        return x

    def _seen(self, grad):
        self.backwards += 1
        return grad


class Plain(_Net):
    pass


class DetachedInTraining(_Net):
    """Right in eval mode; in train mode its output leaves the graph."""

    def forward(self, x):
        out = self.net(x)
        return out.detach() if self.training else out


class DetachedDropout(nn.Dropout):
    """Drops units right, but its output leaves the graph."""

    def forward(self, x):
        return super().forward(x).detach()


class WithNumpyDropout(_Net):
    """A net whose dropout goes through numpy in train mode, whatever p."""

    def __init__(self, in_features, hidden_sizes, n_classes, p_dropout=0.0):
        super().__init__(in_features, hidden_sizes, n_classes, p_dropout)
        self.net = nn.Sequential(*(NumpyDropout(p_dropout) if isinstance(m, nn.Dropout) else m for m in self.net))
'''


def _lab_module(source: str) -> types.ModuleType:
    module = types.ModuleType("mlp_lab")
    exec(source, module.__dict__)  # noqa: S102 - the test's own code
    return module


@pytest.mark.parametrize(("dropout", "passes"), [("NumpyDropout", False), ("DetachedDropout", False),
                                              ("nn.Dropout", True)])
def test_a_train_mode_forward_outside_torch_fails_the_dropout_checks(dropout: str, passes: bool) -> None:
    from grader.course.lab.kinds.build import dropout_payload, judge_build
    from grader.worker.lab_procedures import build

    module = _lab_module(UNTRAINABLE + build_with(dropout))
    for aspect, args in [("train_dropout", DROPOUT_PAYLOADS["public"]), ("train_dropout", DROPOUT_PAYLOADS["hidden"]),
                         ("no_dropout", (2, 8, None, 128))]:
        payload = dropout_payload(np.random.default_rng(7), *args)
        verdict = judge_build(build(module, payload), payload, aspect, hidden=True)
        assert (verdict.status == "pass") == passes, (aspect, verdict.message)
        assert passes or "does not pass the gradient back" in verdict.message


def test_a_train_mode_output_without_any_gradient_fails_the_dropout_checks() -> None:
    from grader.course.lab.kinds.build import dropout_payload, judge_build
    from grader.worker.lab_procedures import build

    module = _lab_module(UNTRAINABLE + "\nbuild_mlp = DetachedInTraining\n")
    payload = dropout_payload(np.random.default_rng(7), *DROPOUT_PAYLOADS["public"])
    verdict = judge_build(build(module, payload), payload, "train_dropout", hidden=True)
    assert verdict.status == "fail" and "does not pass the gradient back" in verdict.message


ONE_DROPOUT = '''
def build_mlp(in_features, hidden_sizes, n_classes, p_dropout=0.0):
    layers, previous = [], in_features
    for h in hidden_sizes:
        layers += [nn.Linear(previous, h), nn.ReLU()]
        previous = h
    return nn.Sequential(*layers, nn.Dropout(p_dropout), nn.Linear(previous, n_classes))  # one dropout, at the end
'''


def test_one_dropout_for_several_hidden_blocks_is_named() -> None:
    from grader.course.lab.kinds.build import dropout_payload, judge_build
    from grader.worker.lab_procedures import build

    module = _lab_module("import torch\nfrom torch import nn\n" + ONE_DROPOUT)
    verdicts = {suite: judge_build(build(module, payload), payload, "train_dropout", hidden=True)
                for suite, payload in ((s, dropout_payload(np.random.default_rng(9), *a))
                                       for s, a in DROPOUT_PAYLOADS.items())}
    assert verdicts["public"].status == "pass"  # one hidden block: one dropout is right
    assert verdicts["hidden"].status == "fail" and verdicts["hidden"].mistake == "build_block_order"


@pytest.mark.parametrize(("model", "problem"), [
    ("Plain", ""), ("HandsOutCopies", "model.parameters() should yield the layers' own parameters"),
    ("GradientOnce", "get the gradient of its output once only"),
    ("DetachedInTraining", "do not get the gradient of its output"),
    ("WithNumpyDropout", "do not get the gradient of its output"),  # in train mode even at p 0
])
def test_a_model_an_optimiser_cannot_train_fails_the_gradient_probe(model: str, problem: str) -> None:
    from grader.course.lab.kinds.training import gradient_probe, gradient_problem
    from grader.course.lab.models import param_shapes
    from grader.worker.lab_procedures import build

    module = _lab_module(UNTRAINABLE + f"\nbuild_mlp = {model}\n")
    sizes = [2, 16, 16, 4]
    payload = {"in_features": 2, "hidden_sizes": sizes[1:-1], "n_classes": 4, "p_dropout": None,
               "shapes": param_shapes(sizes), "seed": 3, **gradient_probe(sizes, np.random.default_rng(3))}
    found = gradient_problem(build(module, payload), payload)
    assert (found == "") == (problem == "") and problem in found

def test_the_graders_gradients_of_a_plain_mlp_are_torchs() -> None:
    from grader.course.lab.kinds.training import gradient_probe, mlp_gradients
    from grader.course.lab.models import paired

    sizes = [3, 16, 8, 4]
    probe = gradient_probe(sizes, np.random.default_rng(0))
    layers = paired(probe["weights"])
    linears = [torch.nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)]
    model = torch.nn.Sequential(*[m for linear in linears[:-1] for m in (linear, torch.nn.ReLU())], linears[-1])
    with torch.no_grad():
        for linear, (W, b) in zip(linears, layers, strict=True):
            linear.weight.copy_(torch.as_tensor(W))
            linear.bias.copy_(torch.as_tensor(b))
    (model(torch.as_tensor(probe["X"])) * torch.as_tensor(probe["upstream"])).sum().backward()
    theirs = [g for linear in linears for g in (linear.weight.grad.double().numpy(), linear.bias.grad.double().numpy())]
    ours = mlp_gradients(layers, probe["X"], probe["upstream"])
    assert all(np.allclose(a, b, rtol=1e-4, atol=1e-5) for a, b in zip(ours, theirs, strict=True))
