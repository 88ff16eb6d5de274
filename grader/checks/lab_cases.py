"""Lab (an MLP in PyTorch) check kinds. Student code runs only in the worker, through the ``lab_*``
procedures of ``grader.worker.procedures``; what comes back is data, judged here with the grader's own
numpy forward. Each target is judged alone: ``train`` trains the grader's plain model, ``predict`` gets
the grader's model, and ``build_mlp``'s model is checked against its own reported layers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.checks.accuracy import AccuracyTask, accuracy_verdict, draw, mlp_logits
from grader.checks.base import Check, Context, Verdict
from grader.checks.compare import compare
from grader.checks.factories import SuiteBuilder, mismatch_verdict_text
from grader.checks.judge import outcome_failure
from grader.checks.lab_models import plain_spec, spec_from_report
from grader.checks.mistakes import register_hints
from grader.checks.references import MissingRecording
from grader.outcomes import Returned

register_hints({
    "build_wrong_sizes": "chain the sizes: Linear(in_features, h1), Linear(h1, h2), ..., Linear(h_last, n_classes)",
    "build_block_order": "each hidden block is Linear -> ReLU -> Dropout(p_dropout), then one final Linear",
    "build_softmax_on_logits": "end with the last Linear: the logits go to the loss, which applies the softmax",
    "dropout_p_ignored": "pass p_dropout to every nn.Dropout",
    "dropout_active_in_eval": "use nn.Dropout modules (or F.dropout(x, p, training=self.training)) so dropout is "
                              "off in eval mode",
    "weight_decay_ignored": "pass weight_decay to torch.optim.SGD",
    "scheduler_per_batch": "call scheduler.step() once per epoch, after the epoch's batches, not after every batch",
    "scheduler_ignored": "with step_size given, use StepLR(optimizer, step_size, gamma) and step it every epoch",
    "train_drops_last_batch": "keep the last, smaller batch: every sample is used once per epoch",
    "losses_not_mean": "losses[e] is the MEAN per-sample loss of epoch e, not a sum over batches",
    "train_not_reproducible": "draw the shuffling from torch.Generator().manual_seed(seed), made once before training",
    "predict_forgot_eval": "call model.eval() in predict: the model may arrive in train mode, with dropout active",
    "predict_grad_enabled": "run the model under torch.no_grad() in predict",
})
FLOAT32_RTOL = 1e-4


def block_kinds(n_hidden: int) -> list[str]:
    return ["Linear", "ReLU", "Dropout"] * n_hidden + ["Linear"]


def build_payload(in_features: int, hidden: list[int], n_classes: int, p: float | None, N: int):
    def make(rng: np.random.Generator) -> dict[str, Any]:
        return {"in_features": in_features, "hidden_sizes": hidden, "n_classes": n_classes, "p_dropout": p,
                "X": rng.standard_normal((N, in_features)).astype(np.float32), "seed": int(rng.integers(2**31))}

    return make


@dataclass(frozen=True)
class Held:
    """A drawn accuracy task's data and training settings, carried from the payload maker to the judgement
    (none of it goes to the worker)."""

    task: AccuracyTask
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    fit: dict  # the reference train's keyword arguments, seed included


def trains_payload(task: AccuracyTask, hidden: list[int], fit: dict):
    """build_mlp(2, hidden, n_classes) on a draw of ``task``; the model it makes is re-made from its report and
    trained in the grader by the reference ``train`` with ``fit`` (see ``fitted_weights``)."""

    def make(rng: np.random.Generator) -> dict[str, Any]:
        d = draw(task, rng)
        n_classes = int(d.y_train.max()) + 1
        return {"in_features": d.X_train.shape[1], "hidden_sizes": hidden, "n_classes": n_classes, "p_dropout": None,
                "X": d.X_train[:4].astype(np.float32), "seed": d.init_seed,
                "task": Held(task, d.X_train.astype(np.float32), d.y_train, d.X_test, d.y_test,
                             {**fit, "seed": d.train_seed})}

    return make


def fitted_weights(ctx: Context, report: dict, held: Held) -> list:
    """The Linear weights of build_mlp's model (re-made from ``report``: its layers and initial weights) after
    the reference ``train`` trained it on ``held``'s training part, in the grader's process."""
    layers = spec_from_report(report["layers"])
    return ctx.reference("fit_layers", layers, report["weights"], held.X_train, held.y_train, **held.fit)


def _structure(report: dict, d: dict, hidden_check: bool) -> tuple[str, str]:
    """(problem, mistake) with the reported layers, or ("", "") when they are the expected blocks.
    A hidden check's message does not list sizes or probabilities (they would reveal its inputs)."""

    def said(text: str, detail: str) -> str:
        return text if hidden_check else f"{text} ({detail})"

    hidden, p = d["hidden_sizes"], d["p_dropout"] or 0.0
    layers = report["layers"]
    kinds = [layer["kind"] for layer in layers]
    if any(k in ("Softmax", "LogSoftmax") for k in kinds):
        return "the model ends in a softmax", "build_softmax_on_logits"
    sizes = [(layer.get("in_features"), layer.get("out_features")) for layer in layers if layer["kind"] == "Linear"]
    chain = [d["in_features"], *hidden, d["n_classes"]]
    if sizes != list(zip(chain[:-1], chain[1:], strict=True)):
        return said("its Linear layers do not chain in_features -> hidden_sizes -> n_classes",
                    f"their (in, out) sizes are {sizes}"), "build_wrong_sizes"
    ps = [layer.get("p") for layer in layers if layer["kind"].startswith("Dropout")]
    if p > 0 and hidden and not ps:
        return "it has no nn.Dropout layers (as modules, eval() switches them off)", "build_block_order"
    if p > 0 and (len(ps) != len(hidden) or any(q is None or abs(q - p) > 1e-12 for q in ps)):
        return said("its dropout layers do not have p = p_dropout, one per hidden block", f"they have p {ps}"), \
            "dropout_p_ignored"
    if p == 0 and any(q != 0 for q in ps):
        return "its dropout layers have p > 0 although p_dropout is 0", "dropout_p_ignored"
    expected = block_kinds(len(hidden)) if ps or p > 0 else [k for k in block_kinds(len(hidden)) if k != "Dropout"]
    if [k for k in kinds if k not in ("Identity", "Flatten")] != expected:
        return said("its layers are not Linear -> ReLU -> Dropout blocks and a final Linear", f"they are {kinds}"), \
            "build_block_order"
    return "", ""


