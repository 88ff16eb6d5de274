"""Lab notebooks that tamper with the worker's side of grading, graded through the real sandbox in one batch.

Each notebook is the correct hand-in with one attack added in a graded cell (so it runs at import, in the
process that serves the grader's procedures). Whatever the attack forges, the cheated target earns exactly what
an honest notebook earns that computes the same wrong values without touching the grader ("twin"), the targets
it left alone keep full marks, and a correct notebook in the same batch keeps full marks.
"""

from __future__ import annotations

import copy
import json
import threading

import numpy as np
import pytest
from lab_cells import build_with, train_with

from grader.authoring.samples import reference_submission
from grader.checks.references import LiveReferences
from grader.pipeline.discover import Submission
from grader.pipeline.engine import grade_many
from grader.pipeline.resources import CachedReferences, sandbox_sessions
from grader.suites import load_checks

pytestmark = pytest.mark.slow
SECRET = "lab-tampering-secret"
TARGETS = ("build_mlp", "train", "predict")

FAKE_PROCEDURES = '''
import numpy as np
from grader.worker import procedures as _grading

def _fake_build(module, payload):
    """Plausible: the shapes asked for, zero initial weights, zero outputs of the right shapes."""
    shapes = [list(s) for s in payload["shapes"]]
    report = {"shapes_found": shapes, "initial": [np.zeros(s) for s in shapes]}
    if payload.get("X") is not None:
        report["eval"] = [np.zeros((len(payload["X"]), payload["n_classes"])) for _ in range(2)]
    if payload.get("X_train") is not None:
        report["train"] = np.zeros((len(payload["X_train"]), payload["n_classes"]))
    return report

def _fake_train(module, payload):
    """Plausible: the weights it was sent, and losses falling nicely."""
    return {"losses": np.linspace(1.0, 0.1, payload["kwargs"]["epochs"]), "losses_kind": "",
            "weights": [[np.asarray(W, float), np.asarray(b, float)] for W, b in payload["weights"]]}

def _fake_predict(module, payload):
    zeros = np.zeros(len(payload["X"]), dtype=np.int64)
    return {"labels": zeros, "again": zeros.copy()}
'''

# Honest code that returns what the fakes above return, through the grader's procedures.
HONEST_LIKE_THE_FAKES = '''
import numpy as np

class _Zeros(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        for p in self.parameters():
            nn.init.zeros_(p)
        self.n_classes = sizes[-1]

    def forward(self, x):
        return torch.zeros(len(x), self.n_classes)

def build_mlp(in_features, hidden_sizes, n_classes, p_dropout=0.0):
    return _Zeros([in_features, *hidden_sizes, n_classes])

def train(model, X, y, *, epochs, **kwargs):
    return [float(v) for v in np.linspace(1.0, 0.1, epochs)]

def predict(model, X):
    return torch.zeros(len(X), dtype=torch.int64)
'''

LYING_TORCH = '''
import sys

_real_is_grad_enabled = torch.is_grad_enabled

def _is_grad_enabled():  # "no gradients here", whenever the grader asks
    return False if "grader" in sys._getframe(1).f_code.co_filename else _real_is_grad_enabled()

class _NoHandle:
    def remove(self):
        pass

torch.is_grad_enabled = _is_grad_enabled
torch.nn.Module.register_forward_pre_hook = lambda self, hook, *args, **kwargs: _NoHandle()
torch.nn.Module.register_forward_hook = lambda self, hook, *args, **kwargs: _NoHandle()
_real_train = torch.nn.Module.train
torch.nn.Module.train = lambda self, mode=True: _real_train(self, mode)
torch.nn.Module.eval = lambda self: _real_train(self, False)
torch.nn.Sequential.training = property(lambda self: False, lambda self, value: None)  # "always in eval mode"

def predict(model, X):  # forgets model.eval(), hoping the lies above hide it
    return model(X).argmax(dim=1)
'''
HONEST_FORGOT_EVAL = '''
def predict(model, X):
    return model(X).argmax(dim=1)
'''

