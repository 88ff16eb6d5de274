"""hw2's multistage net ("traditional neural net"): input makers, the pieces its finite-difference
checks need, and the net judged on its own — the right logits and gradients given the student's own
layer rules, which ``mlp_forward`` and ``mlp_backward`` presumably call (see ``grader.checks.own``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from grader.checks.compare import ANY
from grader.checks.gradient import upstream
from grader.checks.own import Helpers, Own
from grader.course.hw2 import mistakes as m

Gen = np.random.Generator
Make = Callable[[Gen], dict[str, Any]]


def logits_only(e: Any) -> Any:
    """``mlp_forward``'s expected answer with the cache left free."""
    return [e[0], ANY]


def _params(rng: Gen, sizes: Sequence[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    pairs = zip(sizes[:-1], sizes[1:], strict=True)
    return [(rng.standard_normal((o, i)) / np.sqrt(i), 0.5 * rng.standard_normal(o)) for i, o in pairs]


def _kink_free(X: np.ndarray, params: list, margin: float = 0.01) -> bool:
    """Whether every hidden pre-activation of a ReLU net is at least ``margin`` from 0."""
    Z = X
    for W, b in params[:-1]:
        S = Z @ W.T + b
        if np.min(np.abs(S)) < margin:
            return False
        Z = np.maximum(S, 0.0)
    return True


def mlp(N: int, sizes: Sequence[int], activation: str) -> Make:
    """``(X, params, activation)`` for layer sizes ``[D, H1, ..., C]``, ReLU nets kept off their kinks."""

    def make(rng: Gen) -> dict[str, Any]:
        while True:
            X, params = rng.standard_normal((N, sizes[0])), _params(rng, sizes)
            if activation != "relu" or _kink_free(X, params):
                return {"X": X, "params": params, "activation": activation}

    return make


def mlp_back(N: int, sizes: Sequence[int], activation: str) -> Make:
    """What ``mlp_backward`` needs before its cache: X, params, dlogits, activation."""
    net = mlp(N, sizes, activation)
    return lambda rng: {**net(rng), "dlogits": upstream(rng, (N, sizes[-1]))}


def with_cache(ref: Callable[..., Any], d: dict[str, Any]) -> dict[str, Any]:
    """``mlp_backward``'s arguments, with the cache of the REFERENCE forward."""
    cache = ref("mlp_forward", d["X"], d["params"], d["activation"])[1]
    return {"dlogits": d["dlogits"], "cache": cache, "params": d["params"], "activation": d["activation"]}


def mlp_grad(N: int, sizes: Sequence[int], activation: str) -> Make:
    """The layers as separate inputs W0, b0, W1, ... so finite differences can perturb each."""
    net = mlp_back(N, sizes, activation)

    def make(rng: Gen) -> dict[str, Any]:
        d = net(rng)
        layers = {f"{p}{k}": v for k, pair in enumerate(d.pop("params")) for p, v in zip("Wb", pair, strict=True)}
        return {**d, **layers}

    return make


def layers(d: dict[str, Any]) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(d[f"W{k}"], d[f"b{k}"]) for k in range(sum(key.startswith("W") for key in d))]


def mlp_grad_call(ref: Callable[..., Any], d: dict[str, Any]) -> tuple:
    params = layers(d)
    cache = ref("mlp_forward", d["X"], params, d["activation"])[1]
    return d["dlogits"], cache, params, d["activation"]


def mlp_logits(ref: Callable[..., Any], d: dict[str, Any]) -> Any:
    return ref("mlp_forward", d["X"], layers(d), d["activation"])[0]


def mlp_wrt(n_layers: int) -> list[tuple[str, str]]:
    return [(f"W{k}", f"b{k}") for k in range(n_layers)]


def mlp_names(n_layers: int) -> list[tuple[str, str]]:
    """Labels of ``mlp_backward``'s return in feedback: ``[("dW0", "db0"), ...]``."""
    return [(f"dW{k}", f"db{k}") for k in range(n_layers)]


# The net judged on its own (grader.checks.own): the right logits and gradients when the layer rules it calls
# make the mistakes their own checks caught.
def _mlp_forward_given(helpers: Helpers, args: tuple) -> Any:
    X, params, activation = args
    Z, cache = np.asarray(X, dtype=np.float64), []
    for k, (W, b) in enumerate(params):
        S = helpers("linear_forward", X=Z, W=W, b=b)
        cache.append([Z, S])
        Z = helpers(f"{activation}_forward", S=S) if k < len(params) - 1 else S
    return [Z, cache]


def _mlp_backward_given(helpers: Helpers, args: tuple) -> Any:
    dlogits, cache, params, activation = args
    grads, dS = [], np.asarray(dlogits, dtype=np.float64)
    for k in reversed(range(len(params))):
        dZ, dW, db = helpers("linear_backward", dY=dS, X=cache[k][0], W=params[k][0])
        grads.append([dW, db])
        if k > 0:
            dS = helpers(f"{activation}_backward", dZ=dZ, S=cache[k - 1][1])
    return grads[::-1]


own_mlp_forward = Own({"linear_forward": m.linear_forward}, _mlp_forward_given)
own_mlp_backward = Own({"linear_backward": m.linear_backward, "relu_backward": m.relu_backward,
                        "sigmoid_backward": m.sigmoid_backward, "tanh_backward": m.tanh_backward},
                       _mlp_backward_given)
