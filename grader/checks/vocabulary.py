"""What feedback on a hidden check may say: a fixed vocabulary.

A hidden row's message is rebuilt from three things only: the target's name, a problem from ``PROBLEMS``
(with the part of the return it concerns, a label the check itself defines) and the hint of a recognised
mistake from the catalogue. None is chosen by the student's code (an exception's text or class name, an
exit code, printed output, a file name) and none is a number derived from the hidden inputs (a shape,
an expected value, an error ratio that tells a size, an accuracy). Public rows keep their full detail,
and the student can reproduce any problem there or with inputs of their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from grader.checks.base import Verdict

PROBLEMS: dict[str, str] = {
    # how a returned value differs from the expected one (grader.checks.compare.Mismatch.problem)
    "type": "returns the wrong kind of value",
    "length": "returns the wrong number of values",
    "shape": "returns an array of the wrong shape",
    "dtype": "returns values of the wrong type",
    "nonfinite": "returns NaN or inf",
    "values": "returns wrong values",
    "gradient": "disagrees with a finite-difference gradient of the forward",
    "property": "does not behave as required",
    "mutated": "modifies its inputs",
    "distribution": "draws values that do not follow the required distribution",
    "accuracy": "reaches a held-out accuracy below what a correct implementation reaches",
    # how a call did not return
    "not_implemented": "is not implemented yet (it raises NotImplementedError)",
    "raised": "raised an exception",
    "timeout": "did not finish in time: an endless loop?",
    "crashed": "stopped the process running it (an exit, a signal or too much memory)",
    "not_data": "returned something that is not numbers or numeric arrays",
    # the submission as a whole
    "import": "could not run: the file failed at import (see its public checks)",
    "not_submitted": "not submitted",
    "ungradable": "could not run: the hand-in could not be graded (see its public checks)",
    "numpy_only": "could not run: this homework must be done in numpy only (flagged for the instructor)",
    "budget": "was not run: the submission used up its time budget",
    "internal": "could not be judged because of an internal grader error; please tell the course staff",
    # fallbacks by status
    "fail": "gives a wrong result",
    "error": "did not return a usable result",
}
PASSED = {"": "", "own_helpers": "right given your own helper functions (their own checks grade them)"}
_PART = re.compile(r"^[A-Za-z_][A-Za-z0-9_ ]{0,40}(\[\d{1,3}\])*$")  # "dW", "result[1]", "the cost"


def phrase(problem: str, status: str) -> str:
    return PROBLEMS.get(problem) or PROBLEMS.get(status, PROBLEMS["error"])


def hidden(target: str, verdict: Verdict, hints: Mapping[str, str]) -> Verdict:
    """``verdict`` with its message rebuilt from the vocabulary alone (points and status unchanged); ``hints``:
    the catalogue of mistakes (``grader.course.rules.HINTS``)."""
    if verdict.status == "pass":
        return replace(verdict, message=PASSED.get(verdict.problem, ""))
    message = f"{target}: {phrase(verdict.problem, verdict.status)}"
    if verdict.part and _PART.match(verdict.part) and verdict.part not in ("result", target):
        message += f" (in {verdict.part})"
    if verdict.mistake in hints:
        message += f" — likely mistake: {hints[verdict.mistake]}"
    return replace(verdict, message=message)


def is_vocabulary(message: str, hints: Mapping[str, str]) -> bool:
    """Whether ``message`` is one that ``hidden`` can produce (for tests that hidden rows hold nothing else)."""
    if message in PASSED.values():
        return True
    found = re.fullmatch(r"(\w+): (.+?)(?: \(in (.+?)\))?(?: — likely mistake: (.+))?", message, flags=re.DOTALL)
    if found is None:
        return False
    _, text, part, hint = found.groups()
    return (text in PROBLEMS.values() and (part is None or bool(_PART.match(part)))
            and (hint is None or hint in hints.values()))
