"""Lab checks graded by held-out accuracy after training: ``train`` training the grader's model, and the initial
weights of ``build_mlp``'s model trained by the reference training in the grader's process.

Why this way: the grader draws the data, its split, the initial weights (``default_init``, distributed as
``nn.Linear`` initialises them) and the seeds from the check's generator. For ``train`` the worker loads the
grader's weights into the grader's model, calls the student's ``train`` and returns the weights after training
as data; the held-out part never leaves the grader, which scores the returned weights with its own forward
(``mlp_logits``). A forger has to return weights that classify data it has never seen: it has to train.

For ``build_mlp`` the model's initial parameters come back as data and are loaded into the EXPECTED architecture
(the payload's sizes; never one re-made from what the worker says), then trained in the grader's process by
``reference.mlp_lab_np.fit_layers`` (the reference ``train``'s batches and updates, in numpy: the judge never
imports torch). That work costs the grader, so it is bounded before it starts: the parameters must have exactly
the expected shapes (so time and memory are those of the reference model), be finite and of a sensible size, and
denormal values are flushed to 0 (they slow float arithmetic a hundredfold); the training itself runs under
``TRAINING_BUDGET`` seconds and the check errors beyond it. One such training per submission; answers are cached
by argument (``grader.pipeline.resources.CachedReferences``), so students whose models start alike pay for it once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.checks.accuracy import AccuracyTask, accuracy_verdict, draw, mlp_logits
from grader.checks.base import Context, Verdict
from grader.checks.compare import FLOAT32_RTOL, all_numeric, as_numeric, compare
from grader.checks.judge import outcome_failure, stated
from grader.checks.references import MissingRecording
from grader.course.lab.models import default_init, flat, mixed_weights, paired, param_shapes, plain_spec
from grader.course.lab.rules import WRONG_SIZES
from grader.protocol.outcomes import Returned

MAX_INITIAL = 100.0  # |w| above this is no initialisation; nn.Linear's stays below 1
TRAINING_BUDGET = 30.0  # seconds of grader-side training per submission; the reference needs about 0.2
FLOAT32_TINY = float(np.finfo(np.float32).tiny)


def weights_after(value: Any, sizes: list[int], hidden: bool) -> tuple[list | None, np.ndarray | None, str]:
    """(weights, losses, "") from a ``lab_train`` result: ``weights`` of the shapes ``sizes`` gives, finite, and
    ``losses`` a float array (None if train did not return numbers); or (None, None, problem)."""
    shapes = param_shapes(sizes)
    layers = value.get("weights") if isinstance(value, dict) else None
    read = all_numeric([a for layer in layers for a in layer]) \
        if isinstance(layers, list) and all(isinstance(la, list) and len(la) == 2 for la in layers) else None
    arrays = read or []
    if len(arrays) != len(shapes) or any(list(a.shape) != s for a, s in zip(arrays, shapes, strict=True)):
        return None, None, "after training the model's weights could not be read: keep training the model it " \
            "was given, in place"
    if not all(np.all(np.isfinite(a)) for a in arrays):
        return None, None, "after training the model's weights are not finite numbers: did training diverge?"
    losses = as_numeric(value.get("losses"))
    if losses is None or losses.ndim != 1:
        kind = value.get("losses_kind")
        got = "" if hidden or not isinstance(kind, str) or not kind else f"; got {kind[:60]}"
        return None, None, f"it should return a list of per-epoch losses (floats){got}"
    return paired([a.astype(np.float64) for a in arrays]), losses.astype(np.float64), ""


def trained_accuracy(ctx: Context, task: AccuracyTask, hidden: list[int], kwargs: dict) -> float | Verdict:
    """One draw of ``task`` from ``ctx.rng``; the student's ``train`` trains the grader's model from the grader's
    initial weights; the held-out accuracy of the weights it returns (or the verdict when there are none). The
    calibration of the thresholds runs this very function with the reference (``benchmarks/lab_calibration.py``)."""
    d = draw(task, ctx.rng)
    sizes = [d.X_train.shape[1], *hidden, int(d.y_train.max()) + 1]
    weights = default_init(sizes, np.random.default_rng(d.init_seed))
    outcome = ctx.procedure("lab_train", X=d.X_train.astype(np.float32), y=d.y_train, spec=plain_spec(sizes),
                            weights=weights, torch_seed=d.init_seed, kwargs={**kwargs, "seed": d.train_seed})
    if not isinstance(outcome, Returned):
        return outcome_failure(outcome, "train")
    trained, _, problem = weights_after(outcome.value, sizes, ctx.hidden)
    if trained is None:
        return stated("train", problem)
    return float(np.mean(mlp_logits(trained, d.X_test.astype(np.float32)).argmax(axis=1) == d.y_test))


def train_accuracy(ctx: Context, *, task: AccuracyTask, hidden: list[int], kwargs: dict) -> Verdict:
    """Points by the held-out accuracy of the grader's model after the student's ``train`` (``trained_accuracy``)."""
    acc = trained_accuracy(ctx, task, hidden, kwargs)
    if isinstance(acc, Verdict):
        return acc
    return accuracy_verdict(acc, task, "train", reveal=not ctx.hidden,
                            hint="check the optimiser, the loss, the shuffling and the schedule")


@dataclass(frozen=True)
class Held:
    """A drawn accuracy task's data and training settings, kept in the grader (none of it goes to the worker)."""

    task: AccuracyTask
    sizes: list[int]
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    fit: dict  # the reference train's keyword arguments, seed included


