"""The check record, the verdict it produces, and the context a check runs in.

A check runs in the grader's process. It never executes student code itself: it builds inputs with
``ctx.rng``, asks the sandboxed worker to call the student's function (``ctx.call``), and judges the
validated data that comes back against the trusted reference, computed here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from grader.protocol.markers import Builtin, Rng  # noqa: F401 - re-exported: checks write Builtin(...), Rng(...)
from grader.protocol.outcomes import Outcome

Kind = Literal["value", "gradient", "accuracy", "statistical", "property"]
Visibility = Literal["public", "hidden"]
Status = Literal["pass", "fail", "error", "timeout"]


@dataclass(frozen=True)
class Verdict:
    """How a check went: ``fraction`` of its points earned (0..1), and why, in a student's terms."""

    status: Status
    fraction: float
    message: str = ""
    mistake: str = ""  # id of a recognised known mistake, "" if none
    problem: str = ""  # what went wrong, a key of grader.checks.vocabulary.PROBLEMS ("" if none applies)
    part: str = ""  # which part of the return, a label the check defines ("dW"), "" for the whole

    @classmethod
    def ok(cls, message: str = "", problem: str = "") -> Verdict:
        return cls("pass", 1.0, message, problem=problem)

    @classmethod
    def wrong(cls, message: str, mistake: str = "", fraction: float = 0.0, problem: str = "",
              part: str = "") -> Verdict:
        return cls("fail", fraction, message, mistake, problem, part)


class Worker(Protocol):
    """The sandboxed side, as a check sees it (implemented by the runner)."""

    def call(self, function: str, args: tuple, kwargs: dict, *, timeout: float) -> Outcome:
        """Call ``function`` of the student's module with data arguments (see ``grader.protocol.outcomes``).

        An argument may also be ``Builtin("name")``: a grader-side helper callable resolved in the worker
        from ``grader.worker.builtins`` (e.g. a loss function handed to ``dataset_loss``).
        """

    def procedure(self, name: str, payload: dict, *, timeout: float) -> Outcome:
        """Run a named worker-side procedure (``grader.worker.procedures``) that drives student code
        through steps that cannot cross as data, e.g. training a torch model with the student's ``train``.
        """

    def restart(self) -> None:
        """The next call runs in a fresh process: nothing an earlier call left behind (module state,
        patched libraries, threads) can influence it."""


class References(Protocol):
    """Trusted reference answers, computed in the grader's process (live from ``reference/`` in the
    instructor repo; replayed from recorded answers in a student release). Markers are resolved."""

    def __call__(self, assignment: str, function: str, args: tuple, kwargs: dict) -> Any: ...


@dataclass
class Context:
    """What a running check gets: its seeded generator and the worker to call into."""

    check: Check
    rng: np.random.Generator
    worker: Worker
    references: References
    extras: dict[str, Any] = field(default_factory=dict)
    # targets of this submission with a check that did not pass so far -> the catalogued mistakes diagnosed
    failed: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def call(self, *args: Any, **kwargs: Any) -> Outcome:
        """Call the check's own target with these arguments."""
        return self.worker.call(self.check.target, args, kwargs, timeout=self.check.timeout)

    def call_function(self, function: str, *args: Any, **kwargs: Any) -> Outcome:
        """Call another function of the student's module (rarely needed: judge each target on its own)."""
        return self.worker.call(function, args, kwargs, timeout=self.check.timeout)

    def procedure(self, name: str, **payload: Any) -> Outcome:
        return self.worker.procedure(name, payload, timeout=self.check.timeout)

    def restart(self) -> None:
        """The next call runs in a fresh process (see ``Worker.restart``)."""
        self.worker.restart()

    def reference(self, function: str, *args: Any, **kwargs: Any) -> Any:
        """The trusted answer of ``function`` (default: this check's target) of this assignment."""
        return self.references(self.check.assignment, function, args, kwargs)


@dataclass(frozen=True)
class Check:
    """One graded check. ``id`` is stable across runs and releases: ``<hw>.<target>.<visibility>.<case>``."""

    id: str
    assignment: str
    target: str
    kind: Kind
    points: float
    visibility: Visibility
    run: Callable[[Context], Verdict]
    timeout: float = 10.0
    description: str = ""

    def __post_init__(self) -> None:
        parts = self.id.split(".")
        if len(parts) < 4 or parts[0] != self.assignment or parts[1] != self.target or parts[2] != self.visibility:
            expected = f"{self.assignment}.{self.target}.{self.visibility}.<case>"
            raise ValueError(f"check id {self.id!r} must read {expected!r}")
        if self.points <= 0:
            raise ValueError(f"check {self.id}: points must be positive")


def check_seed(check_id: str, visibility: Visibility, secret: str, fresh_public: bool = False) -> int:
    """Seed for a check's generator. Hidden seeds need the course secret, which never appears in code or
    in a release. Public seeds follow from the id alone, so a student can reproduce them (``grader check``)
    and a release can ship their answers; that is also why the course's own grading draws them afresh
    from the secret (``fresh_public``): a hand-in holding a table of the public answers earns nothing."""
    if (visibility == "hidden" or fresh_public) and not secret:
        raise ValueError("hidden checks need the course secret (set GRADER_SECRET or course.toml [grading] secret)")
    if visibility == "hidden":
        material = f"{check_id}|{secret}"
    else:
        material = f"{check_id}|public|{secret}" if fresh_public else f"{check_id}|public"
    return int.from_bytes(hashlib.sha256(material.encode()).digest()[:8], "little")


def make_context(check: Check, worker: Worker, references: References, secret: str,
                 failed: Mapping[str, frozenset[str]] | None = None, fresh_public: bool = False) -> Context:
    rng = np.random.default_rng(check_seed(check.id, check.visibility, secret, fresh_public))
    return Context(check, rng, worker, references, failed=dict(failed or {}))
