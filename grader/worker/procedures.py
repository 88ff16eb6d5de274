"""Worker-side procedures: drive student code through steps that cannot cross as data, and report data.

This module runs INSIDE the sandbox, next to untrusted code: it imports nothing from ``reference/`` or
the hidden suites, and computes no expected answer. Each procedure takes the student's module and a
payload of plain data and returns plain data (numbers, numeric arrays, lists and str-keyed dicts of
those); the grader judges it in its own process. Errors raised by student code propagate: the worker
reports them like any other call. torch is imported inside the lab procedures only.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

Payload = dict[str, Any]


def _numeric(value: Any, what: str) -> np.ndarray:
    """``value`` (an ndarray, a tensor, a number or a nested list) as a numeric ndarray, or TypeError."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{what} should be numbers or a numeric array; got {type(value).__name__}") from exc
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what} should be numbers or a numeric array; got {type(value).__name__} of {array.dtype}")
    return np.array(array)  # a copy that owns its data


def collect_minibatches(module: ModuleType, payload: Payload) -> Payload:
    """Run ``minibatches`` for ``epochs`` epochs with one generator ``default_rng(seed)`` and list the batches.

    Payload: ``X``, ``y``, ``batch_size``, ``seed``, ``epochs`` (default 1) and ``shuffle`` (omitted: the
    student's default). Returns ``{"epochs": [{"X": [Xb, ...], "y": [yb, ...]}, ...], "too_many": bool}``;
    an epoch stops after ``N + 1`` batches (no correct epoch has that many). ``X`` and ``y`` are handed over
    as they came (in memory the grader reads back after the call, to see whether they were changed).
    """
    X, y = payload["X"], payload["y"]
    rng = np.random.default_rng(payload["seed"])
    kwargs = {} if payload.get("shuffle") is None else {"shuffle": bool(payload["shuffle"])}
    epochs, too_many = [], False
    for _ in range(int(payload.get("epochs", 1))):
        Xs, ys = [], []
        for k, item in enumerate(module.minibatches(X, y, int(payload["batch_size"]), rng, **kwargs)):
            if k > len(X):
                too_many = True
                break
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                raise TypeError(f"minibatches should yield pairs (Xb, yb); batch {k} is a {type(item).__name__}")
            Xs.append(_numeric(item[0], f"Xb of batch {k}"))
            ys.append(_numeric(item[1], f"yb of batch {k}"))
        epochs.append({"X": Xs, "y": ys})
    return {"epochs": epochs, "too_many": too_many}


def _layer_report(module: Any) -> dict[str, Any]:
    """What one leaf module is: its class name, and the sizes (and whether it has a bias) of a Linear or
    the p of a Dropout."""
    import torch

    report: dict[str, Any] = {"kind": type(module).__name__}
    if isinstance(module, torch.nn.Linear):
        report.update(in_features=int(module.in_features), out_features=int(module.out_features),
                      bias=module.bias is not None)
    if isinstance(module, torch.nn.modules.dropout._DropoutNd):
        report["p"] = float(module.p)
    return report


def linear_weights(model: Any, modules: list | None = None) -> list[list[np.ndarray]]:
    """``[[W, b], ...]`` of the Linear layers among ``modules`` (default: the model's, in registration order),
    b zeros for a layer without bias."""
    import torch

    layers = []
    for m in model.modules() if modules is None else modules:
        if isinstance(m, torch.nn.Linear):
            W = m.weight.detach().double().numpy().copy()
            b = m.bias.detach().double().numpy().copy() if m.bias is not None else np.zeros(W.shape[0])
            layers.append([W, b])
    return layers


def _in_call_order(leaves: list, run: Callable[[], np.ndarray]) -> tuple[list, np.ndarray]:
    """The leaf modules in the order ``run()`` (one forward pass) calls them, which is the network's real
    order whatever order they were registered in; registration order if no call is seen. Also run's result."""
    calls: list = []
    handles = [m.register_forward_hook(lambda module, _, __: calls.append(module)) for m in leaves]
    try:
        out = run()
    finally:
        for handle in handles:
            handle.remove()
    return calls or leaves, out


def _forward(model: Any, X: Any, what: str) -> np.ndarray:
    import torch

    with torch.no_grad():
        out = model(X)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"{what}: the model returned a {type(out).__name__}, not a tensor of logits")
    return out.detach().double().numpy().copy()


def build(module: ModuleType, payload: Payload) -> Payload:
    """Build the student's model and report it as data.

    Payload: ``in_features``, ``hidden_sizes``, ``n_classes``, ``p_dropout`` (omitted: the default), ``X``
    and ``seed`` (``torch.manual_seed`` before building and before the train-mode forward). Returns the leaf
    modules in the order the forward pass calls them (``layers``), the Linear weights in that order
    (``weights``), two eval-mode outputs on ``X``
    (``eval_output``, ``eval_repeat``) and one train-mode output (``train_output``).
    """
    import torch

    args = [int(payload["in_features"]), [int(h) for h in payload["hidden_sizes"]], int(payload["n_classes"])]
    if payload.get("p_dropout") is not None:
        args.append(float(payload["p_dropout"]))
    torch.manual_seed(int(payload["seed"]))
    model = module.build_mlp(*args)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"build_mlp should return a torch.nn.Module; got {type(model).__name__}")
    containers = (torch.nn.Sequential, torch.nn.ModuleList, torch.nn.ModuleDict)  # an empty one is no layer
    leaves = [m for m in model.modules() if next(m.children(), None) is None and not isinstance(m, containers)]
    X = torch.as_tensor(np.asarray(payload["X"]), dtype=torch.float32)
    model.eval()
    order, eval_output = _in_call_order(leaves, lambda: _forward(model, X, "eval mode"))
    eval_repeat = _forward(model, X, "eval mode")
    model.train()
    torch.manual_seed(int(payload["seed"]) + 1)
    train_output = _forward(model, X, "train mode")
    return {
        "layers": [_layer_report(m) for m in order],
        "weights": linear_weights(model, order),
        "eval_output": eval_output,
        "eval_repeat": eval_repeat,
        "train_output": train_output,
    }


