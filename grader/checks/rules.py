"""A rule record per graded function, and the standard checks made from it.

A ``Rule`` holds what every check of one target needs: the maker of its inputs, the labels of its return,
its catalogued mistakes (each with the model of what it answers), how its backward is gradient-checked,
how it is judged on its own when it calls the student's other functions, and the sizes of its public
standard checks. The suites make the standard checks (the value against the reference, a
finite-difference gradient check, no mutation) from the rules (``standard_checks``) and write out only
their special cases, each with its id in full (``rule.value("hw2.max_backward.public.ties", ...)``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from grader.checks.base import Check, location
from grader.checks.maker import Maker, make
from grader.checks.mistakes import Mistake
from grader.checks.own import Own

STANDARD_KINDS = ("value", "gradient", "unchanged")


@dataclass(frozen=True)
class Gradient:
    """How a backward is gradient-checked: ``inputs(rng, *sizes)`` draws the forward's and the backward's
    inputs; ``call`` names the backward's arguments among them (or is ``fn(ref, inputs)``); ``forward`` is
    ``(reference forward, names of its arguments)`` (or ``fn(ref, inputs)``); ``wrt`` names the inputs each
    returned gradient is by, shaped like the return; ``upstream`` names the upstream gradient (None: a cost)."""

    inputs: Callable[..., dict[str, Any]]
    call: tuple[str, ...] | Callable
    forward: tuple | Callable
    wrt: Any
    upstream: Any = None


@dataclass(frozen=True)
class Spec:
    """One standard check of a rule: its case name, kind, points and the sizes its inputs are made with."""

    case: str
    kind: str
    points: float
    args: tuple
    options: tuple[tuple[str, Any], ...]
    description: str
    defined_at: str = field(default="", compare=False)


def _spec(kind: str, case: str, points: float, args: tuple, options: dict, description: str) -> Spec:
    return Spec(case, kind, points, args, tuple(options.items()), description, location(2))


def value(case: str, points: float, *args: Any, description: str, **options: Any) -> Spec:
    """A standard value check: the answer on the rule's inputs made with ``args`` (and the maker's keyword
    ``options``) equals the reference's."""
    return _spec("value", case, points, args, options, description)


def gradcheck(case: str, points: float, *args: Any, description: str, **options: Any) -> Spec:
    """A standard gradient check: the answer equals central differences of the reference forward."""
    return _spec("gradient", case, points, args, options, description)


def unchanged(case: str, points: float, *args: Any, description: str, **options: Any) -> Spec:
    """A standard property check: the right structure and shapes come back and no input is changed."""
    return _spec("unchanged", case, points, args, options, description)


