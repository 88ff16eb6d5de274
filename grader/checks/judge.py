"""From an Outcome to a Verdict: what a raise, a hang or a crash means to a student, and how a
returned value is judged against the expected one (with a known mistake named when it matches).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, overload

from grader.checks.base import Verdict
from grader.checks.compare import DEFAULT_RTOL, Mismatch, compare
from grader.checks.mistakes import NOT_STABLE, Mistake, match
from grader.protocol.outcomes import Crashed, Outcome, Raised, Returned, TimedOut

MAX_MESSAGE = 400


def _clip(text: str, limit: int = MAX_MESSAGE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _last_frame(traceback: str) -> str:
    """The student's innermost ``File ..., line N, in f`` line, without the directory."""
    frames = [line.strip() for line in traceback.splitlines() if line.strip().startswith("File ")]
    if not frames:
        return ""
    frame = frames[-1]
    if '"' in frame:
        path = frame.split('"')[1]
        frame = frame.replace(path, path.replace("\\", "/").rsplit("/", 1)[-1])
    return f" ({frame})"


@overload
def outcome_failure(outcome: Raised | TimedOut | Crashed, target: str) -> Verdict: ...


@overload
def outcome_failure(outcome: Outcome, target: str) -> Verdict | None: ...


def outcome_failure(outcome: Outcome, target: str) -> Verdict | None:
    """The verdict for a call that did not return normally, or None if it returned."""
    if isinstance(outcome, Returned):
        return None
    if isinstance(outcome, Raised):
        if outcome.exc_type == "NotImplementedError":
            return Verdict("error", 0.0, f"{target} is not implemented yet (it raises NotImplementedError)",
                           problem="not_implemented")
        text = f"{outcome.exc_type}: {outcome.message}" if outcome.message else outcome.exc_type
        return Verdict("error", 0.0, _clip(f"{target} raised {text}{_last_frame(outcome.traceback)}"), problem="raised")
    if isinstance(outcome, TimedOut):
        # to a tenth of a second: how far past its limit a call was stopped depends on the machine's load, and the
        # same hand-in graded twice must get the same message
        return Verdict("timeout", 0.0, f"{target} did not finish within {round(outcome.seconds, 1):g} s: an endless "
                       "loop?", problem="timeout")
    if isinstance(outcome, Crashed):
        if outcome.reason.startswith("bad reply"):
            return Verdict("error", 0.0, _clip(f"{target} returned something that is not numbers or arrays "
                                               f"({outcome.reason})"), problem="not_data")
        return Verdict("error", 0.0, _clip(f"{target} stopped the process running it: {outcome.reason}"),
                       problem="crashed")
    return Verdict("error", 0.0, f"{target}: unexpected outcome {type(outcome).__name__}", problem="internal")


def mismatch_verdict(target: str, mismatch: Mismatch, mistake: Mistake | None = None) -> Verdict:
    """A failing verdict for ``mismatch``, naming ``mistake`` (and giving its hint) when one was recognised."""
    message = f"{target}: {mismatch.message}"
    if mistake is not None:
        message += f" — likely mistake: {mistake.hint}"
    return Verdict.wrong(_clip(message, 2 * MAX_MESSAGE), mistake.id if mistake else "", problem=mismatch.problem,
                         part=mismatch.name)


def unstable(mismatch: Mismatch) -> Mistake | None:
    """NaN or inf where the answer is finite: the catalogued instability, when no other mistake explains it."""
    return NOT_STABLE if mismatch.problem == "nonfinite" else None


def stated(target: str, text: str, mistake: Mistake | None = None, problem: str = "property") -> Verdict:
    """A failing verdict for a problem stated in words (``problem``: its key in the hidden vocabulary)."""
    return mismatch_verdict(target, Mismatch("result", problem, text), mistake)


def judge_value(
    outcome: Outcome,
    expected: Any,
    *,
    target: str,
    name: str = "result",
    names: Sequence | None = None,
    rtol: float = DEFAULT_RTOL,
    hidden: bool = False,
    variants: Mapping[Mistake, Any] | None = None,
) -> Verdict:
    """Pass when the returned value matches ``expected`` (see ``compare``); else say how it differs.

    ``variants`` maps mistakes to what each returns on the same inputs (``grader.checks.mistakes.variants``).
    """
    if not isinstance(outcome, Returned):
        return outcome_failure(outcome, target)
    mismatch = compare(outcome.value, expected, name=name, names=names, rtol=rtol, hidden=hidden)
    if mismatch is None:
        return Verdict.ok()
    mistake = match(outcome.value, expected, variants or {}, rtol)
    return mismatch_verdict(target, mismatch, mistake or unstable(mismatch))
