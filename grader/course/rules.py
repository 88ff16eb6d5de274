"""Every assignment's rules, and the catalogue of mistakes they name: the one place hints come from.

Built from the rule tables alone (``grader/course/<key>/rules``), with no registration at import, so grading
and rebuilding reports read the same catalogue. A mistake id names one hint: two rules that share a mistake
(``forgot_dY``) give it the same text.
"""

from __future__ import annotations

from collections.abc import Iterable

from grader.checks.mistakes import GENERAL, Mistake
from grader.checks.rules import Rule
from grader.course.hw1.rules import RULES as HW1
from grader.course.hw2.rules import RULES as HW2
from grader.course.hw3.rules import RULES as HW3
from grader.course.lab.rules import RULES as LAB

RULES: dict[str, tuple[Rule, ...]] = {"hw1": HW1, "hw2": HW2, "hw3": HW3, "lab": LAB}


def catalogue(mistakes: Iterable[Mistake]) -> dict[str, str]:
    """Mistake id -> hint; a ValueError names the ids given two different texts."""
    hints: dict[str, str] = {}
    clashes = set()
    for mistake in mistakes:
        if hints.setdefault(mistake.id, mistake.hint) != mistake.hint:
            clashes.add(mistake.id)
    if clashes:
        raise ValueError(f"mistake ids with two hints: {', '.join(sorted(clashes))}; rename one of each")
    return hints


HINTS: dict[str, str] = catalogue([*GENERAL, *(m for rules in RULES.values() for r in rules for m in r.mistakes)])


def hint(mistake: str) -> str:
    """The hint of a catalogued mistake (an unknown id reads as words)."""
    return HINTS.get(mistake, mistake.replace("_", " "))