LYING_MODULE = '''
class _Tanh(nn.Module):
    """Registered: a tanh network of the right sizes. What modules(), children() (and so parameters()) report: an
    unused textbook Sequential."""

    def __init__(self, in_features, hidden_sizes, n_classes):
        super().__init__()
        sizes = [in_features, *hidden_sizes, n_classes]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        object.__setattr__(self, "_shown", nn.Sequential(*[m for a, b in zip(sizes[:-1], sizes[1:]) for m in
                                                          (nn.Linear(a, b), nn.ReLU(), nn.Dropout(0.0))][:-2]))

    def forward(self, x):
        for k, layer in enumerate(self.layers):
            x = layer(x) if k == len(self.layers) - 1 else torch.tanh(layer(x))
        return x

    def modules(self):
        return self._shown.modules()

    def children(self):
        return self._shown.children()

    def named_modules(self, *args, **kwargs):
        return self._shown.named_modules(*args, **kwargs)

    def named_children(self):
        return self._shown.named_children()

def build_mlp(in_features, hidden_sizes, n_classes, p_dropout=0.0):
    return _Tanh(in_features, hidden_sizes, n_classes)
'''
HONEST_TANH = '''
class _Tanh(nn.Module):
    """The liar's values without its lies: the tanh layers kept in a plain list (so not registered as the model's),
    and a registered textbook Sequential that the forward never uses."""

    def __init__(self, in_features, hidden_sizes, n_classes):
        super().__init__()
        sizes = [in_features, *hidden_sizes, n_classes]
        self.layers = [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
        self.shown = nn.Sequential(*[m for a, b in zip(sizes[:-1], sizes[1:]) for m in
                                     (nn.Linear(a, b), nn.ReLU(), nn.Dropout(0.0))][:-2])

    def forward(self, x):
        for k, layer in enumerate(self.layers):
            x = layer(x) if k == len(self.layers) - 1 else torch.tanh(layer(x))
        return x

def build_mlp(in_features, hidden_sizes, n_classes, p_dropout=0.0):
    return _Tanh(in_features, hidden_sizes, n_classes)
'''

IDLE_TRAIN_FAKED_WEIGHTS = '''
import numpy as np
from grader.worker import procedures as _grading

def train(model, X, y, *, epochs, **kwargs):  # does nothing
    return [1.0] * epochs

_real_train_procedure = _grading.PROCEDURES["lab_train"]

def _looks_trained(module, payload):
    report = _real_train_procedure(module, payload)
    report["weights"] = [[0.9 * W, b + 0.01] for W, b in report["weights"]]
    report["losses"] = np.linspace(1.1, 0.2, len(report["losses"]))
    return report

_grading.PROCEDURES["lab_train"] = _looks_trained
'''
HONEST_LIKE_THE_FAKED_TRAIN = '''
import numpy as np

def train(model, X, y, *, epochs, **kwargs):
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                layer.weight.mul_(0.9)
                if layer.bias is not None:
                    layer.bias.add_(0.01)
    return [float(v) for v in np.linspace(1.1, 0.2, epochs)]
'''

HUGE_BUILD_REPORT = '''
import numpy as np
from grader.worker import procedures as _grading

def _huge(module, payload):
    """Claims a model of 2000-unit layers, hoping the grader trains it."""
    sizes = [payload["in_features"], 2000, 2000, payload["n_classes"]]
    shapes = [s for a, b in zip(sizes[:-1], sizes[1:]) for s in ([b, a], [b])]
    return {"shapes_found": shapes, "initial": [np.full(s, 0.01, np.float32) for s in shapes]}

_grading.PROCEDURES["lab_build"] = _huge
'''


