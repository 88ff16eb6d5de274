"""Known mistakes: a mistake is a record (id, hint, model), and a matcher recognises one from a wrong answer.

A rule lists the mistakes students make with it. A mistake's ``model`` computes, in the grader, what the
mistake answers on a check's inputs given the right answer (a "variant" of it); ``match`` asks which
variant a student's answer equals. A mistake without a model is recognised by a check kind's own logic
(e.g. the order of minibatches). The course's catalogue of hints is built from the rules
(``grader.course.catalogue``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from grader.checks.compare import ANY, DEFAULT_RTOL, compare

Model = Callable[[Any, Any], Any]  # (inputs, right answer) -> what the mistake answers, or None where it cannot
K = TypeVar("K")


@dataclass(frozen=True)
class Mistake:
    """A mistake students make: ``id`` (what reports count), ``hint`` (what feedback says), ``model``."""

    id: str
    hint: str
    model: Model | None = None

    def answer(self, inputs: Any, right: Any) -> Any:
        """What this mistake answers on ``inputs`` (None: it does not apply to them, or has no model)."""
        return None if self.model is None else self.model(inputs, right)


# Mistakes any function can make, whatever its rule.
MUTATED_INPUT = Mistake("mutated_input", "compute into a new array instead of changing an input in place "
                        "(`w = w - lr * g`, not `w -= ...`)")
NOT_STABLE = Mistake(
    "not_stable", "not numerically stable for inputs of large magnitude (e^1000 overflows, log(0) is −inf): "
    "shift by the row max and use log-softmax = shifted − log Σ exp(shifted); for sigmoid, exp(−logaddexp(0, −S))")
GENERAL: tuple[Mistake, ...] = (MUTATED_INPUT, NOT_STABLE)


def variants(mistakes: Iterable[Mistake], inputs: Any, right: Any) -> dict[Mistake, Any]:
    """What each mistake with a model answers on ``inputs``, in the rule's order (the first match wins)."""
    found = {}
    for mistake in mistakes:
        answer = mistake.answer(inputs, right)
        if answer is not None:
            found[mistake] = answer
    return found


def _distinguishing(variant: Any, expected: Any, rtol: float) -> Any:
    """``variant`` with the parts that equal the expected answer replaced by ANY; None if nothing differs."""
    if isinstance(variant, (list, tuple)) and isinstance(expected, (list, tuple)) and len(variant) == len(expected):
        parts = [_distinguishing(v, e, rtol) for v, e in zip(variant, expected, strict=True)]
        if all(p is None for p in parts):
            return None
        return [ANY if p is None else p for p in parts]
    return None if compare(variant, expected, rtol=rtol) is None else variant


_MISSING = object()


def _differing_parts(variant: Any, expected: Any, rtol: float, path: tuple[int, ...] = (), *,
                     values: bool = True) -> list[tuple[int, ...]]:
    """Where ``variant`` differs from ``expected``: the paths of the parts (into lists and tuples of the same length,
    as ``_distinguishing`` goes) that do not compare equal (``values=False``: in structure or shape)."""
    if isinstance(variant, (list, tuple)) and isinstance(expected, (list, tuple)) and len(variant) == len(expected):
        return [p for i, (v, e) in enumerate(zip(variant, expected, strict=True))
                for p in _differing_parts(v, e, rtol, (*path, i), values=values)]
    return [] if compare(variant, expected, values=values, rtol=rtol) is None else [path]


def _part(value: Any, path: tuple[int, ...]) -> Any:
    for i in path:
        if not isinstance(value, (list, tuple)) or i >= len(value):
            return _MISSING
        value = value[i]
    return value


def visible(expected: Any, variants: Mapping[Mistake, Any], rtol: float = DEFAULT_RTOL, *,
            values: bool = True) -> frozenset[str]:
    """The mistakes that would change the answer on these inputs (``values=False``: its structure or a shape): a
    right answer here shows they were not made."""
    return frozenset(m.id for m, v in variants.items() if _differing_parts(v, expected, rtol, values=values))


def refuted(actual: Any, expected: Any, variants: Mapping[Mistake, Any], rtol: float = DEFAULT_RTOL, *,
            values: bool = True) -> frozenset[str]:
    """The mistakes ``actual`` shows were not made, or not made alone: on a part where a mistake would change the
    answer, ``actual`` holds something else than that mistake gives (the right answer, or another wrong one). A
    right answer refutes every ``visible`` mistake; a helper that makes one catalogued mistake throughout refutes
    it nowhere. ``values=False``: structure and shapes only (what a no-mutation check judges)."""
    out = set()
    for mistake, variant in variants.items():
        for path in _differing_parts(variant, expected, rtol, values=values):
            part = _part(actual, path)
            if part is not _MISSING and compare(part, _part(variant, path), values=values, rtol=rtol) is not None:
                out.add(mistake.id)
                break
    return frozenset(out)


def match(actual: Any, expected: Any, variants: Mapping[K, Any], rtol: float = DEFAULT_RTOL) -> K | None:
    """The first mistake whose answer ``actual`` equals, None if none.

    Only the parts where a mistake changes the answer are compared, so a mistake in ``dW`` is still
    named when ``db`` is wrong too; a mistake that changes nothing on these inputs never matches.
    """
    for mistake, variant in variants.items():
        distinct = _distinguishing(variant, expected, rtol)
        if distinct is not None and compare(actual, distinct, rtol=rtol) is None:
            return mistake
    return None
