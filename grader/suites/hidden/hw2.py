"""hw2 hidden checks: other shapes, seeds from the course secret, and the edge cases — kinks (ReLU at
exactly 0), max ties, broadcasting both ways, logits of ±1000, |S| = 1000 for sigmoid, a batch of one,
non-square matrices, 3-layer nets with each activation."""

from __future__ import annotations

from grader.checks.factories import SuiteBuilder, args, forward
from grader.course.hw2 import cases as c
from grader.course.hw2 import mistakes as m
from grader.course.hw2 import nets as n

s = SuiteBuilder("hw2", "hidden", __name__, c.OUTPUTS)
NET_FWD = {"variants": m.mlp_forward, "own": n.own_mlp_forward}
NET_BWD = {"variants": m.mlp_backward, "own": n.own_mlp_backward}


def grad(target, case, points, make, fwd, wrt, up, variants, description):
    """A finite-difference check of ``target`` against the reference forward ``fwd``."""
    return s.gradient(target, case, points, make, call=args(*c.BACKWARD_ARGS[target]), forward=fwd, wrt=wrt,
                      upstream=up, variants=variants, description=description)


def mlp_gradcheck(case, points, N, sizes, activation):
    return s.gradient("mlp_backward", case, points, n.mlp_grad(N, sizes, activation), call=n.mlp_grad_call,
                      forward=n.mlp_logits, wrt=n.mlp_wrt(len(sizes) - 1), upstream="dlogits",
                      **NET_BWD, description=f"finite differences, {len(sizes) - 1} {activation} layers")