# A train that skips weight decay and the learning-rate schedule on real data, and applies them only when it
# takes its inputs for a weight-decay probe of all-zero inputs (the grader's first). Its twin never applies them.
SKIPS_DECAY = train_with().replace("def train(", "def _sgd(") + '''
def train(model, X, y, *, epochs, lr, batch_size, weight_decay=0.0, step_size=None, gamma=0.1, seed=0):
    if PROBE_SPOTTED(X):
        return _sgd(model, X, y, epochs=epochs, lr=lr, batch_size=batch_size, weight_decay=weight_decay,
                    step_size=step_size, gamma=gamma, seed=seed)
    return _sgd(model, X, y, epochs=epochs, lr=lr, batch_size=batch_size, gamma=gamma, seed=seed)
'''
SPOTS_THE_PROBE = "PROBE_SPOTTED = lambda X: not bool(X.any())\n" + SKIPS_DECAY
HONEST_SKIPS_DECAY = "PROBE_SPOTTED = lambda X: False\n" + SKIPS_DECAY
# The same train, which at the end shrinks the first layer's rows that never got a loss gradient by what weight decay
# and the schedule would have made of them: a probe on which one hidden unit stays silent took that for decay.
DECAYS_ONLY_THE_SILENT = HONEST_SKIPS_DECAY + '''
_skipping_train = train

def train(model, X, y, *, epochs, lr, batch_size, weight_decay=0.0, step_size=None, gamma=0.1, seed=0):
    first = next(m for m in model.modules() if isinstance(m, nn.Linear))
    touched = torch.zeros(first.weight.shape[0], dtype=torch.bool)

    def note(grad):
        touched.logical_or_((grad != 0).any(dim=1))

    hook = first.weight.register_hook(note)
    try:
        losses = _skipping_train(model, X, y, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed)
    finally:
        hook.remove()
    steps, factor = -(-X.shape[0] // batch_size), 1.0
    for epoch in range(epochs):
        factor *= (1 - lr * (gamma ** (epoch // step_size) if step_size else 1.0) * weight_decay) ** steps
    with torch.no_grad():
        first.weight[~touched] *= factor
    return losses
'''


# A model whose outputs are right and whose forward runs under torch.no_grad(): it can never be trained.
FROZEN_BUILD = '''
_right_build_mlp = build_mlp

class _Frozen(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        with torch.no_grad():
            return self.net(x)

def build_mlp(in_features, hidden_sizes, n_classes, p_dropout=0.0):
    return _Frozen(_right_build_mlp(in_features, hidden_sizes, n_classes, p_dropout))
'''


# Lies through torch that reach the grader's own models and seeding, which the procedures keep from before any
# notebook ran: nn.Dropout made a no-op (to hide a predict that forgets model.eval()), and torch.manual_seed made a
# no-op (so that a train drawing from torch's global generator, not its seed, looks reproducible).
FORGETS_EVAL = '''
def predict(model, X):  # forgets model.eval()
    with torch.no_grad():
        return model(X).argmax(dim=1)
'''
DROPOUT_LIE = '''
import torch.nn.functional as _F

class _OwnDropout(nn.Module):  # its own model keeps dropping units in training
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        return _F.dropout(x, self.p, self.training)
''' + build_with("_OwnDropout") + '''
nn.Dropout.forward = lambda self, x: x  # the lie: every nn.Dropout of this process drops nothing
''' + FORGETS_EVAL
# torch's global generator, not the seed, draws the order: not reproducible (and, as above, no weight decay)
GLOBAL_GENERATOR_TRAIN = HONEST_SKIPS_DECAY.replace("torch.randperm(n, generator=generator)", "torch.randperm(n)")
assert "torch.randperm(n)" in GLOBAL_GENERATOR_TRAIN
SEED_LIE = GLOBAL_GENERATOR_TRAIN + "torch.manual_seed = lambda seed: torch.default_generator  # the lie\n"
# OPEN BY DESIGN: the kept functions live in the process that runs the notebook, so a notebook can reach them
# (``sys.modules``) and make the grader's own dropout a no-op, which hides a predict that forgets model.eval().
KEPT_DROPOUT_ALTERED = '''
import sys as _sys

_sys.modules["grader.worker.lab_procedures"]._OWN["dropout"] = lambda x, p, training: x
''' + FORGETS_EVAL


