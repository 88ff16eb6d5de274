"""hw2 rules of the computational graph: fan-out (weighted sum), duplicate, add with broadcasting, max (a
tie sends the gradient to X1). Inputs for finite differences keep max's inputs apart; exact ties are
special cases of the suites."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from grader.checks.gradient import apart, upstream
from grader.checks.mistakes import MUTATED_INPUT, Mistake
from grader.checks.rules import Gradient, Rule, gradcheck, value
from grader.course.hw2.rules.activations import one

Gen = np.random.Generator
Shape = tuple[int, ...]


def weighted_sum(rng: Gen, N: int, K: int) -> dict[str, Any]:
    return {"z": rng.standard_normal(N), "w": rng.standard_normal(K)}


def weighted_sum_back(rng: Gen, N: int, K: int, with_z: bool = False) -> dict[str, Any]:
    d = {"dS": upstream(rng, (N, K)), "w": rng.standard_normal(K)}
    return {**d, "z": rng.standard_normal(N)} if with_z else d


def weighted_sum_grad(rng: Gen, N: int, K: int) -> dict[str, Any]:
    return weighted_sum_back(rng, N, K, with_z=True)


def duplicate_inputs(rng: Gen, shape: Shape) -> dict[str, Any]:
    return one(rng, shape, name="X")


def duplicate_back(rng: Gen, shape: Shape, with_X: bool = False) -> dict[str, Any]:
    d = {"dY1": upstream(rng, shape), "dY2": upstream(rng, shape)}
    return {**d, "X": rng.standard_normal(shape)} if with_X else d


def duplicate_grad(rng: Gen, shape: Shape) -> dict[str, Any]:
    return duplicate_back(rng, shape, with_X=True)


def add(rng: Gen, shape1: Shape, shape2: Shape) -> dict[str, Any]:
    return {"X1": rng.standard_normal(shape1), "X2": rng.standard_normal(shape2)}


def out_shape(shape1: Shape, shape2: Shape) -> Shape:
    return tuple(np.broadcast_shapes(shape1, shape2))


def add_back(rng: Gen, shape1: Shape, shape2: Shape) -> dict[str, Any]:
    """``(dY, shape1, shape2)`` with dY of the broadcast shape."""
    return {"dY": upstream(rng, out_shape(shape1, shape2)), "shape1": shape1, "shape2": shape2}


def add_grad(rng: Gen, shape1: Shape, shape2: Shape) -> dict[str, Any]:
    return {"dY": upstream(rng, out_shape(shape1, shape2)), "X1": rng.standard_normal(shape1),
            "X2": rng.standard_normal(shape2)}


def add_call(ref: Callable[..., Any], d: dict[str, Any]) -> tuple:
    """``add_backward``'s arguments from ``add_grad``'s inputs."""
    return d["dY"], d["X1"].shape, d["X2"].shape


def max_pair(rng: Gen, shape: Shape, ties: float = 0.0, with_dY: bool = True) -> dict[str, Any]:
    """``(dY, X1, X2)`` at least 0.1 apart, except a fraction ``ties`` of exact ties (X2 = X1)."""
    dY = upstream(rng, shape)
    X1, X2 = apart(rng, shape)
    tie = rng.random(shape) < ties
    X2[tie] = X1[tie]
    return {"dY": dY, "X1": X1, "X2": X2} if with_dY else {"X1": X1, "X2": X2}


def max_inputs(rng: Gen, shape: Shape, ties: float = 0.0) -> dict[str, Any]:
    """``max_forward``'s ``(X1, X2)``, drawn as ``max_pair`` draws them."""
    return max_pair(rng, shape, ties, with_dY=False)


# What each mistake answers, from the inputs d and the right answer e.
def _weighted_sum_transposed(d: dict, e: Any) -> Any:
    return np.outer(d["w"], d["z"])


def _branches_summed(d: dict, e: Any) -> Any:
    return d["z"] * d["w"].sum()


def _not_summed_over_branches(d: dict, e: Any) -> Any:
    return d["dS"] * d["w"]


def _one_array(d: dict, e: Any) -> Any:
    return d["X"]


def _halves(d: dict, e: Any) -> Any:
    return [d["X"] / 2, d["X"] / 2]


def _product(d: dict, e: Any) -> Any:
    return d["X1"] * d["X2"]


def _summed_over_batch_only(d: dict, e: Any) -> Any:
    dY = d["dY"]
    shapes = (d["shape1"], d["shape2"]) if "shape1" in d else (d["X1"].shape, d["X2"].shape)  # gradient checks' inputs
    return [dY if tuple(shape) == dY.shape else dY.sum(axis=0) for shape in shapes]


def _one_number(d: dict, e: Any) -> Any:
    return np.max([d["X1"], d["X2"]])


def _over_wrong_axis(d: dict, e: Any) -> Any:
    return np.stack([d["X1"], d["X2"]]).max(axis=1)


def _weighted_sum_no_w(d: dict, e: Any) -> Any:
    return d["dS"].sum(axis=1)


def _one_branch(d: dict, e: Any) -> Any:
    return d["dY1"]


def _add_not_summed(d: dict, e: Any) -> Any:
    return [d["dY"], d["dY"]]


def _ties_to_X2(d: dict, e: Any) -> Any:
    first = d["X1"] > d["X2"]
    return [np.where(first, d["dY"], 0.0), np.where(first, 0.0, d["dY"])]


