"""hw2 (backprop rules): one rule record per graded function, grouped as the homework groups them, in the
order of SPEC §2 (a helper before the functions that call it)."""

from __future__ import annotations

from grader.course.hw2.rules import activations, costs, graph, jacobians, linear, net

RULES = (*linear.RULES, *activations.RULES, *graph.RULES, *jacobians.RULES, *costs.RULES, *net.RULES)
RULE = {rule.target: rule for rule in RULES}