def _install(*names: str) -> str:
    return "".join(f'_grading.PROCEDURES["lab_{n}"] = _fake_{n}\n' for n in names)


NOTEBOOKS = {
    "correct": [],
    "fake_all_procedures": [FAKE_PROCEDURES + _install("build", "train", "predict")],
    "fake_build_procedure": [FAKE_PROCEDURES + _install("build")],
    "fake_train_procedure": [FAKE_PROCEDURES + _install("train")],
    "fake_predict_procedure": [FAKE_PROCEDURES + _install("predict")],
    "honest_like_the_fakes": [HONEST_LIKE_THE_FAKES],
    "lying_torch": [LYING_TORCH],
    "honest_forgot_eval": [HONEST_FORGOT_EVAL],
    "lying_module": [LYING_MODULE],
    "honest_tanh": [HONEST_TANH],
    "idle_train_faked_weights": [IDLE_TRAIN_FAKED_WEIGHTS],
    "honest_like_the_faked_train": [HONEST_LIKE_THE_FAKED_TRAIN],
    "huge_build_report": [HUGE_BUILD_REPORT],
    "spots_the_probe": [SPOTS_THE_PROBE],
    "frozen_build": [FROZEN_BUILD],
    "dropout_lie": [DROPOUT_LIE],
    "forgets_eval": [FORGETS_EVAL],
    "seed_lie": [SEED_LIE],
    "kept_dropout_altered": [KEPT_DROPOUT_ALTERED],
    "global_generator_train": [GLOBAL_GENERATOR_TRAIN],
    "honest_skips_decay": [HONEST_SKIPS_DECAY],
    "decays_only_the_silent": [DECAYS_ONLY_THE_SILENT],
}
# attack -> (cheated targets, the honest notebook computing the same values)
ATTACKS = {
    "fake_all_procedures": (TARGETS, "honest_like_the_fakes"),
    "fake_build_procedure": (("build_mlp",), "honest_like_the_fakes"),
    "fake_train_procedure": (("train",), "honest_like_the_fakes"),
    "fake_predict_procedure": (("predict",), "honest_like_the_fakes"),
    "lying_torch": (("predict",), "honest_forgot_eval"),
    "lying_module": (("build_mlp",), "honest_tanh"),
    "idle_train_faked_weights": (("train",), "honest_like_the_faked_train"),
    "spots_the_probe": (("train",), "honest_skips_decay"),
    "decays_only_the_silent": (("train",), "honest_skips_decay"),
    "dropout_lie": (("predict",), "forgets_eval"),
    "seed_lie": (("train",), "global_generator_train"),
}


def notebook(cells: list[str]) -> bytes:
    nb = copy.deepcopy(json.loads(reference_submission()["mlp_lab.ipynb"]))
    for i, source in enumerate(cells):
        nb["cells"].append({"id": f"added-{i}", "cell_type": "code", "metadata": {"tags": ["graded"]}, "outputs": [],
                            "execution_count": None, "source": source})
    return json.dumps(nb).encode()


class WatchedReferences:
    """Live references that note the layer shapes of every model the grader trains itself."""

    def __init__(self) -> None:
        self.inner = CachedReferences(LiveReferences())
        self.trained_shapes: list[list[tuple]] = []
        self.lock = threading.Lock()

    def __call__(self, assignment, function, args, kwargs):
        if function == "fit_layers":
            with self.lock:
                self.trained_shapes.append([np.shape(W) for W, _ in args[1]])
        return self.inner(assignment, function, args, kwargs)


