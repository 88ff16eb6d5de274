"""hw2's multistage net judged on its own: the right logits and gradients given the student's own layer
rules, which ``mlp_forward`` and ``mlp_backward`` presumably call (see ``grader.checks.own``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.base import Context
from grader.checks.own import helper


def own_mlp_forward(ctx: Context, args: tuple) -> Any:
    X, params, activation = args
    Z, cache = np.asarray(X, dtype=np.float64), []
    for k, (W, b) in enumerate(params):
        S = helper(ctx, "linear_forward", Z, W, b)
        cache.append([Z, S])
        Z = helper(ctx, f"{activation}_forward", S) if k < len(params) - 1 else S
    return [Z, cache]


def own_mlp_backward(ctx: Context, args: tuple) -> Any:
    dlogits, cache, params, activation = args
    grads, dS = [], np.asarray(dlogits, dtype=np.float64)
    for k in reversed(range(len(params))):
        dZ, dW, db = helper(ctx, "linear_backward", dS, cache[k][0], params[k][0], shape=[None, None, None])
        grads.append([dW, db])
        if k > 0:
            dS = helper(ctx, f"{activation}_backward", dZ, cache[k - 1][1])
    return grads[::-1]