def trains_payload(rng: np.random.Generator, task: AccuracyTask, hidden: list[int], fit: dict) -> dict[str, Any]:
    """build_mlp(D, hidden, n_classes) on a draw of ``task``, built after ``torch.manual_seed(init_seed)``; its
    initial parameters are trained in the grader by the reference ``train`` with ``fit``. Then the grader's
    weights are loaded into it and it is asked for the gradient of ``sum(model(X) * upstream)`` (``gradient_probe``):
    a model whose parameters get no gradient cannot be trained, however right its outputs."""
    d = draw(task, rng)
    sizes = [d.X_train.shape[1], *hidden, int(d.y_train.max()) + 1]
    return {"in_features": sizes[0], "hidden_sizes": hidden, "n_classes": sizes[-1], "p_dropout": 0.0,
            "shapes": param_shapes(sizes), "seed": d.init_seed, **gradient_probe(sizes, rng),
            "held": Held(task, sizes, d.X_train.astype(np.float32), d.y_train, d.X_test, d.y_test,
                         {**fit, "seed": d.train_seed})}


PROBE_ROWS = 32
KINK_MARGIN = 1e-3  # every hidden pre-activation of the probe this far from 0: float32 and float64 agree on ReLU
STEP_LR = 0.05  # the probe's SGD step: each weight moves by far more than float32's tolerance


def gradient_probe(sizes: list[int], rng: np.random.Generator) -> dict[str, Any]:
    """The grader's weights (``mixed_weights``), inputs on which no hidden unit sits near its kink, and an
    upstream gradient: ``lab_build`` loads the weights and returns the parameters' gradients of
    ``sum(model(X) * upstream)`` in train mode with ``p_dropout`` 0 (``gradients``), which must be
    ``mlp_gradients``' (a model that breaks its graph in training only fails too); then the
    parameters after one SGD step of ``step_lr`` on ``model.parameters()`` and the gradients once more from the
    loaded weights (``gradient_problem``)."""
    weights = mixed_weights(sizes, rng)
    rows: list[np.ndarray] = []
    while len(rows) < PROBE_ROWS:
        x = rng.normal(0.0, 1.0, sizes[0]).astype(np.float32)
        if all(np.all(np.abs(z) > KINK_MARGIN) for z in _pre_activations(weights, x[None, :])[:-1]):
            rows.append(x)
    upstream = rng.normal(0.0, 1.0, (PROBE_ROWS, sizes[-1])).astype(np.float32)
    return {"weights": flat(weights), "X": np.stack(rows), "upstream": upstream, "step_lr": STEP_LR}


def _pre_activations(layers: list, X: np.ndarray) -> list[np.ndarray]:
    """Each layer's pre-activation ``Z = A W^T + b`` of the plain MLP (ReLU between layers), in float64."""
    A, found = np.asarray(X, np.float64), []
    for k, (W, b) in enumerate(layers):
        Z = A @ np.asarray(W, np.float64).T + np.asarray(b, np.float64)
        found.append(Z)
        A = np.maximum(Z, 0.0) if k < len(layers) - 1 else Z
    return found


