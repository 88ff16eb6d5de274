"""hw2 reference (backprop rules): numpy against finite differences, against hand-written torch
autograd Functions and against plain torch autograd; the kink conventions; purity of every function.

Every rule is an entry of one catalogue, so each test runs over all rules and several shapes.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

import reference.backprop_np as bnp
import reference.backprop_torch as bt
from grader.course.hw2.rules import RULES as GRADER_RULES

# (N, D, K): a batch of one, and non-square weights both ways.
SHAPES = [(1, 3, 2), (4, 5, 3), (6, 2, 7)]
TORCH_TOL = {"rtol": 1e-10, "atol": 1e-10}


def _away_from_zero(rng: np.random.Generator, shape: tuple, low: float) -> np.ndarray:
    """Magnitudes in [low, 2] with random signs: keeps a centred difference off a kink."""
    return rng.uniform(low, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _pairs(flat: tuple) -> list[tuple]:
    return list(zip(flat[::2], flat[1::2], strict=True))


def _flatten(x: Any) -> list:
    """Arrays/tensors/numbers of nested tuples and lists (an MLP's [(dW, db), ...]) in order."""
    return [leaf for item in x for leaf in _flatten(item)] if isinstance(x, (tuple, list)) else [x]


@dataclass(frozen=True)
class Rule:
    name: str
    forward: Callable  # numpy forward(*inputs)
    backward: Callable  # (inputs, upstream) -> what the numpy backward returns
    torch_function: Callable  # the hand-written autograd Function(s), called like forward
    torch_plain: Callable  # plain torch ops, autograd's own backward
    make: Callable  # (rng, N, D, K) -> inputs
    wrt: tuple[int, ...]  # the inputs the numpy backward returns gradients for, in order

    def __str__(self) -> str:
        return self.name


def _mlp_rule(activation: str) -> Rule:
    def forward(X, *flat):
        return bnp.mlp_forward(X, _pairs(flat), activation)[0]

    def backward(inputs, dlogits):
        X, params = inputs[0], _pairs(inputs[1:])
        return bnp.mlp_backward(dlogits, bnp.mlp_forward(X, params, activation)[1], params, activation)

    def make(rng, N, D, K):
        sizes = [D, 4, 3, K]  # two hidden layers: h' is chained twice
        layers = [(rng.normal(size=(o, i)), rng.normal(size=o)) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
        return (rng.normal(size=(N, D)), *_flatten(layers))

    return Rule(
        f"mlp_{activation}",
        forward,
        backward,
        lambda X, *flat: bt.mlp_forward(X, _pairs(flat), activation, custom=True),
        lambda X, *flat: bt.mlp_forward(X, _pairs(flat), activation),
        make,
        wrt=tuple(range(1, 7)),
    )


def _add_rule(name: str, shapes: Callable) -> Rule:
    return Rule(
        f"add_{name}",
        bnp.add_forward,
        lambda i, dY: bnp.add_backward(dY, i[0].shape, i[1].shape),
        bt.Add.apply,
        bt.add_forward,
        lambda rng, N, D, K: tuple(rng.normal(size=s) for s in shapes(N, D)),
        wrt=(0, 1),
    )


def _activation_rule(name: str, low: float, function: type) -> Rule:
    return Rule(
        name,
        getattr(bnp, f"{name}_forward"),
        lambda i, dZ: getattr(bnp, f"{name}_backward")(dZ, i[0]),
        function.apply,
        getattr(bt, f"{name}_forward"),
        lambda rng, N, D, K: (_away_from_zero(rng, (N, D), low),),
        wrt=(0,),
    )


def _max_inputs(rng, N, D, K):
    X1 = rng.normal(size=(N, D))
    return X1, X1 + _away_from_zero(rng, (N, D), 0.1)  # no ties: |X1 - X2| >= 0.1


RULES = [
    Rule(
        "linear",
        bnp.linear_forward,
        lambda i, dY: bnp.linear_backward(dY, i[0], i[1]),
        bt.Linear.apply,
        bt.linear_forward,
        lambda rng, N, D, K: (rng.normal(size=(N, D)), rng.normal(size=(K, D)), rng.normal(size=K)),
        wrt=(0, 1, 2),
    ),
    _activation_rule("relu", 1e-2, bt.ReLU),
    _activation_rule("sigmoid", 0.0, bt.Sigmoid),
    _activation_rule("tanh", 0.0, bt.Tanh),
    Rule(
        "weighted_sum",
        bnp.weighted_sum_forward,
        lambda i, dS: bnp.weighted_sum_backward(dS, i[1]),
        bt.WeightedSum.apply,
        bt.weighted_sum_forward,
        lambda rng, N, D, K: (rng.normal(size=N), rng.normal(size=K)),
        wrt=(0,),
    ),
    Rule(
        "duplicate",
        bnp.duplicate_forward,
        lambda i, dY: bnp.duplicate_backward(*dY),
        bt.Duplicate.apply,
        bt.duplicate_forward,
        lambda rng, N, D, K: (rng.normal(size=(N, D)),),
        wrt=(0,),
    ),
    _add_rule("same", lambda N, D: [(N, D), (N, D)]),
    _add_rule("row", lambda N, D: [(N, D), (D,)]),
    _add_rule("column", lambda N, D: [(N, D), (N, 1)]),
    _add_rule("outer", lambda N, D: [(1, D), (N, 1)]),
    _add_rule("first_broadcast", lambda N, D: [(D,), (N, D)]),
    Rule(
        "max",
        bnp.max_forward,
        lambda i, dY: bnp.max_backward(dY, *i),
        bt.Max.apply,
        bt.max_forward,
        _max_inputs,
        wrt=(0, 1),
    ),
    Rule(
        "mse",
        bnp.mse_forward,
        lambda i, _: bnp.mse_backward(*i),
        bt.MSE.apply,
        bt.mse_forward,
        lambda rng, N, D, K: (rng.normal(size=(N, K)), rng.normal(size=(N, K))),
        wrt=(0,),
    ),
    Rule(
        "softmax_cross_entropy",
        bnp.softmax_cross_entropy_forward,
        lambda i, _: bnp.softmax_cross_entropy_backward(*i),
        bt.SoftmaxCrossEntropy.apply,
        bt.softmax_cross_entropy_forward,
        lambda rng, N, D, K: (2 * rng.normal(size=(N, K)), rng.integers(0, K, size=N)),
        wrt=(0,),
    ),
    *(_mlp_rule(a) for a in ("relu", "sigmoid", "tanh")),
]


@pytest.fixture
def rng(request) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(request.node.name.encode()))


def _upstream(rng: np.random.Generator, out: Any) -> Any:
    """A random upstream gradient shaped like the output (never all ones); 1.0 for a scalar cost."""
    if isinstance(out, tuple):
        return tuple(_upstream(rng, o) for o in out)
    return rng.normal(size=out.shape) if isinstance(out, np.ndarray) else 1.0


def _tensor(a: Any, grad: bool) -> torch.Tensor:
    if np.issubdtype(np.asarray(a).dtype, np.integer):
        return torch.as_tensor(a)  # labels: int64, no gradient
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def _torch_grads(forward: Callable, rule: Rule, inputs: tuple, upstream: Any) -> tuple[list, list]:
    """(outputs, gradients of Σ upstream·output w.r.t. the inputs in ``rule.wrt``) as numpy."""
    tensors = [_tensor(a, i in rule.wrt) for i, a in enumerate(inputs)]
    outs = _flatten(forward(*tensors))
    ups = [torch.as_tensor(np.asarray(u), dtype=torch.float64) for u in _flatten(upstream)]
    grads = torch.autograd.grad(outs, [tensors[i] for i in rule.wrt], grad_outputs=ups)
    return [o.detach().numpy() for o in outs], [g.numpy() for g in grads]


def _numeric_grad(objective: Callable, inputs: tuple, index: int, h: float = 1e-5) -> np.ndarray:
    """Central differences of a scalar objective w.r.t. ``inputs[index]``, written independently of the reference."""
    x = inputs[index].astype(np.float64)
    grad = np.zeros_like(x)
    for j in np.ndindex(x.shape):
        values = []
        for step in (h, -h):
            bumped = x.copy()
            bumped[j] += step
            values.append(objective(*inputs[:index], bumped, *inputs[index + 1 :]))
        grad[j] = (values[0] - values[1]) / (2 * h)
    return grad


def _rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Relative error as in CS231n's gradient-check notes, over the whole array: ‖a − b‖ / max(1e-8, ‖a‖ + ‖b‖).

    Per element, an entry near 0 turns float64 round-off of the cost (≈ 1e-11 here) into a large ratio.
    """
    return float(np.linalg.norm(a - b) / max(1e-8, np.linalg.norm(a) + np.linalg.norm(b)))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("rule", RULES, ids=str)
def test_backward_passes_gradient_check(rule, shape, rng):
    inputs = rule.make(rng, *shape)
    upstream = _upstream(rng, rule.forward(*inputs))

    def objective(*xs):
        outs, ups = _flatten(rule.forward(*xs)), _flatten(upstream)
        return sum(float(np.sum(u * o)) for u, o in zip(ups, outs, strict=True))

    analytic = _flatten(rule.backward(inputs, upstream))
    assert len(analytic) == len(rule.wrt)
    for index, grad in zip(rule.wrt, analytic, strict=True):
        assert grad.shape == inputs[index].shape
        assert _rel_error(grad, _numeric_grad(objective, inputs, index)) < 1e-7, f"input {index}"


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("oracle", ["function", "plain"])
@pytest.mark.parametrize("rule", RULES, ids=str)
def test_matches_torch(rule, oracle, shape, rng):
    inputs = rule.make(rng, *shape)
    outputs = _flatten(rule.forward(*inputs))
    upstream = _upstream(rng, rule.forward(*inputs))
    forward = rule.torch_function if oracle == "function" else rule.torch_plain
    torch_outputs, torch_grads = _torch_grads(forward, rule, inputs, upstream)
    for ours, theirs in zip(outputs, torch_outputs, strict=True):
        np.testing.assert_allclose(ours, theirs, **TORCH_TOL)
    for ours, theirs in zip(_flatten(rule.backward(inputs, upstream)), torch_grads, strict=True):
        np.testing.assert_allclose(ours, theirs, **TORCH_TOL)


@pytest.mark.parametrize("rule", RULES, ids=str)
def test_torch_function_passes_gradcheck(rule, rng):
    inputs = rule.make(rng, 3, 4, 2)
    tensors = [_tensor(a, True) for a in inputs]  # every float input, the ones numpy skips too
    assert torch.autograd.gradcheck(rule.torch_function, tensors)


@pytest.mark.parametrize("rule", RULES, ids=str)
def test_inputs_untouched_and_outputs_new(rule, rng):
    inputs = rule.make(rng, 4, 3, 2)
    upstream = _upstream(rng, rule.forward(*inputs))
    given = _flatten([inputs, upstream])
    saved = [np.copy(a) for a in given]
    for result in _flatten([rule.forward(*inputs), rule.backward(inputs, upstream)]):
        assert not any(np.shares_memory(result, a) for a in given if isinstance(result, np.ndarray))
    for before, after in zip(saved, given, strict=True):
        np.testing.assert_array_equal(before, after)


# ---------------------------------------------------------------- conventions at kinks and ties


def test_relu_gradient_passes_at_zero(rng):
    S = np.array([[-1.0, 0.0, 2.0], [0.0, -0.0, -3.0]])
    dZ = rng.normal(size=S.shape)
    expected = np.where(S >= 0, dZ, 0.0)
    np.testing.assert_array_equal(bnp.relu_backward(dZ, S), expected)
    assert bnp.relu_backward(dZ, S)[0, 1] == dZ[0, 1]
    for forward in (bt.ReLU.apply, bt.relu_forward):
        St = torch.tensor(S, requires_grad=True)
        forward(St).backward(torch.tensor(dZ))
        np.testing.assert_array_equal(St.grad.numpy(), expected)


def test_max_ties_go_to_first_input(rng):
    X1 = rng.normal(size=(3, 4))
    X2 = X1.copy()
    X2[0] -= 1.0  # one row where X1 wins outright, the rest ties
    dY = rng.normal(size=X1.shape)
    dX1, dX2 = bnp.max_backward(dY, X1, X2)
    np.testing.assert_array_equal(dX1, dY)
    np.testing.assert_array_equal(dX2, np.zeros_like(dY))
    for forward in (bt.Max.apply, bt.max_forward):
        T1, T2 = (torch.tensor(x, requires_grad=True) for x in (X1, X2))
        forward(T1, T2).backward(torch.tensor(dY))
        np.testing.assert_array_equal(T1.grad.numpy(), dY)
        np.testing.assert_array_equal(T2.grad.numpy(), 0.0)


@pytest.mark.parametrize(
    ("shape1", "shape2"),
    [((5, 3), (3,)), ((5, 3), (5, 1)), ((1, 3), (5, 1)), ((3,), (5, 3)), ((2, 5, 3), (5, 1))],
    ids=str,
)
def test_add_backward_sums_over_broadcast_axes(shape1, shape2, rng):
    dY = rng.normal(size=np.broadcast_shapes(shape1, shape2))
    dX1, dX2 = bnp.add_backward(dY, shape1, shape2)
    assert (dX1.shape, dX2.shape) == (shape1, shape2)
    # Every element of an input received dY from each output it was broadcast to: totals agree.
    np.testing.assert_allclose([dX1.sum(), dX2.sum()], [dY.sum(), dY.sum()])
    if shape2 == (5, 1) and len(shape1) == 2:
        np.testing.assert_allclose(dX2, dY.sum(axis=1, keepdims=True))


def test_sigmoid_is_finite_at_1000():
    S = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        Z = bnp.sigmoid_forward(S)
        dS = bnp.sigmoid_backward(np.ones_like(S), S)
    np.testing.assert_allclose(Z, torch.sigmoid(torch.tensor(S)).numpy(), rtol=1e-12, atol=1e-300)
    assert np.all(np.isfinite(dS)) and dS[2] == 0.25


def test_softmax_cross_entropy_is_finite_at_1000(rng):
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0], [1000.0, 1000.0, 1000.0]])
    labels = np.array([1, 2, 0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = bnp.softmax_cross_entropy_forward(logits, labels)
        dlogits = bnp.softmax_cross_entropy_backward(logits, labels)
    T = torch.tensor(logits, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(T, torch.as_tensor(labels))
    expected.backward()
    np.testing.assert_allclose(loss, expected.item(), rtol=1e-12)
    np.testing.assert_allclose(dlogits, T.grad.numpy(), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- Jacobians, the chain rule, the MLP cache


@pytest.mark.parametrize(("m", "n"), [(2, 3), (4, 1), (3, 3)], ids=str)
def test_numerical_jacobian_matches_linear_jacobians_and_torch(m, n, rng):
    W, x = rng.normal(size=(m, n)), rng.normal(size=n)
    W_saved, x_saved = W.copy(), x.copy()
    J_x, J_W = bnp.linear_jacobians(W, x)
    assert J_x.shape == (m, n) and J_W.shape == (m, m * n)
    np.testing.assert_allclose(bnp.numerical_jacobian(lambda v: W @ v, x), J_x, atol=1e-8)
    np.testing.assert_allclose(bnp.numerical_jacobian(lambda w: w.reshape(m, n) @ x, W.reshape(-1)), J_W, atol=1e-8)
    np.testing.assert_allclose(bnp.numerical_jacobian(lambda w: w @ x, W), J_W, atol=1e-8)  # x read flattened
    torch_J_W, torch_J_x = torch.autograd.functional.jacobian(lambda W, x: W @ x, (torch.tensor(W), torch.tensor(x)))
    np.testing.assert_allclose(J_x, torch_J_x.numpy(), **TORCH_TOL)
    np.testing.assert_allclose(J_W, torch_J_W.reshape(m, m * n).numpy(), **TORCH_TOL)
    np.testing.assert_array_equal(W, W_saved)
    np.testing.assert_array_equal(x, x_saved)
    assert not np.shares_memory(J_x, W)


def test_numerical_jacobian_of_a_nonlinear_map(rng):
    W, x = rng.normal(size=(2, 3)), rng.normal(size=3)
    x_saved = x.copy()
    J = bnp.numerical_jacobian(lambda v: np.tanh(W @ v), x)
    expected = torch.autograd.functional.jacobian(lambda v: torch.tanh(torch.tensor(W) @ v), torch.tensor(x))
    np.testing.assert_allclose(J, expected.numpy(), atol=1e-9)
    np.testing.assert_array_equal(x, x_saved)


def test_chain_rule_composes_two_linear_modules(rng):
    """x → z1 = W1 x → z2 = W2 z1 → C = g·z2: two chain_rule steps equal linear_backward and torch."""
    W1, W2, x, g = rng.normal(size=(4, 3)), rng.normal(size=(2, 4)), rng.normal(size=3), rng.normal(size=(1, 2))
    z1, g_saved = W1 @ x, g.copy()
    dC_dz1, dC_dW2 = bnp.chain_rule(g, *bnp.linear_jacobians(W2, z1))
    np.testing.assert_array_equal(g, g_saved)
    dC_dx, dC_dW1 = bnp.chain_rule(dC_dz1, *bnp.linear_jacobians(W1, x))
    assert (dC_dx.shape, dC_dW1.shape, dC_dW2.shape) == ((1, 3), (1, 12), (1, 8))
    _, expected_dW2, _ = bnp.linear_backward(g, z1[None], W2)
    np.testing.assert_allclose(dC_dW2, expected_dW2.reshape(1, -1), **TORCH_TOL)
    T1, T2, Tx = (torch.tensor(a, requires_grad=True) for a in (W1, W2, x))
    (torch.tensor(g[0]) @ (T2 @ (T1 @ Tx))).backward()
    for ours, theirs in [(dC_dx, Tx.grad), (dC_dW1, T1.grad), (dC_dW2, T2.grad)]:
        np.testing.assert_allclose(ours.reshape(-1), theirs.numpy().reshape(-1), **TORCH_TOL)


def test_mlp_cache_layout_and_purity(rng):
    X = rng.normal(size=(5, 3))
    params = [(rng.normal(size=(4, 3)), rng.normal(size=4)), (rng.normal(size=(2, 4)), rng.normal(size=2))]
    logits, cache = bnp.mlp_forward(X, params)
    assert len(cache) == len(params)
    np.testing.assert_array_equal(cache[0][0], X)
    np.testing.assert_array_equal(cache[1][0], np.maximum(cache[0][1], 0))
    np.testing.assert_array_equal(cache[-1][1], logits)
    assert not np.shares_memory(cache[0][0], X) and not np.shares_memory(cache[-1][1], logits)
    saved = [np.copy(a) for a in _flatten(cache)]
    bnp.mlp_backward(rng.normal(size=logits.shape), cache, params)
    for before, after in zip(saved, _flatten(cache), strict=True):
        np.testing.assert_array_equal(before, after)


def test_mlp_rejects_unknown_activation():
    with pytest.raises(ValueError, match="relu, sigmoid, tanh"):
        bnp.mlp_forward(np.zeros((1, 2)), [(np.zeros((1, 2)), np.zeros(1))], "softplus")


# ---------------------------------------------------------------- the backward rules the grader checks, from its rules

GRADER_BACKWARDS = [r for r in GRADER_RULES if r.gradient is not None and not callable(r.gradient.forward)]


@pytest.mark.parametrize("rule", GRADER_BACKWARDS, ids=lambda r: r.target)
def test_every_backward_rule_the_grader_checks_agrees_with_torch_autograd(rule):
    """The grader's own rule record (grader/course/hw2/rules): its gradient inputs at its public sizes, the numpy
    backward called as the grader calls it, against autograd of the torch forward of the same name."""
    spec = next(s for s in rule.public if s.kind == "gradient")
    g = rule.gradient
    d = g.inputs(np.random.default_rng(0), *spec.args, **dict(spec.options))
    call = g.call(None, d) if callable(g.call) else tuple(d[k] for k in g.call)
    ours = _flatten(getattr(bnp, rule.target)(*call))
    forward, keys = g.forward
    wrt = _flatten(g.wrt)
    tensors = {k: _tensor(d[k], k in wrt) for k in keys}
    outs = _flatten(getattr(bt, forward)(*tensors.values()))
    ups = [1.0] if g.upstream is None else _flatten(tuple(d[k] for k in _flatten(g.upstream)))
    torch.autograd.backward(outs, [torch.as_tensor(np.asarray(u), dtype=torch.float64) for u in ups])
    assert len(ours) == len(wrt)
    for name, grad in zip(wrt, ours, strict=True):
        np.testing.assert_allclose(grad, tensors[name].grad.numpy(), **TORCH_TOL, err_msg=name)


def test_every_rule_the_grader_checks_has_a_numpy_reference_and_each_forward_a_torch_one():
    for rule in GRADER_RULES:
        assert callable(getattr(bnp, rule.target, None)), rule.target
        if rule.target.endswith("_forward"):
            assert callable(getattr(bt, rule.target, None)), rule.target