def sequential(spec: list, weights: list | None = None) -> Any:
    """The ``nn.Sequential`` a layer spec describes, item by item: ``["linear", n_in, n_out]`` (a fourth item
    False: without bias), ``["relu"]``, ``["dropout", p]``. With ``weights`` (``[[W, b], ...]``, W (out, in)),
    they are loaded into its Linear layers in order. The grader sends the spec: this only interprets it."""
    import torch
    from torch import nn

    makers: dict[str, Callable[..., nn.Module]] = {
        "linear": lambda n_in, n_out, bias=True: nn.Linear(int(n_in), int(n_out), bias=bool(bias)),
        "relu": nn.ReLU,
        "dropout": lambda p: nn.Dropout(float(p)),
    }
    layers = []
    for item in spec:
        if item[0] not in makers:
            raise ValueError(f"unknown layer {item[0]!r} in a model spec; known: {', '.join(makers)}")
        layers.append(makers[item[0]](*item[1:]))
    model = nn.Sequential(*layers)
    if weights is not None:
        linears = [m for m in model if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for layer, (W, b) in zip(linears, weights, strict=True):
                layer.weight.copy_(torch.as_tensor(np.asarray(W), dtype=torch.float32))
                if layer.bias is not None:
                    layer.bias.copy_(torch.as_tensor(np.asarray(b), dtype=torch.float32))
    return model


def _losses(value: Any) -> tuple[np.ndarray | None, str]:
    """The returned losses as a float array, or None and a description of what came back instead."""
    if not isinstance(value, (list, tuple)) and not hasattr(value, "__len__"):
        return None, f"a {type(value).__name__}"
    try:
        return np.array([float(v) for v in value], dtype=np.float64), ""
    except (TypeError, ValueError):
        return None, f"a {type(value).__name__} whose entries are not numbers"


def train(module: ModuleType, payload: Payload) -> Payload:
    """Train the grader's model (the layer ``spec`` of ``sequential``, initialised after
    ``torch.manual_seed(init_seed)``) with the student's ``train`` on ``X`` (float32) and ``y`` (int64), passing
    ``kwargs``; report losses and weights.

    ``runs`` (default 1) repeats this from the same initial weights and seed, with torch's global generator in
    another state each time (so only ``seed`` can make the runs agree). Returns ``{"runs": [run, ...]}`` with each
    run's ``losses`` (a float array, or None with ``losses_kind`` saying what came back) and the Linear
    weights before and after training (``weights_before``, ``weights_after``: ``[[W, b], ...]``).
    """
    import torch

    X = torch.as_tensor(np.asarray(payload["X"]), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(payload["y"]), dtype=torch.int64)
    runs = []
    for run in range(int(payload.get("runs", 1))):
        torch.manual_seed(int(payload["init_seed"]))
        model = sequential(payload["spec"])
        before = linear_weights(model)
        torch.manual_seed(int(payload["init_seed"]) + 1 + run)  # runs differ in torch's global state, not in seed
        losses, kind = _losses(module.train(model, X.clone(), y.clone(), **payload["kwargs"]))
        runs.append({"losses": losses, "losses_kind": kind, "weights_before": before,
                     "weights_after": linear_weights(model)})
    return {"runs": runs}


def predict(module: ModuleType, payload: Payload) -> Payload:
    """Make the grader's model (the layer ``spec`` of ``sequential``) with ``weights`` (``[[W, b], ...]``), leave
    it in TRAIN mode, and call the student's ``predict`` on ``X`` (float32).

    Returns ``labels`` (an array), ``container`` ("tensor", "ndarray" or the type's name) and, for every
    forward call, whether gradients were enabled and whether the model was in train mode.
    """
    import torch

    model = sequential(payload["spec"], payload["weights"])
    calls: list[dict[str, bool]] = []
    model.register_forward_pre_hook(lambda m, _: calls.append({"grad": torch.is_grad_enabled(), "train": m.training}))
    model.train()
    torch.manual_seed(int(payload.get("seed", 0)))
    result = module.predict(model, torch.as_tensor(np.asarray(payload["X"]), dtype=torch.float32))
    container = "tensor" if isinstance(result, torch.Tensor) else type(result).__name__
    return {"labels": _numeric(result, "predict's result"), "container": container, "forward_calls": calls}


PROCEDURES: dict[str, Callable[[ModuleType, Payload], Any]] = {
    "collect_minibatches": collect_minibatches,
    "lab_build": build,
    "lab_train": train,
    "lab_predict": predict,
}
