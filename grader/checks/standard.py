"""The standard kinds of check, which every rule gets: its value against the reference, a finite-difference
gradient check of a backward, and the property that a call leaves its inputs as they were.

Each is ``kind(ctx, **params)``. ``inputs(rng)`` returns the call's positional arguments as an ordered dict
(the names label feedback); ``prepare(ref, inputs)``, when given, completes them with reference answers
(``mlp_backward``'s cache); ``mistakes`` are the rule's catalogued mistakes, whose models name a wrong
answer; ``outputs`` labels the return (``"dX"``, or ``("dX", "dW", "db")``); ``own`` (``grader.checks.own``)
is asked only when the answer is wrong: an answer that is right given the student's own helpers passes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from grader.checks.base import Context, Verdict
from grader.checks.compare import DEFAULT_RTOL, compare
from grader.checks.gradient import gradient_mismatch, numeric_gradient, objective
from grader.checks.judge import judge_value, mismatch_verdict, outcome_failure, stated, unstable
from grader.checks.mistakes import MUTATED_INPUT, Mistake, match, refuted, variants, visible
from grader.checks.own import Own, excused, excuses
from grader.protocol.markers import Builtin, Rng
from grader.protocol.outcomes import Returned

Inputs = Callable[[np.random.Generator], dict[str, Any]]
Ref = Callable[..., Any]  # ref(function, *args): a reference answer
Labels = str | Sequence | Callable | None  # a callable: the labels as a function of the inputs (a net's depth)


def _identity(value: Any) -> Any:
    return value


def _inputs(ctx: Context, inputs: Inputs, prepare: Callable | None) -> dict[str, Any]:
    d = inputs(ctx.rng)
    return prepare(ctx.reference, d) if prepare else d


def _labels(outputs: Labels, d: dict[str, Any]) -> tuple[str, Any]:
    """(name, names) for ``compare``: a single label, or the labels of a tuple's parts."""
    if callable(outputs):
        outputs = outputs(d)
    return (outputs, None) if isinstance(outputs, str) else ("result", outputs)


def _same(sent: Any, after: Any) -> bool:
    """Whether an argument came back exactly as sent (markers and callables cannot be compared)."""
    if isinstance(sent, (Rng, Builtin)) or after is None and sent is not None:
        return True
    if isinstance(sent, (list, tuple)):
        return isinstance(after, (list, tuple)) and len(after) == len(sent) and all(map(_same, sent, after))
    if isinstance(sent, np.ndarray):
        a = np.asarray(after)
        return a.shape == sent.shape and bool(np.array_equal(a, sent, equal_nan=sent.dtype.kind == "f"))
    return bool(sent == after)


def value(ctx: Context, *, inputs: Inputs, mistakes: Sequence[Mistake] = (), outputs: Labels = None,
          rtol: float = DEFAULT_RTOL, expect: Callable | None = None, prepare: Callable | None = None,
          own: Own | None = None, nonfinite: Mistake | None = None) -> Verdict:
    """The answer must match the reference's on the same inputs (``expect`` may blank parts with ANY).
    ``nonfinite``: the mistake a NaN or inf in the answer is blamed on (a variant holding NaN never matches)."""
    target = ctx.check.target
    d = ctx.expected("inputs", lambda: _inputs(ctx, inputs, prepare))
    outcome = ctx.call(*d.values())
    if not isinstance(outcome, Returned):
        return outcome_failure(outcome, target)
    shown = expect or _identity

    def expectation() -> tuple[Any, dict[Mistake, Any]]:
        full = ctx.reference(target, *d.values())
        return shown(full), {m: shown(v) for m, v in variants(mistakes, d, full).items()}

    right, wrongs = ctx.expected("value", expectation)
    name, parts = _labels(outputs, d)
    verdict = judge_value(outcome, right, target=target, name=name, names=parts, rtol=rtol,
                          hidden=ctx.hidden, variants=wrongs)
    if verdict.status == "pass":  # judge_value's pass is a plain Verdict.ok(): built here, not copied
        return Verdict("pass", 1.0, refutes=ctx.expected("visible", lambda: visible(right, wrongs, rtol)))
    # the generic "not_stable" hint speaks of exp overflows, which need not be what goes wrong here
    if nonfinite and verdict.mistake in ("", "not_stable") and "NaN or inf" in verdict.message:
        verdict = stated(target, "the result contains NaN or inf", nonfinite)
    verdict = replace(verdict, refutes=refuted(outcome.value, right, wrongs, rtol))
    found = excuses(ctx, own, tuple(d.values()), outcome.value, shown, rtol=rtol) if own else ()
    return excused(target, found, verdict) if found else verdict