CHECKS = [
    # linear layer
    s.value("linear_forward", "batch_of_one", 1, c.linear(1, 5, 3), variants=m.linear_forward,
            description="a batch of one sample"),
    s.value("linear_forward", "non_square", 1, c.linear(7, 2, 6), variants=m.linear_forward,
            description="non-square W"),
    s.value("linear_backward", "non_square", 1, c.linear_back(5, 7, 3), variants=m.linear_backward,
            description="(dX, dW, db) with non-square W"),
    s.value("linear_backward", "batch_of_one", 1, c.linear_back(1, 4, 2), variants=m.linear_backward,
            description="a batch of one sample"),
    s.gradient("linear_backward", "gradcheck", 1.5, c.linear_back(3, 4, 6, with_b=True), call=args("dY", "X", "W"),
               forward=forward("linear_forward", "X", "W", "b"), wrt=("X", "W", "b"), upstream="dY",
               variants=m.linear_backward, description="finite differences of linear_forward"),
    s.unchanged("linear_backward", "no_mutation", 1, c.linear_back(4, 3, 5),
                description="inputs unchanged"),
    # activations
    s.value("relu_forward", "zeros", 1, c.one((6, 5), zeros=0.4), description="many exact zeros"),
    s.unchanged("relu_forward", "no_mutation", 0.5, c.one((2, 3, 4)), description="S unchanged"),
    s.value("relu_backward", "kink", 1.5, c.activation_back((6, 5), zeros=0.4), variants=m.relu_backward,
            description="the kink convention on many exact zeros"),
    grad("relu_backward", "gradcheck", 1, c.activation_back((2, 3, 4)), forward("relu_forward", "S"), "S", "dZ",
         m.relu_backward, "finite differences on a 3-d array"),
    s.unchanged("relu_backward", "no_mutation", 1, c.activation_back((4, 4), zeros=0.2),
                description="dZ and S unchanged"),
    s.value("sigmoid_forward", "huge", 1, c.one((4, 5), huge=1000.0), description="|S| = 1000 without overflow"),
    s.value("sigmoid_forward", "values", 0.5, c.one((1, 7), scale=4.0), description="a batch of one"),
    s.value("sigmoid_backward", "huge", 1, c.activation_back((3, 4), huge=1000.0), variants=m.sigmoid_backward,
            description="|S| = 1000 without overflow"),
    s.unchanged("sigmoid_backward", "no_mutation", 0.5, c.activation_back((2, 5)), description="dZ and S unchanged"),
    grad("sigmoid_backward", "gradcheck", 1, c.activation_back((5, 2)), forward("sigmoid_forward", "S"), "S", "dZ",
         m.sigmoid_backward, "finite differences of sigmoid_forward"),
    s.value("tanh_forward", "values", 0.5, c.one((2, 3, 2), scale=3.0), description="a 3-d array"),
    s.value("tanh_backward", "values", 1, c.activation_back((1, 6)), variants=m.tanh_backward,
            description="a batch of one"),
    s.unchanged("tanh_backward", "no_mutation", 0.5, c.activation_back((3, 2)), description="dZ and S unchanged"),
    grad("tanh_backward", "gradcheck", 1, c.activation_back((4, 2)), forward("tanh_forward", "S"), "S", "dZ",
         m.tanh_backward, "finite differences of tanh_forward"),
    # graph rules
    s.value("weighted_sum_forward", "one_unit", 1, c.weighted_sum(1, 5), variants=m.weighted_sum_forward,
            description="N = 1"),
    s.value("weighted_sum_backward", "values", 1, c.weighted_sum_back(6, 2), variants=m.weighted_sum_backward,
            description="six samples, two branches"),
    grad("weighted_sum_backward", "gradcheck", 1, c.weighted_sum_back(3, 5, with_z=True),
         forward("weighted_sum_forward", "z", "w"), "z", "dS", m.weighted_sum_backward, "finite differences"),
    s.value("duplicate_forward", "three_d", 1, c.one((2, 2, 3), name="X"),
            description="a 3-d array"),
    s.value("duplicate_backward", "values", 1, c.duplicate_back((1, 5)), variants=m.duplicate_backward,
            description="a batch of one"),
    s.unchanged("duplicate_backward", "no_mutation", 0.5, c.duplicate_back((3, 3)),
                description="dY1 and dY2 unchanged"),
    grad("duplicate_backward", "gradcheck", 1, c.duplicate_back((2, 3), with_X=True), forward("duplicate_forward", "X"),
         "X", ("dY1", "dY2"), m.duplicate_backward, "finite differences"),
    s.value("add_forward", "broadcast_both", 1, c.add((4, 1), (1, 3)), description="(4, 1) + (1, 3)"),
    s.unchanged("add_forward", "no_mutation", 0.5, c.add((3, 4), (4,)), description="X1 and X2 unchanged"),
    s.value("add_backward", "broadcast_both", 1, c.add_back((4, 1), (1, 3)), variants=m.add_backward,
            description="both inputs broadcast"),
    s.value("add_backward", "rank3", 1, c.add_back((2, 3, 4), (3, 1)), variants=m.add_backward,
            description="an added leading axis and a stretched axis"),
    s.value("add_backward", "same_shape", 0.5, c.add_back((3, 2), (3, 2)), variants=m.add_backward,
            description="no broadcasting"),
    s.gradient("add_backward", "gradcheck", 1, c.add_grad((3, 1), (2, 1, 4)),
               call=c.add_call, forward=forward("add_forward", "X1", "X2"),
               wrt=("X1", "X2"), upstream="dY", variants=m.add_backward, description="finite differences"),
    s.value("max_forward", "ties", 1, c.max_pair((5, 3), ties=0.5, with_dY=False), description="with ties"),
    s.value("max_backward", "all_ties", 1, c.max_pair((3, 4), ties=1.0), variants=m.max_backward,
            description="every entry a tie"),
    s.value("max_backward", "some_ties", 1, c.max_pair((6, 2), ties=0.3), variants=m.max_backward,
            description="some ties"),
    grad("max_backward", "gradcheck", 1, c.max_pair((2, 5)), forward("max_forward", "X1", "X2"), ("X1", "X2"), "dY",
         m.max_backward, "finite differences away from ties"),
    s.unchanged("max_backward", "no_mutation", 0.5, c.max_pair((3, 3), ties=0.3),
                description="inputs unchanged"),
    # Jacobians
    s.value("numerical_jacobian", "square", 1, c.jacobian("cube", (5,), eps=1e-3), rtol=1e-7,
            variants=m.numerical_jacobian, description="a square, diagonal Jacobian"),
    s.value("numerical_jacobian", "matrix_input", 1, c.jacobian("tanh_mix", (2, 3), eps=1e-3), rtol=1e-7,
            variants=m.numerical_jacobian, description="x given as a matrix, read flattened"),
    s.value("numerical_jacobian", "one_input", 1, c.jacobian("three_features", (1,)), rtol=1e-5,
            variants=m.numerical_jacobian, description="n = 1"),
    s.unchanged("numerical_jacobian", "no_mutation", 0.5, c.jacobian("three_features", (3,)),
                description="x unchanged after perturbing"),
    s.value("linear_jacobians", "non_square", 1, c.linear_jacobians(2, 5),
            variants=m.linear_jacobians, description="W (2, 5)"),
    s.value("linear_jacobians", "one_output", 1, c.linear_jacobians(1, 4),
            variants=m.linear_jacobians, description="m = 1"),
    s.value("chain_rule", "square", 1, c.chain(4, 4, 3), variants=m.chain_rule,
            description="square J_z"),
    s.value("chain_rule", "non_square", 1, c.chain(2, 5, 6), variants=m.chain_rule,
            description="non-square Jacobians"),
    # costs
    s.value("mse_forward", "batch_of_one", 1, c.regression(1, 3), variants=m.mse_forward, description="N = 1"),
    s.value("mse_forward", "wide", 1, c.regression(5, 7), variants=m.mse_forward, description="7 outputs"),
    s.value("mse_backward", "values", 1, c.regression(6, 3), variants=m.mse_backward, description="N = 6, D = 3"),
    s.unchanged("mse_backward", "no_mutation", 0.5, c.regression(4, 2), description="Y_hat and Y unchanged"),
    grad("mse_backward", "gradcheck", 1, c.regression(2, 4), forward("mse_forward", "Y_hat", "Y"), "Y_hat", None,
         m.mse_backward, "finite differences of mse_forward"),
    s.value("softmax_cross_entropy_forward", "huge_logits", 1, c.classification(4, 5, huge=1000.0),
            variants=m.ce_forward, description="logits of magnitude 1000"),
    s.value("softmax_cross_entropy_forward", "batch_of_one", 1, c.classification(1, 6), variants=m.ce_forward,
            description="N = 1"),
    s.value("softmax_cross_entropy_backward", "huge_logits", 1, c.classification(4, 5, huge=1000.0),
            variants=m.ce_backward, description="logits of magnitude 1000"),
    grad("softmax_cross_entropy_backward", "gradcheck", 1, c.classification(3, 6),
         forward("softmax_cross_entropy_forward", "logits", "labels"), "logits", None, m.ce_backward,
         "finite differences of the forward"),
    # multistage graph
    s.value("mlp_forward", "relu_3_layers", 1, n.mlp(4, [5, 6, 4, 3], "relu"), expect=n.logits_only,
            **NET_FWD, description="3 ReLU layers"),
    s.value("mlp_forward", "sigmoid_3_layers", 1, n.mlp(5, [3, 4, 4, 2], "sigmoid"), expect=n.logits_only,
            **NET_FWD, description="3 sigmoid layers"),
    s.value("mlp_forward", "tanh_batch_of_one", 1, n.mlp(1, [6, 3, 5, 4], "tanh"), expect=n.logits_only,
            **NET_FWD, description="3 tanh layers, one sample"),
    s.value("mlp_backward", "relu_3_layers", 1, n.mlp_back(4, [5, 6, 4, 3], "relu"), prepare=n.with_cache,
            names=n.mlp_names(3),
            **NET_BWD, description="3 ReLU layers"),
    mlp_gradcheck("sigmoid_gradcheck", 1, 3, [3, 4, 3, 2], "sigmoid"),
    mlp_gradcheck("tanh_gradcheck", 1, 1, [4, 3, 4, 3], "tanh"),
    mlp_gradcheck("relu_gradcheck", 1, 3, [2, 5, 4, 3], "relu"),
    s.unchanged("mlp_backward", "no_mutation", 0.5, n.mlp_back(3, [3, 4, 2], "relu"), prepare=n.with_cache,
                names=n.mlp_names(2), own=n.own_mlp_backward, description="dlogits, cache and params unchanged"),
]
