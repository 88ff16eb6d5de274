"""hw1 public checks: the cases a student can run with ``grader check hw1`` (seeds follow from the ids).

The standard checks come from the rules (``grader/course/hw1/rules.py``); the special cases follow.
"""

from __future__ import annotations

from grader.checks.maker import make
from grader.checks.rules import standard_checks
from grader.course.hw1 import rules as r

CHECKS = [
    *standard_checks("hw1", "public", r.RULES),
    r.BATCH_GD.value("hw1.batch_gd.public.weights", 1, make(r.descent_inputs, 10, 3, 5, "huber_grad"),
                     expect=r.weights_only, description="final weights after 5 steps with a Huber-loss gradient"),
    r.BATCH_GD.value("hw1.batch_gd.public.losses", 1, make(r.descent_inputs, 10, 3, 5, "huber_grad"),
                     expect=r.losses_only, description="losses[t] is the squared-error loss before step t"),
]
