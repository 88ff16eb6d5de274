"""The suites and the catalogue of mistakes as tables: what ``grader checks`` prints, for an instructor to read
and diff."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from grader.course.kinds import KINDS
from grader.course.rules import RULES
from grader.suites import load_checks

CHECK_COLUMNS = ["id", "target", "kind", "category", "points", "visibility", "timeout", "defined_at", "description"]
MISTAKE_COLUMNS = ["assignment", "target", "mistake", "modelled", "hint", "rule_at"]


def checks_table(keys: Iterable[str], include_hidden: bool) -> pd.DataFrame:
    """One row per check of the assignments ``keys``, public first, in suite order."""
    rows = [
        [c.id, c.target, c.kind, KINDS[c.kind].category if c.kind in KINDS else "?", c.points, c.visibility,
         c.timeout, c.defined_at, c.description]
        for key in keys for c in load_checks(key, include_hidden)
    ]
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


def mistakes_table(keys: Iterable[str]) -> pd.DataFrame:
    """One row per catalogued mistake of each rule of the assignments ``keys``: ``modelled`` says whether the
    mistake has a model of its answer (else a kind of check recognises it by its own logic)."""
    rows = [
        [key, rule.target, m.id, m.model is not None, m.hint, rule.defined_at]
        for key in keys for rule in RULES[key] for m in rule.mistakes
    ]
    return pd.DataFrame(rows, columns=MISTAKE_COLUMNS)
