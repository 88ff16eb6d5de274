"""Worker-side procedures of the lab: drive a student's torch code with the grader's data, and report values.

Runs INSIDE the sandbox, in the student's process, so nothing here is trusted by the grader: a notebook can
replace any of these functions (or torch itself) at import. They are a convenience for honest code; the grader
chooses the weights, inputs and seeds, and judges only the values that come back against what it computes in
its own process (``grader.checks.lab_*``). A forgery therefore has to compute the right values on inputs it
has never seen. torch is imported inside the functions, so the numpy-only worker never loads it.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

Payload = dict[str, Any]


# torch's and the global generators' own functions, kept by the torch worker's preload before any notebook ran
# (``keep_own_functions``): a notebook that replaces torch.manual_seed or nn.Dropout.forward changes its own code,
# not how the grader's procedures seed the generators or drop units in the grader's models. One that reaches this
# module (it runs in the same process) can alter them too: the README's open channel.
_OWN: dict[str, Callable[..., Any]] = {}


def keep_own_functions() -> None:
    """Keep the seeding and dropout the procedures use (the torch worker calls this once, after importing torch)."""
    import torch

    _OWN.update(seed_torch=torch._C.default_generator.manual_seed, seed_numpy=np.random.seed, seed_python=random.seed,
                dropout=torch._C._VariableFunctions.dropout)


def _seed(state: int, *, everything: bool = False) -> None:
    """torch's global generator seeded with ``state`` (and numpy's and Python's, ``everything``)."""
    import torch

    _OWN.get("seed_torch", torch.manual_seed)(state)
    if everything:
        _OWN.get("seed_numpy", np.random.seed)(state % 2**32)
        _OWN.get("seed_python", random.seed)(state)


def linear_weights(model: Any) -> list[list[np.ndarray]]:
    """``[[W, b], ...]`` of the model's Linear layers in registration order (float64 copies; b zeros for a
    layer without bias). Used on the grader's own ``nn.Sequential`` models, whose order is the forward's."""
    import torch

    layers = []
    for m in model.modules():
        if isinstance(m, torch.nn.Linear):
            W = m.weight.detach().double().numpy().copy()
            b = m.bias.detach().double().numpy().copy() if m.bias is not None else np.zeros(W.shape[0])
            layers.append([W, b])
    return layers


def _forward(model: Any, X: Any, what: str) -> np.ndarray:
    """The model's output on X, computed without a graph, as a float64 array (TypeError naming ``what`` if the
    model returns something other than a tensor)."""
    import torch

    with torch.no_grad():
        out = model(X)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"{what}: the model returned a {type(out).__name__}, not a tensor of logits")
    return out.detach().double().numpy().copy()


def _linears_in_call_order(model: Any, probe: Any) -> list:
    """The model's nn.Linear modules in the order one eval-mode forward on ``probe`` first calls them."""
    import torch

    calls: list = []
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    # Each hook notes its own layer, not the module it is handed, which a patched torch may replace.
    hooks = [m.register_forward_pre_hook(lambda _module, _inputs, m=m: calls.append(m)) for m in linears]
    try:
        model.eval()
        _forward(model, probe, "a forward pass")
    finally:
        for hook in hooks:
            hook.remove()
    return list(dict.fromkeys(calls))


def _ordered_parameters(model: Any, shapes: list, probe: Any) -> list | None:
    """The model's parameters in an order whose shapes are ``shapes`` (``[W1, b1, W2, b2, ...]``): its Linear
    layers' weight and bias in the order the forward calls them, else its parameters in registration order.
    None if neither fits. Only a convenience for honest models: the grader judges the outputs, not this."""
    wanted = [tuple(int(n) for n in shape) for shape in shapes]
    called = [p for m in _linears_in_call_order(model, probe) for p in (m.weight, m.bias) if p is not None]
    for params in (called, list(model.parameters())):
        if [tuple(p.shape) for p in params] == wanted:
            return params
    return None


