"""Every rule knows its classic mistakes: at least two per graded function, each with a one-bug mutant in
tests/data/mutants/ whose test (tests/test_suites_*.py) shows it loses points on its target only and that the
failing message names it; one catalogue of hints, built from the rules, listed by ``grader checks --mistakes``."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import numpy as np
import pytest

from grader.checks import own
from grader.checks.base import Verdict
from grader.checks.mistakes import Mistake, refuted, variants, visible
from grader.cli import main
from grader.course.assignments import ASSIGNMENTS
from grader.course.rules import HINTS, RULES, catalogue

MUTANTS = Path(__file__).parent / "data" / "mutants"


def declared(path: Path) -> tuple[tuple[str, ...], str]:
    """A mutant's TARGET (one or more functions) and MISTAKE, read from its source without running it."""
    values: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            tuples = [[e.id for e in t.elts] for t in node.targets if isinstance(t, ast.Tuple)]
            if names:
                values.update(dict.fromkeys(names, ast.literal_eval(node.value)))
            for group in tuples:
                values.update(zip(group, ast.literal_eval(node.value), strict=True))
    target = values["TARGET"]
    return (target,) if isinstance(target, str) else tuple(target), str(values["MISTAKE"])


def named_by_mutants(assignment: str) -> dict[str, set[str]]:
    """target -> the catalogued mistakes of its rule that some mutant of ``assignment`` declares."""
    rules = {rule.target: rule for rule in RULES[assignment]}
    named: dict[str, set[str]] = {target: set() for target in rules}
    for path in sorted((MUTANTS / assignment).glob("*.py")):
        targets, mistake = declared(path)
        for target in targets:
            if mistake in {m.id for m in rules[target].mistakes}:
                named[target].add(mistake)
    return named


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_every_rule_carries_two_mistakes_or_more_each_shown_by_a_mutant(assignment):
    named = named_by_mutants(assignment)
    for rule in RULES[assignment]:
        ids = {m.id for m in rule.mistakes}
        assert len(ids) >= 2, f"{assignment}.{rule.target} catalogues {sorted(ids)}"
        missing = sorted(ids - named[rule.target])
        assert not missing, f"{assignment}.{rule.target}: no mutant names {missing}"


def test_every_assignment_has_a_rule_per_graded_function():
    for key, assignment in ASSIGNMENTS.items():
        assert tuple(rule.target for rule in RULES[key]) == assignment.targets


def test_one_hint_per_mistake_id_and_a_clash_is_an_error():
    assert catalogue([Mistake("a", "one text"), Mistake("a", "one text")]) == {"a": "one text"}
    with pytest.raises(ValueError, match="a"):
        catalogue([Mistake("a", "one text"), Mistake("a", "another text")])
    assert set(HINTS) == {m.id for rules in RULES.values() for r in rules for m in r.mistakes} | {
        "mutated_input", "not_stable"}


