"""hw2 rules of the multistage graph ("traditional neural net": ``s_{k+1} = W_k z_k``, ``z_k = h(s_k)``, no
activation after the last layer): its inputs, the pieces its finite-difference checks need, and the net
judged on its own — the right logits and gradients given the student's own layer rules, which
``mlp_forward`` and ``mlp_backward`` presumably call (see ``grader.checks.own``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from grader.checks.compare import ANY
from grader.checks.gradient import upstream
from grader.checks.mistakes import Mistake
from grader.checks.own import Helpers, Own
from grader.checks.rules import Gradient, Rule, gradcheck, unchanged, value
from grader.course.hw2.rules.activations import ACTIVATIONS, RELU_BACKWARD, SIGMOID_BACKWARD, TANH_BACKWARD
from grader.course.hw2.rules.linear import LINEAR_BACKWARD, LINEAR_FORWARD, TRANSPOSED_DW

Gen = np.random.Generator


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


def mlp(rng: Gen, N: int, sizes: Sequence[int], activation: str) -> dict[str, Any]:
    """``(X, params, activation)`` for layer sizes ``[D, H1, ..., C]``, ReLU nets kept off their kinks."""
    while True:
        X, params = rng.standard_normal((N, sizes[0])), _params(rng, sizes)
        if activation != "relu" or _kink_free(X, params):
            return {"X": X, "params": params, "activation": activation}


def mlp_back(rng: Gen, N: int, sizes: Sequence[int], activation: str) -> dict[str, Any]:
    """What ``mlp_backward`` needs before its cache: X, params, dlogits, activation."""
    return {**mlp(rng, N, sizes, activation), "dlogits": upstream(rng, (N, sizes[-1]))}


def with_cache(ref: Callable[..., Any], d: dict[str, Any]) -> dict[str, Any]:
    """``mlp_backward``'s arguments, with the cache of the REFERENCE forward."""
    cache = ref("mlp_forward", d["X"], d["params"], d["activation"])[1]
    return {"dlogits": d["dlogits"], "cache": cache, "params": d["params"], "activation": d["activation"]}


def mlp_grad(rng: Gen, N: int, sizes: Sequence[int], activation: str) -> dict[str, Any]:
    """The layers as separate inputs W0, b0, W1, ... so finite differences can perturb each."""
    d = mlp_back(rng, N, sizes, activation)
    layers = {f"{p}{k}": v for k, pair in enumerate(d.pop("params")) for p, v in zip("Wb", pair, strict=True)}
    return {**d, **layers}


def layers(d: dict[str, Any]) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(d[f"W{k}"], d[f"b{k}"]) for k in range(sum(key.startswith("W") for key in d))]


def mlp_grad_call(ref: Callable[..., Any], d: dict[str, Any]) -> tuple:
    params = layers(d)
    cache = ref("mlp_forward", d["X"], params, d["activation"])[1]
    return d["dlogits"], cache, params, d["activation"]


def mlp_logits(ref: Callable[..., Any], d: dict[str, Any]) -> Any:
    return ref("mlp_forward", d["X"], layers(d), d["activation"])[0]


def mlp_wrt(d: dict[str, Any]) -> list[tuple[str, str]]:
    """The inputs each of ``mlp_backward``'s gradients is by: ``[("W0", "b0"), ...]``."""
    return [(f"W{k}", f"b{k}") for k in range(len(layers(d)))]


def mlp_names(d: dict[str, Any]) -> list[tuple[str, str]]:
    """Labels of ``mlp_backward``'s return in feedback: ``[("dW0", "db0"), ...]``, one pair per layer."""
    return [(f"dW{k}", f"db{k}") for k in range(len(d["params"]))]


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


# What each mistake answers, from the inputs d and the right answer e.
def _activation_on_logits(d: dict, e: Any) -> Any:
    logits, cache = e
    return [ACTIVATIONS[d["activation"]](logits), cache]


def _no_hidden_activation(d: dict, e: Any) -> Any:
    Z = np.asarray(d["X"], dtype=np.float64)
    for W, b in d["params"]:
        Z = Z @ W.T + b
    return [Z, ANY]


def _reversed(d: dict, e: Any) -> Any:
    return e[::-1]


def _all_transposed(d: dict, e: Any) -> Any:
    return [[dW.T, db] for dW, db in e]


MLP_FORWARD = Rule(
    "mlp_forward", mlp, ("logits", "cache"),
    (Mistake("mlp_activation_on_logits", "no activation after the last layer: the logits are the last linear output",
             _activation_on_logits),
     Mistake("mlp_no_hidden_activation", "apply the activation after every layer but the last: z_{k+1} = h(W_k z_k "
             "+ b_k)", _no_hidden_activation)),
    own=Own({"linear_forward": LINEAR_FORWARD.mistakes}, _mlp_forward_given),
    public=(value("cache", 1, 3, [3, 4, 2], "relu", description="the cache: one (Z, S) pair per layer"),
            unchanged("no_mutation", 0.5, 3, [3, 4, 2], "tanh", description="X and params unchanged")))
MLP_BACKWARD = Rule(
    "mlp_backward", mlp_back, mlp_names,
    (Mistake("mlp_grads_reversed", "return the gradients in the order of params (first layer first)", _reversed),
     Mistake(TRANSPOSED_DW.id, TRANSPOSED_DW.hint, _all_transposed)),
    gradient=Gradient(mlp_grad, mlp_grad_call, mlp_logits, mlp_wrt, "dlogits"),
    own=Own({"linear_backward": LINEAR_BACKWARD.mistakes, "relu_backward": RELU_BACKWARD.mistakes,
             "sigmoid_backward": SIGMOID_BACKWARD.mistakes, "tanh_backward": TANH_BACKWARD.mistakes},
            _mlp_backward_given),
    prepare=with_cache,
    public=(value("values", 1, 5, [4, 6, 3], "relu", description="[(dW, db)] of a 2-layer ReLU net"),
            gradcheck("gradcheck", 1, 4, [3, 5, 2], "relu",
                      description="finite differences of mlp_forward by every weight and bias")))

RULES = (MLP_FORWARD, MLP_BACKWARD)