def build(module: ModuleType, payload: Payload) -> Payload:
    """Build the student's model and return what it computes, as data.

    Payload: ``in_features``, ``hidden_sizes``, ``n_classes``, ``p_dropout`` (omitted: the default), ``seed``
    (``torch.manual_seed`` before building; ``seed + k`` before each forward below), ``shapes`` (the parameter
    shapes ``[W1, b1, ..., W_last, b_last]`` of the expected model) and optionally ``weights`` (arrays of those
    shapes, loaded into the model's parameters), ``X`` (eval-mode inputs) and ``X_train`` (train-mode inputs).

    Returns ``shapes_found`` (the model's parameter shapes in registration order) and, when its parameters
    fit ``shapes``: ``initial`` (their values as built, in that order), ``eval`` (two eval-mode outputs on ``X``,
    under different states of torch's global generator) and ``train`` (two train-mode outputs on ``X_train``, under
    two more states); with ``upstream`` (an array shaped like the output on ``X``), ``gradients``: each parameter's
    gradient of ``sum(model(X) * upstream)`` in train mode, in ``shapes``' order (zeros for one that got none; None
    when the output carries no gradient at all); with ``step_lr`` too, ``stepped``: the parameters after one
    ``torch.optim.SGD(model.parameters(), lr=step_lr)`` step on those gradients, and ``gradients_again``: the same
    gradients once more, the loaded weights put back; with ``upstream_train``, ``train_gradients``: each train-mode
    pass's gradients of ``sum(model(X_train) * upstream_train)``, from the forward that gave its output.
    """
    import torch

    in_features = int(payload["in_features"])
    args: list[Any] = [in_features, [int(h) for h in payload["hidden_sizes"]], int(payload["n_classes"])]
    if payload.get("p_dropout") is not None:
        args.append(float(payload["p_dropout"]))
    seed = int(payload["seed"])
    _seed(seed)
    model = module.build_mlp(*args)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"build_mlp should return a torch.nn.Module; got {type(model).__name__}")
    report: Payload = {"shapes_found": [list(p.shape) for p in model.parameters()]}
    params = _ordered_parameters(model, payload["shapes"], torch.zeros(1, in_features))
    if params is None:
        return report
    report["initial"] = [p.detach().double().numpy().copy() for p in params]
    if payload.get("weights") is not None:
        with torch.no_grad():
            for p, value in zip(params, payload["weights"], strict=True):
                p.copy_(torch.as_tensor(np.asarray(value), dtype=p.dtype))
    if payload.get("X") is not None:
        X = torch.as_tensor(np.asarray(payload["X"]), dtype=torch.float32)
        model.eval()
        report["eval"] = []
        for k in (1, 2):
            _seed(seed + k)
            report["eval"].append(_forward(model, X.clone(), "eval mode"))
        if payload.get("upstream") is not None:
            model.train()  # the mode a training loop runs it in
            upstream = np.asarray(payload["upstream"])
            report["gradients"] = _gradients(model, params, X, upstream, "train mode")[1]
            if payload.get("step_lr") is not None:
                report.update(_stepped(model, params, X, upstream, float(payload["step_lr"]), payload["weights"]))
    if payload.get("X_train") is not None:
        X_train = torch.as_tensor(np.asarray(payload["X_train"]), dtype=torch.float32)
        upstream_train = payload.get("upstream_train")
        model.train()
        report["train"], report["train_gradients"] = [], []
        for k in (3, 4):
            _seed(seed + k)
            if upstream_train is None:
                report["train"].append(_forward(model, X_train.clone(), "train mode"))
                continue
            out, grads = _gradients(model, params, X_train, np.asarray(upstream_train), "train mode")
            report["train"].append(out)
            report["train_gradients"].append(grads)
    return report