def build(sb: SuiteBuilder, case: str, points: float, payload: Callable, aspect: str, *, description: str,
          timeout: float = 30.0) -> Check:
    """Build the student's model in the worker and judge one ``aspect`` of its report:
    "structure" (the layers), "eval" (eval-mode output = the grader's forward of its layers, deterministic,
    shape (N, n_classes)), "train_dropout" (dropout changes the train-mode output), "no_dropout"
    (with the default p_dropout, train and eval outputs agree) or "trains" (held-out accuracy after the
    grader trained the model, see ``trains_payload``)."""

    def run(ctx: Context) -> Verdict:
        d = payload(ctx.rng)
        task = d.pop("task", None)
        outcome = ctx.procedure("lab_build", **d)
        if not isinstance(outcome, Returned):
            return outcome_failure(outcome, "build_mlp")
        report = outcome.value
        problem, mistake = _structure(report, d, sb.hidden)
        if aspect == "structure":
            return mismatch_verdict_text("build_mlp", problem, mistake) if problem else Verdict.ok()
        out, again, train_out = report["eval_output"], report["eval_repeat"], report["train_output"]
        N, C = len(d["X"]), d["n_classes"]
        if out.shape != (N, C):
            return mismatch_verdict_text("build_mlp", f"the output has shape {out.shape}; expected (N, n_classes)")
        if aspect == "eval":
            if not np.array_equal(out, again):
                return mismatch_verdict_text("build_mlp", "two eval-mode forwards on the same X differ",
                                             "dropout_active_in_eval")
            found = compare(out, mlp_logits(report["weights"], d["X"]), name="eval-mode output", rtol=FLOAT32_RTOL,
                            hidden=sb.hidden)
            if found is not None:
                return mismatch_verdict_text("build_mlp", f"{found.message}: in eval mode the model should compute "
                                             "Linear -> ReLU -> ... -> Linear with its own layers, dropout off")
        elif aspect == "train_dropout" and np.array_equal(out, train_out):
            return mismatch_verdict_text("build_mlp", "with p_dropout > 0 the train-mode output equals the eval-mode "
                                         "output: dropout is not applied", "dropout_p_ignored")
        elif aspect == "trains":
            if problem:
                return mismatch_verdict_text("build_mlp", f"cannot judge training: {problem}", mistake)
            try:
                trained = fitted_weights(ctx, report, task)
            except MissingRecording:
                return Verdict("error", 0.0, "build_mlp: this check trains your model in the course's grader, "
                               "which a release cannot do for initial weights other than the reference's; the "
                               "course's grading judges it")
            logits = mlp_logits(trained, task.X_test.astype(np.float32))
            acc = float(np.mean(logits.argmax(axis=1) == task.y_test))
            return accuracy_verdict(acc, task.task, "build_mlp (trained by the grader)", reveal=not sb.hidden,
                                    hint="check the layers' initialisation and that every layer is registered")
        elif aspect == "no_dropout" and compare(train_out, out, rtol=FLOAT32_RTOL) is not None:
            return mismatch_verdict_text("build_mlp", "with the default p_dropout the train-mode output differs from "
                                         "the eval-mode output: the default p_dropout is 0.0", "dropout_p_ignored")
        return Verdict.ok()

    kind = {"structure": "value", "trains": "accuracy"}.get(aspect, "property")
    return sb.check("build_mlp", case, kind, points, run, description, timeout=timeout)