def test_grader_checks_lists_every_catalogued_mistake(capsys):
    assert main(["checks", "--mistakes", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    listed = {(r["assignment"], r["target"], r["mistake"]) for r in rows}
    expected = {(key, rule.target, m.id) for key, rules in RULES.items() for rule in rules for m in rule.mistakes}
    assert listed == expected
    assert all(HINTS[r["mistake"]] == r["hint"] and r["rule_at"].startswith("grader/course/") for r in rows)


# What a helper's answers show about the mistakes it makes (``grader.checks.own`` excuses a target only by a mistake
# that no answer of the helper refutes). A linear_backward answer (dX, dW, db): TRANSPOSED changes dW only.
RIGHT = (np.array([[1.0, 2.0]]), np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([5.0, 6.0]))
TRANSPOSED = Mistake("transposed_dW", "", lambda inputs, right: (right[0], right[1].T, right[2]))
NOT_SUMMED = Mistake("db_not_summed", "", lambda inputs, right: None)  # does not apply to these inputs
HALVED_DB = Mistake("db_halved", "", lambda inputs, right: (right[0], right[1], right[2] / 2))


def made(*mistakes: Mistake) -> dict:
    return variants(mistakes, None, RIGHT)


def test_a_right_answer_refutes_exactly_the_mistakes_that_would_have_changed_it():
    symmetric = (RIGHT[0], np.array([[1.0, 2.0], [2.0, 1.0]]), RIGHT[2])  # transposing this dW changes nothing
    assert visible(RIGHT, made(TRANSPOSED, NOT_SUMMED, HALVED_DB)) == {"transposed_dW", "db_halved"}
    assert visible(symmetric, variants([TRANSPOSED], None, symmetric)) == frozenset()
    assert refuted(RIGHT, RIGHT, made(TRANSPOSED, HALVED_DB)) == {"transposed_dW", "db_halved"}


@pytest.mark.parametrize(("answer", "refutes"), [
    ((RIGHT[0], RIGHT[1].T, RIGHT[2]), {"db_halved"}),  # the mistake itself: refutes only the other one
    ((RIGHT[0], RIGHT[1], RIGHT[2] + 1), {"transposed_dW", "db_halved"}),  # dW right, db wrong another way
    ((RIGHT[0], RIGHT[1].T, RIGHT[2] + 1), {"db_halved"}),  # one mistake, and db wrong another way
    ((RIGHT[0], RIGHT[1].T, RIGHT[2] / 2), set()),  # both made
    (np.zeros(3), set()),  # not even the answer's structure: no part can be read
    ((RIGHT[0], RIGHT[1]), {"transposed_dW"}),  # db missing: dW still shows the one mistake was not made
])
def test_a_wrong_answer_refutes_the_mistakes_it_does_not_make_where_they_would_show(answer, refutes):
    assert refuted(answer, RIGHT, made(TRANSPOSED, HALVED_DB)) == refutes



# A no-mutation check sees shapes only: they refute the mistakes that would change one, whatever the values.
WIDE = (np.ones((1, 3)), np.arange(6.0).reshape(2, 3), np.ones(3))
NOT_SUMMED_ROWS = Mistake("db_not_summed", "", lambda inputs, right: (right[0], right[1], np.ones((4, 3))))


@pytest.mark.parametrize(("answer", "refutes"), [
    (WIDE, {"transposed_dW", "db_not_summed"}),  # right shapes: every mistake that changes one
    ((WIDE[0], 5 * WIDE[1], 7 * WIDE[2]), {"transposed_dW", "db_not_summed"}),  # wrong values, right shapes
    ((WIDE[0], WIDE[1].T, WIDE[2]), {"db_not_summed"}),  # the transposed shape: refutes only the other one
    ((WIDE[0], WIDE[1].T, np.ones((4, 3))), set()),  # both shapes made
])
def test_shapes_alone_refute_only_the_mistakes_that_change_a_shape(answer, refutes):
    wrongs = variants([TRANSPOSED, HALVED_DB, NOT_SUMMED_ROWS], None, WIDE)
    assert visible(WIDE, wrongs, values=False) == {"transposed_dW", "db_not_summed"}  # halving db keeps its shape
    assert refuted(answer, WIDE, wrongs, values=False) == refutes

def test_an_excuse_is_withdrawn_once_every_way_it_was_excused_is_refuted():
    failing = Verdict.wrong("mlp_backward: dW looks transposed", "transposed_dW")
    excused = own.excused("mlp_backward", ((("linear_backward", "transposed_dW"),),
                                           (("linear_backward", "db_halved"), ("relu_backward", "strict"))), failing)
    assert excused.status == "pass" and excused == Verdict.ok(own.message("mlp_backward"), "own_helpers")
    assert own.withdrawn(excused, {"linear_backward": frozenset({"db_halved"})}) is excused  # the first still holds
    assert own.withdrawn(excused, {"linear_backward": frozenset({"transposed_dW"})}) is excused  # the second does
    assert own.withdrawn(excused, {"linear_backward": frozenset({"transposed_dW"}),
                                   "relu_backward": frozenset({"strict"})}) is failing
    assert own.withdrawn(failing, {"linear_backward": frozenset({"transposed_dW"})}) is failing