def _gradients(model: Any, params: list, X: Any, upstream: np.ndarray, what: str
               ) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """The model's output on X and ``params``' gradients of ``sum(model(X) * upstream)`` from that one forward (so
    a train-mode pass's gradients go with the mask its output shows): zeros for a parameter that got none, None
    if the output carries no gradient at all."""
    import torch

    for p in params:
        p.grad = None
    with torch.enable_grad():
        out = model(X.clone())
        if not isinstance(out, torch.Tensor):
            raise TypeError(f"{what}: the model returned a {type(out).__name__}, not a tensor of logits")
        value = out.detach().double().numpy().copy()
        if not out.requires_grad:
            return value, None
        (out * torch.as_tensor(upstream, dtype=out.dtype)).sum().backward()
    return value, [np.zeros(tuple(p.shape)) if p.grad is None else p.grad.detach().double().numpy().copy()
                   for p in params]


def _stepped(model: Any, params: list, X: Any, upstream: np.ndarray, lr: float, weights: list) -> Payload:
    """One SGD step on ``model.parameters()`` with the gradients ``params`` hold (as a training loop takes it):
    ``stepped``, the parameters after it; then the loaded ``weights`` put back and ``gradients_again``."""
    import torch

    torch.optim.SGD(model.parameters(), lr=lr).step()
    stepped = [p.detach().double().numpy().copy() for p in params]
    with torch.no_grad():
        for p, value in zip(params, weights, strict=True):
            p.copy_(torch.as_tensor(np.asarray(value), dtype=p.dtype))
    return {"stepped": stepped, "gradients_again": _gradients(model, params, X, upstream, "train mode")[1]}


@functools.cache
def _dropout_class() -> type:
    """nn.Dropout as the grader's models drop units: through torch's own dropout, kept before any notebook ran."""
    from torch import nn

    class GraderDropout(nn.Dropout):
        def forward(self, x: Any) -> Any:
            return _OWN.get("dropout", nn.functional.dropout)(x, self.p, self.training)

    return GraderDropout


def sequential(spec: list, weights: list | None = None) -> Any:
    """The ``nn.Sequential`` a layer spec describes, item by item: ``["linear", n_in, n_out]`` (a fourth item
    False: without bias), ``["relu"]``, ``["dropout", p]``. With ``weights`` (``[[W, b], ...]``, W (out, in)),
    they are loaded into its Linear layers in order. The grader sends the spec: this only interprets it."""
    import torch
    from torch import nn

    makers: dict[str, Callable[..., nn.Module]] = {
        "linear": lambda n_in, n_out, bias=True: nn.Linear(int(n_in), int(n_out), bias=bool(bias)),
        "relu": nn.ReLU,
        "dropout": lambda p: _dropout_class()(float(p)),
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
    """Train the grader's model (the layer ``spec`` of ``sequential`` with the grader's initial ``weights``) with
    the student's ``train`` on ``X`` (float32) and ``y`` (int64), passing ``kwargs``, with torch's, numpy's and
    Python's global generators seeded from ``torch_seed`` (so that a run can differ from another only through them).

    Returns ``losses`` (a float array, or None with ``losses_kind`` saying what came back) and ``weights``, the
    Linear weights after training (``[[W, b], ...]``).
    """
    import torch

    X = torch.as_tensor(np.asarray(payload["X"]), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(payload["y"]), dtype=torch.int64)
    model = sequential(payload["spec"], payload["weights"])
    _seed(int(payload["torch_seed"]), everything=True)
    losses, kind = _losses(module.train(model, X, y, **payload["kwargs"]))
    return {"losses": losses, "losses_kind": kind, "weights": linear_weights(model)}


def predict(module: ModuleType, payload: Payload) -> Payload:
    """Make the grader's model (the layer ``spec`` of ``sequential``) with ``weights`` (``[[W, b], ...]``), leave
    it in TRAIN mode, and call the student's ``predict`` on ``X`` (float32); then once more, the model put back
    in train mode and torch's global generator in another state.

    Returns both results as they are (``labels``, ``again``): tensors cross as arrays, anything else as itself.
    """
    import torch

    model = sequential(payload["spec"], payload["weights"])
    X = torch.as_tensor(np.asarray(payload["X"]), dtype=torch.float32)
    results = []
    for k in (0, 1):
        model.train()
        _seed(int(payload["seed"]) + k)
        results.append(module.predict(model, X.clone()))
    return {"labels": results[0], "again": results[1]}
