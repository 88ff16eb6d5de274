"""hw3's kinds of check of the whole trainer: ``train_classifier`` judged by held-out accuracy of the model it returns
(evaluated here, by the grader's own forward, so the student's ``predict`` plays no part), the model's
format, and the kind of labels ``predict`` returns."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.accuracy import AccuracyTask, accuracy_verdict, draw, mlp_logits
from grader.checks.base import Context, Verdict
from grader.checks.compare import compare
from grader.checks.judge import outcome_failure, stated
from grader.checks.mistakes import MUTATED_INPUT
from grader.course.hw3.rules.normalisation import features
from grader.course.hw3.rules.training import NOT_INTEGERS, NOT_TRAINING_STATISTICS, WEIGHTS_TRANSPOSED
from grader.protocol.markers import Rng
from grader.protocol.outcomes import Returned

EPS = 1e-8  # standardize's default, which predict uses


def layer_sizes(D: int, hidden: int | list[int], n_classes: int) -> list[int]:
    return [D, *([hidden] if isinstance(hidden, int) else hidden), n_classes]


def read_model(value: Any, sizes: list[int], hidden: bool = False) -> tuple[dict | None, str]:
    """The returned model as ``{"mean", "std", "params": [(W, b)]}`` of the expected shapes, or None and why
    (without the sizes when ``hidden``: they would reveal the check's inputs)."""
    D = sizes[0]
    if not isinstance(value, dict) or not {"mean", "std", "params"} <= set(value):
        return None, 'it should return a dict with keys "mean", "std" and "params"'
    mean, std, params = value["mean"], value["std"], value["params"]
    for name, stat in (("mean", mean), ("std", std)):
        if not isinstance(stat, np.ndarray) or stat.shape != (D,) or stat.dtype.kind not in "iuf":
            return None, f'model["{name}"] should be an array of shape (D,), one value per feature' + (
                "" if hidden else f" (here ({D},))")
    if not isinstance(params, (list, tuple)) or len(params) != len(sizes) - 1:
        return None, 'model["params"] should be a list of (W, b) pairs, one per layer' + (
            "" if hidden else f" (here {len(sizes) - 1})")
    layers = []
    for k, (layer, n_in, n_out) in enumerate(zip(params, sizes[:-1], sizes[1:], strict=True)):
        if not isinstance(layer, (list, tuple)) or len(layer) != 2:
            return None, f"layer {k} should be a pair (W, b)"
        W, b = layer
        if not all(isinstance(a, np.ndarray) and a.dtype.kind in "iuf" for a in (W, b)) \
                or W.shape != (n_out, n_in) or b.shape != (n_out,):
            shapes = "" if hidden else f" (here ({n_out}, {n_in}) and ({n_out},))"
            return None, f"layer {k} should hold W of shape (out, in) and b of shape (out,){shapes}"
        layers.append((W.astype(np.float64), b.astype(np.float64)))
    arrays = [mean, std] + [a for layer in layers for a in layer]
    if not all(np.all(np.isfinite(a)) for a in arrays):
        return None, "the model holds NaN or inf: did training diverge (learning rate too large)?"
    return {"mean": mean.astype(np.float64), "std": std.astype(np.float64), "params": layers}, ""


def transposed_layers(value: Any, sizes: list[int]) -> bool:
    """Whether a model that ``read_model`` refused holds every layer's W as (in, out) (some layer not square)."""
    params = value.get("params") if isinstance(value, dict) else None
    if not isinstance(params, (list, tuple)) or len(params) != len(sizes) - 1:
        return False
    shapes = [np.shape(layer[0]) if isinstance(layer, (list, tuple)) and len(layer) == 2 else None for layer in params]
    wanted = list(zip(sizes[:-1], sizes[1:], strict=True))
    return shapes == [(n_in, n_out) for n_in, n_out in wanted] and any(i != o for i, o in wanted)


def _unreadable(value: Any, sizes: list[int], problem: str) -> Verdict:
    return stated("train_classifier", problem, WEIGHTS_TRANSPOSED if transposed_layers(value, sizes) else None)


def model_predict(model: dict, X: np.ndarray) -> np.ndarray:
    """SPEC's predict, as the grader computes it: standardise with the stored statistics, ReLU MLP, argmax."""
    with np.errstate(over="ignore", invalid="ignore"):
        return mlp_logits(model["params"], (X - model["mean"]) / (model["std"] + EPS)).argmax(axis=1)


def trained_accuracy(ctx: Context, *, task: AccuracyTask, config: dict) -> Verdict:
    """Train with the student's ``train_classifier`` on the task's training part; points by held-out accuracy."""
    d = draw(task, ctx.rng)
    outcome = ctx.call(d.X_train, d.y_train, config, Rng(d.train_seed))
    if not isinstance(outcome, Returned):
        return outcome_failure(outcome, "train_classifier")
    sizes = layer_sizes(d.X_train.shape[1], config["hidden"], int(d.y_train.max()) + 1)
    model, problem = read_model(outcome.value, sizes, ctx.hidden)
    if model is None:
        return _unreadable(outcome.value, sizes, problem)
    acc = float(np.mean(model_predict(model, d.X_test) == d.y_test))
    hint = "check the gradients, the learning-rate decay, that inputs are standardised and weights He-initialised"
    return accuracy_verdict(acc, task, "train_classifier", reveal=not ctx.hidden, hint=hint)


def model_format(ctx: Context, *, N: int, D: int, n_classes: int, config: dict) -> Verdict:
    """Property: the model has the layers the config asks for, and the training set's own statistics;
    X and y come back unchanged."""
    X = features(ctx.rng, N, D)
    y = np.arange(N) % n_classes
    outcome = ctx.call(X, y, config, Rng(int(ctx.rng.integers(2**31))))
    if not isinstance(outcome, Returned):
        return outcome_failure(outcome, "train_classifier")
    sizes = layer_sizes(D, config["hidden"], n_classes)
    model, problem = read_model(outcome.value, sizes, ctx.hidden)
    if model is None:
        return _unreadable(outcome.value, sizes, problem)
    mean, std = ctx.reference("fit_standardizer", X)
    if compare([model["mean"], model["std"]], [mean, std]) is not None:
        return stated("train_classifier", 'model["mean"] and model["std"] are not the training set\'s per-feature '
                      "mean and population std", NOT_TRAINING_STATISTICS)
    after = outcome.args_after
    if len(after) >= 2 and not (np.array_equal(after[0], X) and np.array_equal(after[1], y)):
        return stated("train_classifier", "it modified X or y", MUTATED_INPUT, "mutated")
    return Verdict.ok()


def integer_labels(ctx: Context, *, inputs: Any) -> Verdict:
    """Property: ``predict`` returns an integer array of shape (N,)."""
    d = inputs(ctx.rng)
    outcome = ctx.call(*d.values())
    if not isinstance(outcome, Returned):
        return outcome_failure(outcome, "predict")
    labels, N = outcome.value, len(d["X"])
    if not isinstance(labels, np.ndarray) or labels.shape != (N,):
        return stated("predict", "it should return an array of one label per row of X, shape (N,)")
    if labels.dtype.kind not in "iu":
        return stated("predict", f"the labels have dtype {labels.dtype}", NOT_INTEGERS)
    return Verdict.ok()
