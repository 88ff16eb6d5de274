"""hw2 public checks (seeds follow from the ids; ``grader check hw2`` runs them).

The standard checks come from the rules (``grader/course/hw2/rules/``): backward rules are checked twice,
against the reference's answer (which also names known mistakes) and against central differences of the
reference forward with a random upstream gradient. The special cases follow: the kink and tie
conventions, the Jacobian's step size, the net's logits.
"""

from __future__ import annotations

from grader.checks.maker import make
from grader.checks.rules import standard_checks
from grader.course.hw2.rules import RULE, RULES, activations, graph, jacobians, net

CHECKS = [
    *standard_checks("hw2", "public", RULES),
    RULE["relu_backward"].value("hw2.relu_backward.public.at_zero", 1, make(activations.activation_back, (4, 5),
                                zeros=0.3), description="the kink convention: at S == 0 the gradient passes"),
    RULE["max_backward"].value("hw2.max_backward.public.ties", 1, make(graph.max_pair, (4, 3), ties=0.5),
                               description="the tie convention: X1 == X2 sends the gradient to X1"),
    RULE["numerical_jacobian"].value("hw2.numerical_jacobian.public.three_features", 1,
                                     make(jacobians.jacobian, "three_features", (4,)), rtol=1e-5,
                                     description="J (3, 4) of a smooth map R⁴→R³, default eps"),
    RULE["numerical_jacobian"].value("hw2.numerical_jacobian.public.eps", 1,
                                     make(jacobians.jacobian, "tanh_mix", (3,), eps=1e-3), rtol=1e-7,
                                     description="central differences with eps = 1e-3"),
    RULE["mlp_forward"].value("hw2.mlp_forward.public.logits", 1, make(net.mlp, 5, [4, 6, 3], "relu"),
                              expect=net.logits_only, description="logits of a 2-layer ReLU net"),
]
