"""Judging a target on its own when it calls the student's other functions.

``batch_gd`` calls the student's ``gd_step``; ``mlp_backward`` their ``linear_backward``. When such a
target's answer is wrong, its ``Own`` recipe recomputes, in the grader, what the target answers if it is
right and its helpers make the mistakes their own checks caught them making: each helper's answer is the
reference's, turned by the catalogued model of that mistake (the same variants the checks name mistakes
with). If the target's answer matches one of these, the target is right and only the helpers' own
checks charge the bug.

No student code runs in the recomputation, so nothing a helper remembers, counts or notices can buy the
excuse, and it holds only for a catalogued mistake that the helper's own checks diagnosed: a helper that
is wrong in some other way excuses nothing (``grader.suites.runner.run_suite`` judges helpers first and
hands each check what was diagnosed). Nor does a mistake the helper makes only now and then: once one of its
answers is not what the mistake gives where the mistake would change it (``grader.checks.mistakes.refuted``: right
there, or wrong another way), the mistake excuses nothing, and an excuse it gave before is withdrawn when the
submission's checks are all judged (``withdrawn``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from grader.checks.base import Context, Verdict
from grader.checks.compare import DEFAULT_RTOL, compare
from grader.checks.mistakes import Mistake

MAX_COMBINATIONS = 64  # each helper's diagnosed mistakes, or right; the first ones tried


class Helpers:
    """The helpers as a recomputation sees them: the reference's answers, with the chosen mistakes applied."""

    def __init__(self, ctx: Context, models: Mapping[str, tuple[Mistake, ...]], chosen: Mapping[str, str]) -> None:
        self._ctx, self._models, self._chosen = ctx, models, chosen

    def __call__(self, function: str, **inputs: Any) -> Any:
        """Helper ``function``'s answer on these inputs (named as the function names its parameters)."""
        return self.apply(function, inputs, self._ctx.reference(function, *inputs.values()))

    def apply(self, function: str, inputs: dict[str, Any], right: Any) -> Any:
        """``right``, or what the chosen mistake of ``function`` makes of it on ``inputs``."""
        chosen = self._chosen.get(function)
        if chosen is None:
            return right
        mistake = next((m for m in self._models[function] if m.id == chosen), None)
        answer = None if mistake is None else mistake.answer(inputs, right)
        if answer is None:
            raise LookupError(f"{chosen} does not apply to these inputs of {function}")
        return answer


@dataclass(frozen=True)
class Own:
    """How a target is computed from its helpers: ``compute(helpers, args)`` is the right answer given the
    helpers' answers; ``models`` maps each helper the target calls to its catalogued mistakes (the rule's)."""

    models: Mapping[str, tuple[Mistake, ...]]
    compute: Callable[[Helpers, tuple], Any]


Excuse = tuple[tuple[str, str], ...]  # (helper, mistake) for each helper that makes one


def excuses(ctx: Context, own: Own, args: tuple, value: Any, view: Callable[[Any], Any] = lambda e: e, *,
            values: bool = True, rtol: float = DEFAULT_RTOL) -> tuple[Excuse, ...]:
    """Each choice of the mistakes diagnosed on the helpers' own checks (and not refuted there) under which
    ``value`` matches (the ``view`` of) the target's answer: none when it is wrong whatever they make (see the
    module docstring). A helper may also be taken as right: a bug of it that the target's answer does not show
    (one without a model, say an input changed in place, or whose model does not apply to the target's inputs)
    must not stand in the way of another helper's excuse; it excuses nothing itself."""
    options = [[(h, m) for m in sorted(ctx.failed.get(h, ()))] + [(h, None)] for h in own.models if ctx.failed.get(h)]
    found = []
    for combination in itertools.islice(itertools.product(*options), MAX_COMBINATIONS if options else 0):
        chosen = tuple((h, m) for h, m in combination if m is not None)
        if not chosen:  # every helper right: the reference's answer, which a failing answer is not
            continue
        try:
            theirs = own.compute(Helpers(ctx, own.models, dict(chosen)), args)
        except Exception:  # noqa: BLE001 - a model that does not apply to these inputs excuses nothing
            continue
        if compare(value, view(theirs), values=values, rtol=rtol) is None:
            found.append(chosen)
    return tuple(found)


def excused(target: str, found: tuple[Excuse, ...], otherwise: Verdict, text: bool = True) -> Verdict:
    """The pass of an answer that is right given the student's own helpers, keeping what it rests on and what the
    answer refutes (``otherwise``'s); ``text``: saying so in its message."""
    return Verdict("pass", 1.0, message(target) if text else "", problem="own_helpers" if text else "",
                   refutes=otherwise.refutes, excuses=found, otherwise=otherwise)


def withdrawn(verdict: Verdict, refuted: Mapping[str, frozenset[str]]) -> Verdict:
    """``verdict``, or the one it would have been without its excuse when every way it was excused rests on a
    mistake that a helper's answers have since refuted."""
    if verdict.otherwise is None or any(all(m not in refuted.get(h, ()) for h, m in excuse)
                                        for excuse in verdict.excuses):
        return verdict
    return verdict.otherwise


def message(target: str) -> str:
    return f"{target} is right given your own helper functions (their own checks grade them)"
