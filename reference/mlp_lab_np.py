"""The lab's reference training in numpy, for the grader: ``fit_layers`` trains build_mlp's initial weights in a
judge (``lab.build_mlp.hidden.trains``), which then never imports torch (about 1.8 s of CPU a run, and 0.7 s of
training in torch against 0.2 s here).

It is ``reference.mlp_lab.train`` on a model of Linear and ReLU layers, written out: the same batches in the same
order (torch's permutations, reproduced by ``torch_randperm``), the same mean cross-entropy, SGD's update with
weight decay on every parameter, and StepLR's decay. The arithmetic is float64 instead of train's float32, so
the weights agree with train's to rounding, not bit for bit (``tests/test_lab_numpy_training.py`` compares the two); in
float64 the values a float32 model starts from stay far from the denormal range, where arithmetic is a hundred
times slower, and ``budget_seconds`` bounds the rest.

Shapes: X ``(N, D)``, y ``(N,)`` integer labels, a Linear's W ``(out, in)`` and b ``(out,)``; a layer spec is
``grader.course.lab.models``' (``["linear", n_in, n_out]``, ``["relu"]``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import numpy as np

from grader.course.lab.separable import cross_entropy

Weights = list[list[np.ndarray]]
MAX_PERMUTED = 2**32 // 20  # torch.randperm draws 32-bit numbers below this length, 64-bit ones above


def torch_randperm(n: int, seed: int) -> Iterator[np.ndarray]:
    """The permutations of ``range(n)`` that successive ``torch.randperm(n, generator=g)`` calls return, with
    ``g = torch.Generator().manual_seed(seed)``: torch's Fisher-Yates shuffle (``r[i]`` swapped with ``r[i + z]``,
    ``z = u % (n - i)``) on the 32-bit outputs ``u`` of the Mersenne Twister seeded with ``seed``'s low 32 bits,
    which numpy's ``RandomState`` seeds alike."""
    if not 0 < n < MAX_PERMUTED:
        raise ValueError(f"torch_randperm reproduces torch for 0 < n < {MAX_PERMUTED}, not n = {n}")
    source = np.random.RandomState(int(seed) & 0xFFFF_FFFF)
    spans = np.arange(n, 1, -1, dtype=np.uint64)
    while True:
        raw = source.randint(0, 2**32, size=n - 1, dtype=np.uint64)  # the full range: the twister's own outputs
        offsets = (raw % spans).tolist()
        order = list(range(n))
        for i, z in enumerate(offsets):
            order[i], order[i + z] = order[i + z], order[i]
        yield np.array(order)


def _linear_layers(layers: Sequence[Sequence], weights: Sequence[Sequence[np.ndarray]]) -> list[bool]:
    """For each layer of the spec, True for a Linear and False for a ReLU; a ValueError for anything else or for
    weights that do not fit the spec."""
    kinds = []
    for layer in layers:
        if layer[0] == "linear" and (len(layer) < 4 or layer[3]):
            kinds.append(True)
        elif layer[0] == "relu":
            kinds.append(False)
        else:
            raise ValueError(f"fit_layers trains Linear layers with biases and ReLUs, not {layer!r}")
    shapes = [[(layer[2], layer[1]), (layer[2],)] for layer, linear in zip(layers, kinds, strict=True) if linear]
    if [[np.shape(a) for a in pair] for pair in weights] != shapes:
        raise ValueError(f"fit_layers: weights of shapes {[[np.shape(a) for a in p] for p in weights]} for layers "
                         f"that need {shapes}")
    return kinds


def sgd_train(layers: Sequence[Sequence], weights: Sequence[Sequence[np.ndarray]], X: np.ndarray, y: np.ndarray, *,
              epochs: int, lr: float, batch_size: int, weight_decay: float = 0.0, step_size: int | None = None,
              gamma: float = 0.1, seed: int = 0, budget_seconds: float | None = None) -> tuple[Weights, list[float]]:
    """``train`` (``reference.mlp_lab``) on the model ``layers`` with initial ``weights``: the trained weights
    ``[[W, b], ...]`` (float64) and the per-epoch mean losses. X is read as float32 (what train is given), then
    computed on in float64. Per batch B: the loss is the mean over B of ``logsumexp(z) - z[y]`` for the logits z;
    each parameter p moves by ``-lr * (grad + weight_decay * p)``; after every ``step_size``-th epoch,
    ``lr *= gamma``. With ``budget_seconds``, a batch that starts after that many seconds raises TimeoutError."""
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    kinds = _linear_layers(layers, weights)
    params = [[np.array(W, np.float64), np.array(b, np.float64)] for W, b in weights]
    X = np.asarray(X, np.float32).astype(np.float64)
    y = np.asarray(y, np.int64)
    n = X.shape[0]
    orders = torch_randperm(n, seed)
    losses = []
    for epoch in range(1, epochs + 1):
        order = next(orders)
        total = 0.0
        for start in range(0, n, batch_size):
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"training took longer than its budget of {budget_seconds:g} s")
            batch = order[start:start + batch_size]
            total += _step(kinds, params, X[batch], y[batch], lr, weight_decay) * len(batch)
        losses.append(total / n)
        if step_size and epoch % step_size == 0:
            lr = lr * gamma
    return params, losses


def _step(kinds: list[bool], params: Weights, X: np.ndarray, y: np.ndarray, lr: float, weight_decay: float) -> float:
    """One SGD step on the batch (X, y), in place on ``params``; the batch's mean loss before it."""
    inputs, h, k = [], X, 0
    for linear in kinds:  # forward, keeping each layer's input
        inputs.append(h)
        if linear:
            W, b = params[k]
            h, k = h @ W.T + b, k + 1
        else:
            h = np.maximum(h, 0.0)
    losses, grad = cross_entropy(h, y)  # per sample, and d loss / d logits = softmax - one-hot
    grad /= len(y)
    updates = []
    for linear, x in zip(reversed(kinds), reversed(inputs), strict=True):  # backward
        if linear:
            k -= 1
            W, b = params[k]
            updates.append((k, grad.T @ x, grad.sum(axis=0)))
            grad = grad @ W
        else:
            grad = grad * (x > 0)  # torch's ReLU passes no gradient at 0
    for k, dW, db in updates:
        for p, g in zip(params[k], (dW, db), strict=True):
            p -= lr * (g + weight_decay * p if weight_decay else g)
    return float(np.mean(losses))


def fit_layers(layers: list, weights: list, X: np.ndarray, y: np.ndarray, *, seed: int = 0,
               budget_seconds: float | None = None, **config) -> Weights:
    """Train the model ``layers`` from its initial Linear ``weights`` as ``train`` does (``sgd_train``) and return
    its trained weights ``[[W, b], ...]`` (float64 arrays, W ``(out, in)``). Not a graded function: the grader's
    check that build_mlp's initial weights can learn. ``config``: train's epochs, lr, batch_size, weight_decay,
    step_size and gamma."""
    trained, _ = sgd_train(layers, weights, X, y, seed=seed, budget_seconds=budget_seconds, **config)
    return trained