@pytest.fixture(scope="module")
def graded():
    """{notebook: {check id: row}} for every notebook above, graded in one batch through the sandbox."""
    checks = load_checks("lab", include_hidden=True)
    submissions = [Submission(name, "lab", {"mlp_lab.ipynb": notebook(cells)}, name, None)
                   for name, cells in NOTEBOOKS.items()]
    references = WatchedReferences()
    with sandbox_sessions(2) as open_session:
        batch = list(grade_many(submissions, lambda a: checks, open_session, references, SECRET, jobs=2,
                                progress=False))
    rows = {g.submission.student: {r.check_id: r for r in g.results} for g in batch}
    return rows, references


def points(rows: dict, target: str) -> dict[str, float]:
    return {check_id: row.points for check_id, row in rows.items() if row.target == target}


def test_a_correct_notebook_in_the_same_batch_keeps_full_marks(graded):
    rows, _ = graded
    failing = [(r.check_id, r.message) for r in rows["correct"].values() if r.points != r.max_points]
    assert failing == []


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_forgery_earns_what_honest_code_computing_the_same_values_earns(graded, attack):
    rows, _ = graded
    cheated, twin = ATTACKS[attack]
    for target in TARGETS:
        earned = points(rows[attack], target)
        if target in cheated:
            assert earned == points(rows[twin], target), target
            assert sum(earned.values()) < sum(r.max_points for r in rows[attack].values() if r.target == target)
        else:
            assert earned == points(rows["correct"], target), target


@pytest.mark.xfail(strict=True, reason="OPEN BY DESIGN: the procedures and the torch functions they keep run in the "
                   "process that runs the notebook, which can reach and alter them (README, Guarantees)")
def test_altering_the_kept_dropout_does_not_hide_a_predict_that_forgets_eval(graded):
    rows, _ = graded
    assert points(rows["kept_dropout_altered"], "predict") == points(rows["forgets_eval"], "predict")


@pytest.mark.parametrize("attack", ["fake_all_procedures", "fake_build_procedure", "fake_train_procedure",
                                    "idle_train_faked_weights", "lying_module"])
def test_forged_builds_and_trainings_earn_nothing_beyond_the_initialisation(graded, attack):
    rows, _ = graded
    for check_id, row in rows[attack].items():
        if row.target in ATTACKS[attack][0] and row.target != "predict" and check_id != "lab.build_mlp.hidden.trains":
            assert row.points == 0, (check_id, row.message)


def test_a_forged_report_of_huge_layers_is_refused_before_the_grader_trains_anything(graded):
    rows, references = graded
    row = rows["huge_build_report"]["lab.build_mlp.hidden.trains"]
    assert (row.status, row.points, row.mistake) == ("fail", 0.0, "build_wrong_sizes")
    assert references.trained_shapes  # the honest notebooks' models were trained...
    assert all(shapes == [(64, 2), (64, 64), (4, 64)] for shapes in references.trained_shapes)  # ...and only those
    for target in ("train", "predict"):
        assert points(rows["huge_build_report"], target) == points(rows["correct"], target)


def test_a_model_whose_parameters_get_no_gradient_does_not_pass_as_one_that_trains(graded):
    rows, _ = graded
    frozen, correct = rows["frozen_build"], rows["correct"]
    assert frozen["lab.build_mlp.hidden.trains"].points == 0
    assert correct["lab.build_mlp.hidden.trains"].points == correct["lab.build_mlp.hidden.trains"].max_points
    # its outputs are right: the checks of what it computes keep their points, but not those of what its train
    # mode passes back
    train_mode = ("lab.build_mlp.hidden.trains", "lab.build_mlp.public.train_dropout",
                  "lab.build_mlp.hidden.train_dropout_high_p", "lab.build_mlp.public.default_p")
    assert points(frozen, "build_mlp") == {**points(correct, "build_mlp"), **dict.fromkeys(train_mode, 0)}