def trained_runs(outcome: Returned, sizes: list[int], runs: int = 1) -> tuple[list[dict] | None, str]:
    """The lab_train report's runs with losses and weights checked for shape, or None and why."""
    try:
        reports = list(outcome.value["runs"])
        assert len(reports) == runs
        for r in reports:
            for W, b in r["weights_after"]:
                assert np.all(np.isfinite(W)) and np.all(np.isfinite(b))
            assert [np.shape(W)[::-1] for W, _ in r["weights_after"]] == list(zip(sizes[:-1], sizes[1:], strict=True))
    except (AssertionError, KeyError, TypeError, ValueError):
        return None, "after training the model's weights are not finite numbers: did training diverge?"
    for r in reports:
        if r["losses"] is None:
            return None, f"it should return a list of per-epoch losses (floats); got {r['losses_kind']}"
    return reports, ""


def train_accuracy(sb: SuiteBuilder, case: str, points: float, task: AccuracyTask, hidden: list[int], kwargs: dict,
                   *, description: str) -> Check:
    """The student's ``train`` trains the grader's plain model; points by held-out accuracy (grader's forward)."""

    def run(ctx: Context) -> Verdict:
        d = draw(task, ctx.rng)
        sizes = [d.X_train.shape[1], *hidden, int(d.y_train.max()) + 1]
        outcome = ctx.procedure("lab_train", X=d.X_train.astype(np.float32), y=d.y_train, spec=plain_spec(sizes),
                                init_seed=d.init_seed, kwargs={**kwargs, "seed": d.train_seed})
        if not isinstance(outcome, Returned):
            return outcome_failure(outcome, "train")
        reports, problem = trained_runs(outcome, sizes)
        if reports is None:
            return mismatch_verdict_text("train", problem)
        logits = mlp_logits(reports[0]["weights_after"], d.X_test.astype(np.float32))
        acc = float(np.mean(logits.argmax(axis=1) == d.y_test))
        return accuracy_verdict(acc, task, "train", reveal=not sb.hidden,
                                hint="check the optimiser, the loss, the shuffling and the schedule")

    return sb.check("train", case, "accuracy", points, run, description, timeout=60.0)