def mlp_gradients(layers: list, X: np.ndarray, upstream: np.ndarray) -> list[np.ndarray]:
    """The gradients ``[dW1, db1, ..., dW_last, db_last]`` of ``sum(mlp_logits(layers, X) * upstream)``, W (out, in)."""
    Z = _pre_activations(layers, X)
    A = [np.asarray(X, np.float64)] + [np.maximum(z, 0.0) for z in Z[:-1]]
    dZ = np.asarray(upstream, np.float64)
    grads: list[np.ndarray] = []
    for k in range(len(layers) - 1, -1, -1):
        grads[:0] = [dZ.T @ A[k], dZ.sum(axis=0)]
        if k:
            dZ = (dZ @ np.asarray(layers[k][0], np.float64)) * (Z[k - 1] > 0)
    return grads


NO_GRADIENT = ("its parameters do not get the gradient of its output (is the forward run under torch.no_grad(), or "
               "detached?): training cannot change them")


def _same(got: Any, wanted: list[np.ndarray]) -> bool:
    arrays = all_numeric(got or [])
    return arrays is not None and compare(arrays, wanted, rtol=FLOAT32_RTOL) is None


def gradient_problem(report: dict, probe: dict) -> str:
    """What stops build_mlp's model from training, from its report on the probe (``gradient_probe``), or "": its
    parameters' gradients must be the grader's (``mlp_gradients``), again on a second backward pass, and one SGD
    step on ``model.parameters()`` must move the weights its forward uses by ``-step_lr · gradient``."""
    wanted = mlp_gradients(paired(probe["weights"]), probe["X"], probe["upstream"])
    if not _same(report.get("gradients"), wanted):
        return NO_GRADIENT
    if not _same(report.get("gradients_again"), wanted):
        return "its parameters get the gradient of its output once only: a second backward pass from the same " \
            "weights gives another (is a tensor detached or replaced after the first?)"
    stepped = [np.asarray(w, np.float64) - probe["step_lr"] * g for w, g in zip(probe["weights"], wanted, strict=True)]
    if not _same(report.get("stepped"), stepped):
        return "one SGD step on model.parameters() does not move the weights its forward uses by -lr · gradient: " \
            "model.parameters() should yield the layers' own parameters"
    return ""


def initial_weights(report: Any, sizes: list[int]) -> list | None:
    """build_mlp's initial parameters as float32 ``[[W, b], ...]`` of the expected shapes, finite, |w| at most
    ``MAX_INITIAL``, denormals flushed to 0; None if they are not."""
    values = report.get("initial") if isinstance(report, dict) else None
    shapes = param_shapes(sizes)
    if not isinstance(values, list) or len(values) != len(shapes):
        return None
    read = all_numeric(values)
    if read is None or any(list(a.shape) != s for a, s in zip(read, shapes, strict=True)):
        return None
    arrays = [a.astype(np.float64) for a in read]
    if not all(np.all(np.isfinite(a)) and np.all(np.abs(a) <= MAX_INITIAL) for a in arrays):
        return None
    return paired([np.where(np.abs(a) < FLOAT32_TINY, 0.0, a).astype(np.float32) for a in arrays])


def build_trains(ctx: Context, *, payload: Callable) -> Verdict:
    """Points by the held-out accuracy that the reference training (``train`` in numpy) reaches from build_mlp's
    initial weights."""
    d = payload(ctx.rng)
    held: Held = d.pop("held")
    outcome = ctx.procedure("lab_build", **d)
    if not isinstance(outcome, Returned):
        return outcome_failure(outcome, "build_mlp")
    start = initial_weights(outcome.value, held.sizes)
    problem = gradient_problem(outcome.value, d) if start is not None else ""
    if problem:
        return stated("build_mlp", problem)
    if start is None:
        return stated("build_mlp", "its initial parameters are not those of Linear(in_features, h1), ..., "
                      "Linear(h_last, n_classes) with biases, as finite numbers of a sensible size: the grader does "
                      "not train them", WRONG_SIZES)
    try:
        trained = ctx.reference("fit_layers", plain_spec(held.sizes), start, held.X_train, held.y_train,
                                budget_seconds=TRAINING_BUDGET, **held.fit)
    except MissingRecording:
        return Verdict("error", 0.0, "build_mlp: this check trains your model in the course's grader, which a "
                       "release cannot do for initial weights other than the reference's; the course's grading "
                       "judges it")
    except TimeoutError:
        return Verdict("error", 0.0, f"build_mlp: training your model's initial weights took the grader over "
                       f"{TRAINING_BUDGET:g} s, its budget per submission; check the initialisation")
    acc = float(np.mean(mlp_logits(trained, held.X_test.astype(np.float32)).argmax(axis=1) == held.y_test))
    return accuracy_verdict(acc, held.task, "build_mlp (trained by the grader)", reveal=not ctx.hidden,
                            hint="check the layers' initialisation")