def unchanged(ctx: Context, *, inputs: Inputs, mistakes: Sequence[Mistake] = (), outputs: Labels = None,
              expect: Callable | None = None, prepare: Callable | None = None, own: Own | None = None) -> Verdict:
    """Property: the call returns the right structure and shapes and leaves every input as it was (as the
    grader reads the arguments back after the call). Its shapes refute the ``mistakes`` that would change one."""
    target = ctx.check.target
    d = ctx.expected("inputs", lambda: _inputs(ctx, inputs, prepare))
    outcome = ctx.call(*d.values())
    if not isinstance(outcome, Returned):
        return outcome_failure(outcome, target)
    shown = expect or _identity

    def expectation() -> tuple[Any, dict[Mistake, Any]]:
        full = ctx.reference(target, *d.values())
        return shown(full), {m: shown(v) for m, v in variants(mistakes, d, full).items()}

    expected, wrongs = ctx.expected("value", expectation)
    name, parts = _labels(outputs, d)
    found = compare(outcome.value, expected, name=name, names=parts, values=False, hidden=ctx.hidden)
    refutes = ctx.expected("visible", lambda: visible(expected, wrongs, values=False)) if found is None else \
        refuted(outcome.value, expected, wrongs, values=False)  # right shapes refute every mistake changing one
    shapes_excused = excuses(ctx, own, tuple(d.values()), outcome.value, shown, values=False) \
        if found is not None and own else ()
    if found is not None and not shapes_excused:
        return replace(mismatch_verdict(target, found), refutes=refutes)
    for (arg, sent), after in zip(d.items(), outcome.args_after, strict=False):
        if not _same(sent, after):
            return replace(stated(target, f"it modified its input {arg}", MUTATED_INPUT, "mutated"), refutes=refutes)
    if found is not None:  # wrong shapes reach here only when right given the helpers, and nothing changed
        return excused(target, shapes_excused, replace(mismatch_verdict(target, found), refutes=refutes), text=False)
    return Verdict("pass", 1.0, refutes=refutes)


def _grad_names(wrt: Any) -> Any:
    if isinstance(wrt, (list, tuple)):
        return [_grad_names(w) if isinstance(w, (list, tuple)) else f"d{w}" for w in wrt]
    return None


def _call_args(call: Sequence[str] | Callable, ref: Ref, d: dict[str, Any]) -> tuple:
    return call(ref, d) if callable(call) else tuple(d[k] for k in call)


def _forward(forward: tuple | Callable, ref: Ref, d: dict[str, Any]) -> Any:
    if callable(forward):
        return forward(ref, d)
    function, keys = forward
    return ref(function, *(d[k] for k in keys))


def gradient(ctx: Context, *, inputs: Inputs, call: Sequence[str] | Callable, forward: tuple | Callable, wrt: Any,
             upstream: Any = None, mistakes: Sequence[Mistake] = (), own: Own | None = None) -> Verdict:
    """The backward's answer must match central differences of the REFERENCE forward.

    ``call`` names the backward's arguments among the inputs (or is ``fn(ref, inputs)``); ``forward`` is
    ``(reference forward, names of its arguments)`` (or ``fn(ref, inputs)``); ``wrt`` names, in the shape of
    the backward's return, the inputs each gradient is by (``("X", "W", "b")``; or ``fn(inputs)``);
    ``upstream`` names the upstream gradient (a tuple of names for a forward with several outputs; None for
    a cost: 1).
    """
    target = ctx.check.target
    d = ctx.expected("inputs", lambda: inputs(ctx.rng))
    if callable(wrt):
        wrt = wrt(d)
    names = _grad_names(wrt)
    name = f"d{wrt}" if isinstance(wrt, str) else "result"
    call_args = ctx.expected("call", lambda: _call_args(call, ctx.reference, d))
    outcome = ctx.call(*call_args)
    if not isinstance(outcome, Returned):
        return outcome_failure(outcome, target)
    ref = ctx.reference
    up = 1.0 if upstream is None else (tuple(d[k] for k in upstream) if isinstance(upstream, tuple) else d[upstream])

    def numeric(key: Any) -> Any:
        if isinstance(key, (list, tuple)):
            return [numeric(k) for k in key]
        return numeric_gradient(lambda v: objective(_forward(forward, ref, {**d, key: v}), up), d[key])

    # Asked for whatever the answer, so that a recording made with the reference holds every call.
    expected, numerical = ctx.expected("gradient", lambda: (ctx.reference(target, *call_args), numeric(wrt)))
    found = gradient_mismatch(outcome.value, numerical, name=name, names=names, hidden=ctx.hidden)
    if found is None:  # a right answer shows the mistakes that would fail this check were not made

        def failing() -> frozenset[str]:
            wrongs = ctx.expected("variants", lambda: variants(mistakes, d, expected))
            return frozenset(m.id for m, v in wrongs.items()
                             if gradient_mismatch(v, numerical, name=name, names=names) is not None)

        return Verdict.ok() if not mistakes else Verdict("pass", 1.0, refutes=ctx.expected("visible", failing))
    wrongs = ctx.expected("variants", lambda: variants(mistakes, d, expected)) if mistakes else {}
    mistake = match(outcome.value, expected, wrongs) if mistakes else None
    verdict = replace(mismatch_verdict(target, found, mistake or unstable(found)),
                      refutes=refuted(outcome.value, expected, wrongs))
    found_excuses = excuses(ctx, own, call_args, outcome.value) if own else ()
    return excused(target, found_excuses, verdict) if found_excuses else verdict
