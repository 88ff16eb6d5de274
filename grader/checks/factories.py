"""Build Check objects from declarative descriptions, so that a suite reads as a table.

``inputs(rng)`` returns the call's positional arguments as an ordered dict (names label feedback);
``prepare(ref, inputs)``, when given, completes them with reference answers (``mlp_backward``'s cache);
``variants(inputs, expected)`` returns what each known mistake would answer on those inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.checks.base import Builtin, Check, Context, Kind, Rng, Verdict, Visibility
from grader.checks.compare import DEFAULT_RTOL, Mismatch, compare
from grader.checks.gradient import gradient_mismatch, numeric_gradient, objective
from grader.checks.judge import judge_value, mismatch_verdict, outcome_failure
from grader.checks.mistakes import match
from grader.checks.own import Own, message, right_given_own
from grader.protocol.outcomes import Returned

Inputs = Callable[[np.random.Generator], dict[str, Any]]
Variants = Callable[[dict[str, Any], Any], dict[str, Any]]
Expect = Callable[[Any], Any]
Ref = Callable[..., Any]  # ref(function, *args): a reference answer
Forward = Callable[[Ref, dict[str, Any]], Any]
Prepare = Callable[[Ref, dict[str, Any]], dict[str, Any]]


def forward(function: str, *keys: str) -> Forward:
    """The reference ``function`` applied to the inputs named ``keys``."""
    return lambda ref, d: ref(function, *(d[k] for k in keys))


def args(*keys: str) -> Callable[[Ref, dict[str, Any]], tuple]:
    """A backward's arguments: the inputs named ``keys``, in order."""
    return lambda ref, d: tuple(d[k] for k in keys)


def _inputs(ctx: Context, inputs: Inputs, prepare: Prepare | None) -> dict[str, Any]:
    d = inputs(ctx.rng)
    return prepare(ctx.reference, d) if prepare else d


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


def _grad_names(wrt: Any) -> Any:
    if isinstance(wrt, (list, tuple)):
        return [_grad_names(w) if isinstance(w, (list, tuple)) else f"d{w}" for w in wrt]
    return None


