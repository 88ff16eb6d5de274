"""hw2 public checks: one table row per check (seeds follow from the ids; ``grader check hw2`` runs them).

Backward rules are checked twice: against the reference's answer (which also names known mistakes) and
against central differences of the reference forward, with a random upstream gradient.
"""

from __future__ import annotations

from grader.checks.factories import SuiteBuilder, args, forward
from grader.course.hw2 import cases as c
from grader.course.hw2 import mistakes as m
from grader.course.hw2 import nets as n

s = SuiteBuilder("hw2", "public", __name__, c.OUTPUTS)
NET_FWD = {"variants": m.mlp_forward, "own": n.own_mlp_forward}
NET_BWD = {"variants": m.mlp_backward, "own": n.own_mlp_backward}

CHECKS = [
    # linear layer
    s.value("linear_forward", "basic", 1, c.linear(4, 3, 2), variants=m.linear_forward,
            description="Y = X Wᵀ + b for X (4, 3), W (2, 3)"),
    s.value("linear_backward", "values", 1, c.linear_back(4, 3, 2), variants=m.linear_backward,
            description="(dX, dW, db) against the reference"),
    s.gradient("linear_backward", "gradcheck", 1, c.linear_back(4, 3, 2, with_b=True), call=args("dY", "X", "W"),
               forward=forward("linear_forward", "X", "W", "b"), wrt=("X", "W", "b"), upstream="dY",
               variants=m.linear_backward, description="finite differences of linear_forward"),
    s.unchanged("linear_backward", "no_mutation", 0.5, c.linear_back(3, 2, 2),
                description="dY, X, W unchanged"),
    # activations
    s.value("relu_forward", "basic", 1, c.one((4, 5), zeros=0.2), description="max(S, 0), zeros included"),
    s.unchanged("relu_forward", "no_mutation", 0.5, c.one((3, 4)), description="S unchanged"),
    s.value("relu_backward", "values", 1, c.activation_back((4, 5)), variants=m.relu_backward,
            description="dZ where S >= 0, else 0"),
    s.value("relu_backward", "at_zero", 1, c.activation_back((4, 5), zeros=0.3), variants=m.relu_backward,
            description="the kink convention: at S == 0 the gradient passes"),
    s.gradient("relu_backward", "gradcheck", 1, c.activation_back((3, 4)), call=args("dZ", "S"),
               forward=forward("relu_forward", "S"), wrt="S", upstream="dZ", variants=m.relu_backward,
               description="finite differences of relu_forward away from 0"),
    s.value("sigmoid_forward", "basic", 1, c.one((4, 3)), description="1 / (1 + e^-S)"),
    s.value("sigmoid_backward", "values", 1, c.activation_back((4, 3)), variants=m.sigmoid_backward,
            description="dZ · σ(S)(1 − σ(S))"),
    s.gradient("sigmoid_backward", "gradcheck", 1, c.activation_back((3, 3)), call=args("dZ", "S"),
               forward=forward("sigmoid_forward", "S"), wrt="S", upstream="dZ", variants=m.sigmoid_backward,
               description="finite differences of sigmoid_forward"),
    s.value("tanh_forward", "basic", 1, c.one((4, 3)), description="tanh(S)"),
    s.value("tanh_backward", "values", 1, c.activation_back((4, 3)), variants=m.tanh_backward,
            description="dZ · (1 − tanh(S)²)"),
    s.gradient("tanh_backward", "gradcheck", 1, c.activation_back((3, 3)), call=args("dZ", "S"),
               forward=forward("tanh_forward", "S"), wrt="S", upstream="dZ", variants=m.tanh_backward,
               description="finite differences of tanh_forward"),
    # graph rules
    s.value("weighted_sum_forward", "basic", 1, c.weighted_sum(4, 3), variants=m.weighted_sum_forward,
            description="s[n, i] = w_i z_n, shape (N, K)"),
    s.value("weighted_sum_backward", "values", 1, c.weighted_sum_back(4, 3), variants=m.weighted_sum_backward,
            description="dz = Σ_i w_i dS[:, i]"),
    s.gradient("weighted_sum_backward", "gradcheck", 1, c.weighted_sum_back(4, 3, with_z=True), call=args("dS", "w"),
               forward=forward("weighted_sum_forward", "z", "w"), wrt="z", upstream="dS",
               variants=m.weighted_sum_backward, description="finite differences of weighted_sum_forward"),
    s.value("duplicate_forward", "basic", 1, c.one((3, 4), name="X"),
            description="(X, X) as two arrays"),
    s.value("duplicate_backward", "values", 1, c.duplicate_back((3, 4)), variants=m.duplicate_backward,
            description="dY1 + dY2"),
    s.gradient("duplicate_backward", "gradcheck", 0.5, c.duplicate_back((3, 2), with_X=True),
               call=args("dY1", "dY2"), forward=forward("duplicate_forward", "X"), wrt="X", upstream=("dY1", "dY2"),
               variants=m.duplicate_backward, description="finite differences of duplicate_forward"),
    s.value("add_forward", "row_broadcast", 1, c.add((4, 3), (3,)), description="(4, 3) + (3,) broadcast"),
    s.value("add_backward", "row_broadcast", 1, c.add_back((4, 3), (3,)), variants=m.add_backward,
            description="a (3,) input gets dY summed over the batch"),
    s.gradient("add_backward", "gradcheck", 1, c.add_grad((4, 3), (3,)),
               call=c.add_call, forward=forward("add_forward", "X1", "X2"), wrt=("X1", "X2"), upstream="dY",
               variants=m.add_backward, description="finite differences of add_forward"),
    s.value("max_forward", "basic", 1, c.max_pair((4, 3), with_dY=False), description="elementwise max"),
    s.value("max_backward", "values", 1, c.max_pair((4, 3)), variants=m.max_backward,
            description="the gradient goes to the larger input"),
    s.value("max_backward", "ties", 1, c.max_pair((4, 3), ties=0.5), variants=m.max_backward,
            description="the tie convention: X1 == X2 sends the gradient to X1"),
    s.gradient("max_backward", "gradcheck", 1, c.max_pair((3, 3)), call=args("dY", "X1", "X2"),
               forward=forward("max_forward", "X1", "X2"), wrt=("X1", "X2"), upstream="dY",
               variants=m.max_backward, description="finite differences of max_forward away from ties"),
    # Jacobians
    s.value("numerical_jacobian", "three_features", 1, c.jacobian("three_features", (4,)), rtol=1e-5,
            variants=m.numerical_jacobian, description="J (3, 4) of a smooth map R⁴→R³, default eps"),
    s.value("numerical_jacobian", "eps", 1, c.jacobian("tanh_mix", (3,), eps=1e-3), rtol=1e-7,
            variants=m.numerical_jacobian, description="central differences with eps = 1e-3"),
    s.value("linear_jacobians", "basic", 1.5, c.linear_jacobians(3, 2),
            variants=m.linear_jacobians, description="J_x (3, 2) and J_W (3, 6) of y = W x"),
    s.value("chain_rule", "basic", 1, c.chain(3, 3, 4), variants=m.chain_rule,
            description="row vectors: dC/dz = dC/dz_next · J_z"),
    # costs
    s.value("mse_forward", "basic", 1, c.regression(5, 2), variants=m.mse_forward, description="1/(2N) Σ ‖ŷ − y‖²"),
    s.value("mse_backward", "values", 1, c.regression(5, 2), variants=m.mse_backward, description="(ŷ − y) / N"),
    s.gradient("mse_backward", "gradcheck", 1, c.regression(4, 2), call=args("Y_hat", "Y"),
               forward=forward("mse_forward", "Y_hat", "Y"), wrt="Y_hat", variants=m.mse_backward,
               description="finite differences of mse_forward"),
    s.value("softmax_cross_entropy_forward", "basic", 1, c.classification(5, 4), variants=m.ce_forward,
            description="mean cross-entropy of softmax, 5 samples, 4 classes"),
    s.value("softmax_cross_entropy_backward", "values", 1, c.classification(5, 4), variants=m.ce_backward,
            description="(softmax − onehot) / N"),
    s.gradient("softmax_cross_entropy_backward", "gradcheck", 1, c.classification(4, 3),
               call=args("logits", "labels"), forward=forward("softmax_cross_entropy_forward", "logits", "labels"),
               wrt="logits", variants=m.ce_backward, description="finite differences of the forward"),
    s.unchanged("softmax_cross_entropy_backward", "no_mutation", 0.5, c.classification(3, 3),
                description="logits and labels unchanged"),
    # multistage graph
    s.value("mlp_forward", "logits", 1, n.mlp(5, [4, 6, 3], "relu"), expect=n.logits_only,
            **NET_FWD, description="logits of a 2-layer ReLU net"),
    s.value("mlp_forward", "cache", 1, n.mlp(3, [3, 4, 2], "relu"), own=n.own_mlp_forward,
            description="the cache: one (Z, S) pair per layer"),
    s.unchanged("mlp_forward", "no_mutation", 0.5, n.mlp(3, [3, 4, 2], "tanh"),
                own=n.own_mlp_forward,
                description="X and params unchanged"),
    s.value("mlp_backward", "values", 1, n.mlp_back(5, [4, 6, 3], "relu"), prepare=n.with_cache,
            names=n.mlp_names(2),
            **NET_BWD, description="[(dW, db)] of a 2-layer ReLU net"),
    s.gradient("mlp_backward", "gradcheck", 1, n.mlp_grad(4, [3, 5, 2], "relu"), call=n.mlp_grad_call,
               forward=n.mlp_logits, wrt=n.mlp_wrt(2), upstream="dlogits", **NET_BWD,
               description="finite differences of mlp_forward by every weight and bias"),
]