@dataclass(frozen=True)
class Rule:
    """Everything the checks of one graded function need (see the module docstring).

    ``inputs(rng, *sizes)`` returns the call's positional arguments as an ordered dict, named as the function
    names its parameters; ``prepare(ref, inputs)`` completes them with reference answers where a call needs
    some (``mlp_backward``'s cache); ``public`` lists the public standard checks.
    """

    target: str
    inputs: Callable[..., Any] | None
    outputs: str | Sequence | Callable | None = None
    mistakes: tuple[Mistake, ...] = ()
    gradient: Gradient | None = None
    own: Own | None = None
    prepare: Callable | None = None
    public: tuple[Spec, ...] = ()
    defined_at: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.defined_at:
            object.__setattr__(self, "defined_at", location(2))
        ids = [m.id for m in self.mistakes]
        if len(set(ids)) != len(ids):
            raise ValueError(f"rule {self.target}: a mistake is listed twice")

    def _check(self, check_id: str, kind: str, points: float, params: dict, description: str, timeout: float,
               defined_at: str) -> Check:
        target = check_id.split(".")[1] if check_id.count(".") >= 3 else ""
        if target != self.target:
            raise ValueError(f"check {check_id!r} is made from the rule of {self.target}, not {target!r}")
        return Check(check_id, kind, points, params, timeout, description, defined_at)

    def check(self, check_id: str, kind: str, points: float, *, description: str, timeout: float = 10.0,
              **params: Any) -> Check:
        """A check of this rule's target of any kind, with its id written out and exactly these ``params``."""
        return self._check(check_id, kind, points, params, description, timeout, location(1))

    def value(self, check_id: str, points: float, inputs: Maker, *, description: str, timeout: float = 10.0,
              **params: Any) -> Check:
        """A value check of this rule with its id written out: ``params`` add to or replace the rule's own
        (``rtol``, ``expect``, ``outputs``, ``nonfinite``...)."""
        defaults = {"mistakes": self.mistakes, "outputs": self.outputs, "own": self.own, "prepare": self.prepare}
        return self._check(check_id, "value", points, _given({**defaults, "inputs": inputs, **params}), description,
                           timeout, location(1))

    def unchanged(self, check_id: str, points: float, inputs: Maker, *, description: str, timeout: float = 10.0,
                  **params: Any) -> Check:
        """A no-mutation check of this rule with its id written out (see ``value``)."""
        defaults = {"mistakes": self.mistakes, "outputs": self.outputs, "own": self.own, "prepare": self.prepare}
        return self._check(check_id, "unchanged", points, _given({**defaults, "inputs": inputs, **params}),
                           description, timeout, location(1))

    def gradcheck(self, check_id: str, points: float, inputs: Maker, *, description: str, timeout: float = 10.0,
                  **params: Any) -> Check:
        """A gradient check of this rule with its id written out; ``inputs`` as ``Gradient.inputs`` draws them."""
        if self.gradient is None:
            raise ValueError(f"rule {self.target} has no gradient check")
        g = self.gradient
        defaults = {"call": g.call, "forward": g.forward, "wrt": g.wrt, "upstream": g.upstream,
                    "mistakes": self.mistakes, "own": self.own}
        return self._check(check_id, "gradient", points, _given({**defaults, "inputs": inputs, **params}),
                           description, timeout, location(1))

    def standard(self, assignment: str, visibility: str, spec: Spec) -> Check:
        """The standard check ``spec`` of this rule (``<assignment>.<target>.<visibility>.<case>``), located
        where the spec is written."""
        check_id = f"{assignment}.{self.target}.{visibility}.{spec.case}"
        maker = self.gradient.inputs if spec.kind == "gradient" and self.gradient else self.inputs
        if maker is None:
            raise ValueError(f"rule {self.target} has no input maker for its standard checks")
        made = getattr(self, "gradcheck" if spec.kind == "gradient" else spec.kind)(
            check_id, spec.points, make(maker, *spec.args, **dict(spec.options)), description=spec.description)
        return Check(made.id, made.kind, made.points, made.params, made.timeout, made.description, spec.defined_at)


def _given(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters that are set (a rule's unset defaults are left to the kind's own)."""
    return {k: v for k, v in params.items() if v is not None and v != ()}


def standard_checks(assignment: str, visibility: str, rules: Iterable[Rule],
                    table: Mapping[str, Sequence[Spec]] | None = None) -> list[Check]:
    """The standard checks of ``rules``: the public ones each rule lists, or the hidden ones ``table`` lists by
    target. A rule that the hidden table leaves out gets hidden counterparts of its public standard checks,
    their sizes drawn from the check's (secret-seeded) generator, so a new rule is graded at once on
    shapes no student has seen (add its edge cases as special cases)."""
    checks = []
    for rule in rules:
        specs: Sequence[Spec]
        if visibility == "public":
            specs = rule.public
        elif table is not None and rule.target in table:
            specs = table[rule.target]
        else:
            checks += [_resized(rule, assignment, spec) for spec in rule.public]
            continue
        checks += [rule.standard(assignment, visibility, spec) for spec in specs]
    return checks


def _resized(rule: Rule, assignment: str, spec: Spec) -> Check:
    check = rule.standard(assignment, "hidden", spec)
    maker: Maker = check.params["inputs"]
    params = {**check.params, "inputs": Maker(maker.fn, maker.args, maker.kwargs, resize=True)}
    return Check(check.id, check.kind, check.points, params, check.timeout, check.description, check.defined_at)
