"""hw3 (backprop in practice): one rule record per graded function, grouped as the homework groups them, in
the order of SPEC §2."""

from __future__ import annotations

from grader.course.hw3.rules import batches, dropout, init, normalisation, regularisation, schedules, training

RULES = (*normalisation.RULES, *batches.RULES, *schedules.RULES, *regularisation.RULES, *dropout.RULES,
         *init.RULES, *training.RULES)
RULE = {rule.target: rule for rule in RULES}