@dataclass(frozen=True)
class SuiteBuilder:
    """Makes the checks of one suite: ``SuiteBuilder("hw2", "hidden").value(...)``."""

    assignment: str
    visibility: Visibility
    module: str | None = None  # the suite's __name__: checks' code is then attributed to (and hashed with) it
    outputs: Mapping[str, Any] = field(default_factory=dict)  # target -> its return's label, or labels of its parts

    @property
    def hidden(self) -> bool:
        return self.visibility == "hidden"

    def _labels(self, target: str, names: Sequence | None) -> tuple[str, Sequence | None]:
        """(name, names) for ``compare``: explicit ``names`` win over the suite's ``outputs`` table."""
        label = names if names is not None else self.outputs.get(target)
        return (label, None) if isinstance(label, str) else ("result", label)

    def check(self, target: str, case: str, kind: Kind, points: float, run: Callable[[Context], Verdict],
              description: str, timeout: float = 10.0) -> Check:
        check_id = f"{self.assignment}.{target}.{self.visibility}.{case}"
        if self.module:
            run.__module__ = self.module
        return Check(check_id, self.assignment, target, kind, points, self.visibility, run, timeout, description)

    def value(self, target: str, case: str, points: float, inputs: Inputs, *, description: str,
              names: Sequence | None = None, rtol: float = DEFAULT_RTOL, expect: Expect | None = None,
              variants: Variants | None = None, prepare: Prepare | None = None,
              own: Own | None = None, timeout: float = 10.0) -> Check:
        """The answer must match the reference's on the same inputs (``expect`` may blank parts with ANY).

        ``own(ctx, args)`` (see ``grader.checks.own``) is asked only when the answer is wrong: an answer
        that is right given the student's own helper functions passes.
        """

        def run(ctx: Context) -> Verdict:
            d = _inputs(ctx, inputs, prepare)
            outcome = ctx.call(*d.values())
            if not isinstance(outcome, Returned):
                return outcome_failure(outcome, target)
            full = ctx.reference(target, *d.values())
            shown = expect or (lambda e: e)
            wrongs = {k: shown(v) for k, v in (variants(d, full) if variants else {}).items()}
            name, parts = self._labels(target, names)
            verdict = judge_value(outcome, shown(full), target=target, name=name, names=parts, rtol=rtol,
                                  hidden=self.hidden, variants=wrongs)
            if verdict.status == "fail" and own and right_given_own(ctx, own, tuple(d.values()), outcome.value,
                                                                    shown, rtol=rtol):
                return Verdict.ok(message(target), problem="own_helpers")
            return verdict

        return self.check(target, case, "value", points, run, description, timeout)

    def unchanged(self, target: str, case: str, points: float, inputs: Inputs, *, description: str,
                  names: Sequence | None = None, expect: Expect | None = None, prepare: Prepare | None = None,
                  own: Own | None = None, timeout: float = 10.0) -> Check:
        """Property: the call returns the right structure and shapes and leaves every input as it was."""

        def run(ctx: Context) -> Verdict:
            d = _inputs(ctx, inputs, prepare)
            outcome = ctx.call(*d.values())
            if not isinstance(outcome, Returned):
                return outcome_failure(outcome, target)
            expected = ctx.reference(target, *d.values())
            shown = expect or (lambda e: e)
            name, parts = self._labels(target, names)
            found = compare(outcome.value, shown(expected), name=name, names=parts, values=False, hidden=self.hidden)
            if found is not None and not (own and right_given_own(ctx, own, tuple(d.values()), outcome.value, shown,
                                                                  values=False)):
                return mismatch_verdict(target, found)
            for (arg, sent), after in zip(d.items(), outcome.args_after, strict=False):
                if not _same(sent, after):
                    return mismatch_verdict_text(target, f"it modified its input {arg}", "mutated_input", "mutated")
            return Verdict.ok()

        return self.check(target, case, "property", points, run, description, timeout)

    def gradient(self, target: str, case: str, points: float, inputs: Inputs, *, description: str,
                 call: Callable[[Ref, dict[str, Any]], tuple], forward: Forward, wrt: Any, upstream: Any = None,
                 variants: Variants | None = None, own: Own | None = None, timeout: float = 10.0) -> Check:
        """The backward's answer must match central differences of the REFERENCE forward.

        ``call(ref, d)`` gives the backward's arguments (see ``args``); ``wrt`` names, in the shape of the
        backward's return, the inputs each gradient is by (``("X", "W", "b")``); ``upstream`` names the
        upstream gradient (a tuple of names for a forward with several outputs; None for a cost: 1).
        """
        names = _grad_names(wrt)
        name = f"d{wrt}" if isinstance(wrt, str) else "result"

        def run(ctx: Context) -> Verdict:
            d = inputs(ctx.rng)
            call_args = call(ctx.reference, d)
            outcome = ctx.call(*call_args)
            if not isinstance(outcome, Returned):
                return outcome_failure(outcome, target)
            ref = ctx.reference
            up = 1.0 if upstream is None else (
                tuple(d[k] for k in upstream) if isinstance(upstream, tuple) else d[upstream])

            def numeric(key: Any) -> Any:
                if isinstance(key, (list, tuple)):
                    return [numeric(k) for k in key]
                return numeric_gradient(lambda v: objective(forward(ref, {**d, key: v}), up), d[key])

            # Asked for whatever the answer, so that a recording made with the reference holds every call.
            expected = ctx.reference(target, *call_args)
            found = gradient_mismatch(outcome.value, numeric(wrt), name=name, names=names, hidden=self.hidden)
            if found is None:
                return Verdict.ok()
            if own and right_given_own(ctx, own, call_args, outcome.value):
                return Verdict.ok(message(target), problem="own_helpers")
            mistake = match(outcome.value, expected, variants(d, expected)) if variants else ""
            return mismatch_verdict(target, found, mistake or ("not_stable" if found.problem == "nonfinite" else ""))

        return self.check(target, case, "gradient", points, run, description, timeout)


def mismatch_verdict_text(target: str, text: str, mistake: str = "", problem: str = "property") -> Verdict:
    """A failing verdict for a problem stated in words (``problem``: its key in the hidden vocabulary)."""
    return mismatch_verdict(target, Mismatch("result", problem, text), mistake)