def _ties_split(d: dict, e: Any) -> Any:
    tie = d["X1"] == d["X2"]
    return [np.where(tie, d["dY"] / 2, e[0]), np.where(tie, d["dY"] / 2, e[1])]


def _max_local(d: dict, e: Any) -> Any:
    return [(d["X1"] >= d["X2"]).astype(float), (d["X1"] < d["X2"]).astype(float)]


WEIGHTED_SUM_FORWARD = Rule(
    "weighted_sum_forward", weighted_sum, "S",
    (Mistake("weighted_sum_transposed", "the output of the fan-out is (N, K): s[n, i] = w_i · z_n",
             _weighted_sum_transposed),
     Mistake("weighted_sum_branches_summed", "the fan-out keeps one output per branch, s[n, i] = w_i · z_n of shape "
             "(N, K): the forward sums nothing", _branches_summed)),
    public=(value("basic", 1, 4, 3, description="s[n, i] = w_i z_n, shape (N, K)"),))
WEIGHTED_SUM_BACKWARD = Rule(
    "weighted_sum_backward", weighted_sum_back, "dz",
    (Mistake("weighted_sum_no_w", "each branch's gradient is weighted by its w_i: dz = Σ_i w_i dS[:, i]",
             _weighted_sum_no_w),
     Mistake("weighted_sum_backward_not_summed", "z feeds every branch, so its gradient sums them: dz = Σ_i w_i "
             "dS[:, i], shape (N,)", _not_summed_over_branches)),
    gradient=Gradient(weighted_sum_grad, ("dS", "w"), ("weighted_sum_forward", ("z", "w")), "z", "dS"),
    public=(value("values", 1, 4, 3, description="dz = Σ_i w_i dS[:, i]"),
            gradcheck("gradcheck", 1, 4, 3, description="finite differences of weighted_sum_forward")))
DUPLICATE_FORWARD = Rule(
    "duplicate_forward", duplicate_inputs, ("Y1", "Y2"),
    (Mistake("duplicate_single_output", "the duplicate node has two outputs: return a pair (X, X) of copies",
             _one_array),
     Mistake("duplicate_split", "each branch carries all of X: return (X, X), not two halves", _halves)),
    public=(value("basic", 1, (3, 4), description="(X, X) as two arrays"),))
DUPLICATE_BACKWARD = Rule(
    "duplicate_backward", duplicate_back, "dX",
    (Mistake("duplicate_one_branch", "both branches' gradients add up: dX = dY1 + dY2", _one_branch), MUTATED_INPUT),
    gradient=Gradient(duplicate_grad, ("dY1", "dY2"), ("duplicate_forward", ("X",)), "X", ("dY1", "dY2")),
    public=(value("values", 1, (3, 4), description="dY1 + dY2"),
            gradcheck("gradcheck", 0.5, (3, 2), description="finite differences of duplicate_forward")))
ADD_FORWARD = Rule(
    "add_forward", add, "Y",
    (MUTATED_INPUT, Mistake("add_multiplies", "the add node adds: Y = X1 + X2 (X1 * X2 is a multiply node)",
                            _product)),
    public=(value("row_broadcast", 1, (4, 3), (3,), description="(4, 3) + (3,) broadcast"),))
ADD_BACKWARD = Rule(
    "add_backward", add_back, ("dX1", "dX2"),
    (Mistake("add_not_summed", "sum dY over the axes that broadcasting stretched or added, so dX has its input's "
             "shape", _add_not_summed),
     Mistake("add_summed_over_batch_only", "sum over every axis that broadcasting added or stretched (keeping a "
             "stretched axis of size 1), not only over the batch axis", _summed_over_batch_only)),
    gradient=Gradient(add_grad, add_call, ("add_forward", ("X1", "X2")), ("X1", "X2"), "dY"),
    public=(value("row_broadcast", 1, (4, 3), (3,), description="a (3,) input gets dY summed over the batch"),
            gradcheck("gradcheck", 1, (4, 3), (3,), description="finite differences of add_forward")))
MAX_FORWARD = Rule(
    "max_forward", max_inputs, "Y",
    (Mistake("max_one_number", "np.max reduces to one number: the max node is elementwise, np.maximum(X1, X2)",
             _one_number),
     Mistake("max_over_wrong_axis", "stacked as np.stack([X1, X2]), the max is over axis 0, the stacking axis",
             _over_wrong_axis)),
    public=(value("basic", 1, (4, 3), description="elementwise max"),))
MAX_BACKWARD = Rule(
    "max_backward", max_pair, ("dX1", "dX2"),
    (Mistake("max_ties_to_X2", "on a tie (X1 == X2) the whole gradient goes to X1 (X1 >= X2)", _ties_to_X2),
     Mistake("max_ties_split", "on a tie the gradient is not split: all of it goes to X1", _ties_split),
     Mistake("forgot_dY", "this is only the local derivative h'(S): multiply by the upstream gradient dZ", _max_local)),
    gradient=Gradient(max_pair, ("dY", "X1", "X2"), ("max_forward", ("X1", "X2")), ("X1", "X2"), "dY"),
    public=(value("values", 1, (4, 3), description="the gradient goes to the larger input"),
            gradcheck("gradcheck", 1, (3, 3), description="finite differences of max_forward away from ties")))

RULES = (WEIGHTED_SUM_FORWARD, WEIGHTED_SUM_BACKWARD, DUPLICATE_FORWARD, DUPLICATE_BACKWARD, ADD_FORWARD,
         ADD_BACKWARD, MAX_FORWARD, MAX_BACKWARD)
