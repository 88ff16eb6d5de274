"""Hidden feedback comes from a fixed vocabulary: nothing the student's code chose, no number from the hidden
inputs. Each channel an attacker used to read hidden data out through the feedback is a case here."""

from __future__ import annotations

import re
from contextlib import contextmanager

import numpy as np
import pytest

from grader.checks import vocabulary
from grader.checks.accuracy import AccuracyTask, accuracy_verdict
from grader.checks.base import Check, Kind, Verdict
from grader.course.kinds import KINDS
from grader.course.rules import HINTS
from grader.pipeline.discover import Submission, content_hash
from grader.pipeline.engine import grade_one
from grader.protocol.outcomes import Crashed, Raised, Returned, TimedOut

SECRET_SHAPE = (7, 13)  # sizes a hidden case uses: must never show up in its feedback
EXPECTED = np.arange(91, dtype=np.float64).reshape(SECRET_SHAPE) / 17


class Scripted:
    """A sandbox stand-in whose every call comes back as one fixed outcome."""

    def __init__(self, outcome, import_error=None) -> None:
        self.outcome = outcome
        self.import_error = import_error
        self.banned: list[str] = []

    def call(self, function, args, kwargs, *, timeout):
        return self.outcome

    def procedure(self, name, payload, *, timeout):
        return self.outcome

    def restart(self) -> None:
        pass


def secret_inputs(rng: np.random.Generator) -> dict:
    return {"S": np.ones(SECRET_SHAPE)}


def value_check(visibility: str) -> Check:
    return Check(f"hw2.relu_forward.{visibility}.case", "value", 1, {"inputs": secret_inputs})


def grade(outcome, visibility: str = "hidden", check: Check | None = None, import_error=None):
    @contextmanager
    def session(assignment, files):
        yield Scripted(outcome, import_error)

    files = {"backprop.py": b"# a hand-in\n"}
    sub = Submission("amy", "hw2", files, content_hash(files), None)
    check = check or value_check(visibility)
    graded = grade_one(sub, [check], session, references=lambda *a: EXPECTED, secret="s")
    return graded.results[0]


LEAKS = [
    # the exception's message, its class name, and the line it was raised from (exec can choose any)
    (Raised("ValueError", "S[0, 0] = 0.123456", 'File "backprop.py", line 4242, in relu_forward'),
     ["0.123456", "4242"]),
    (Raised("Shape_7x13_Error", "", 'File "backprop.py", line 3'), ["Shape_7x13", "7x13"]),
    (Crashed("called sys.exit(4242) or exit(): the grader needs the function to return"), ["4242", "sys.exit("]),
    (Crashed("killed by signal SIGUSR2"), ["SIGUSR2"]),
    (Crashed("bad reply: a value of type Leak_0_123456 cannot be graded"), ["Leak_0_123456"]),
    (TimedOut(13.0), ["13"]),
    # returned values: the student's own shape, or an error ratio that tells a size (a missing 1/N)
    (Returned(np.ones((13, 7))), ["13", "7"]),
    (Returned(np.ones((7, 13, 1))), ["13", "7", "3 dimensions"]),
    (Returned(EXPECTED * 7), ["6.0e", "relative"]),
    (Returned("S has 7 rows"), ["7 rows"]),
]


@pytest.mark.parametrize(("outcome", "leaked"), LEAKS)
def test_hidden_rows_say_nothing_the_student_chose_or_the_hidden_inputs_hold(outcome, leaked) -> None:
    row = grade(outcome, "hidden")

    assert row.points == 0
    assert vocabulary.is_vocabulary(row.message, HINTS), row.message
    assert not any(text in row.message for text in leaked), row.message
    assert not re.search(r"\d", row.message.split(" — likely mistake")[0]), row.message


@pytest.mark.parametrize(("outcome", "leaked"), LEAKS[:2] + LEAKS[6:8])
def test_public_rows_keep_their_detail(outcome, leaked) -> None:
    row = grade(outcome, "public")

    assert any(text in row.message for text in leaked), row.message


def test_a_hidden_row_of_a_file_that_fails_at_import_does_not_quote_it() -> None:
    failure = Raised("RuntimeError", "hidden input was 0.987654", 'File "backprop.py", line 77')
    hidden, public = grade(None, "hidden", import_error=failure), grade(None, "public", import_error=failure)

    assert "0.987654" in public.message
    assert "0.987654" not in hidden.message and "77" not in hidden.message
    assert vocabulary.is_vocabulary(hidden.message, HINTS)


def accuracy_of_0_7234(ctx) -> Verdict:
    task = AccuracyTask("spirals", lambda seed: (np.zeros((2, 2)), np.zeros(2)), 0.5, floor=0.5, threshold=0.9)
    return accuracy_verdict(0.7234, task, "train", reveal=False)


def test_hidden_accuracy_shows_no_figure_but_keeps_partial_credit(monkeypatch) -> None:
    monkeypatch.setitem(KINDS, "test_accuracy", Kind(accuracy_of_0_7234, "accuracy", "a test's own kind"))
    check = Check("lab.train.hidden.spirals", "test_accuracy", 2.0)
    row = grade(Returned(0), "hidden", check=check)

    assert row.points == pytest.approx(2.0 * (0.7234 - 0.5) / 0.4)
    assert "72" not in row.message and "%" not in row.message
    assert vocabulary.is_vocabulary(row.message, HINTS)


def test_a_recognised_mistake_is_named_from_the_catalogue() -> None:
    verdict = Verdict.wrong("dW has wrong values (largest error 3.0e+00)", "transposed_dW", problem="values", part="dW")

    message = vocabulary.hidden("linear_backward", verdict, HINTS).message

    assert message.startswith("linear_backward: returns wrong values (in dW) — likely mistake: dW looks transposed")
    assert "3.0" not in message


@pytest.mark.parametrize("part", ["dW\x1b[31m", "S has shape (7, 13)", "a" * 80])
def test_a_part_label_outside_the_vocabulary_is_left_out(part: str) -> None:
    message = vocabulary.hidden("relu_forward", Verdict.wrong("x", problem="values", part=part), HINTS).message

    assert message == "relu_forward: returns wrong values"
