"""The check record, the verdict it produces, and the context a check runs in.

A check is data: an id, the name of its kind (the procedure that judges it, looked up in the course's
registry ``grader.course.kinds.KINDS``), its parameters, points and timeout. It runs in the grader's
process and never executes student code itself: its kind builds inputs with ``ctx.rng``, asks the
sandboxed worker to call the student's function (``ctx.call``), and judges the validated data that comes
back against the trusted reference, computed here.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from grader.checks.expectations import Expectations
from grader.protocol.outcomes import Outcome

Category = Literal["value", "gradient", "accuracy", "statistical", "property"]
Visibility = Literal["public", "hidden"]
Status = Literal["pass", "fail", "error", "timeout"]
VISIBILITIES = ("public", "hidden")
SOURCE_ROOT = Path(__file__).resolve().parent.parent.parent  # where check locations are shown from


@dataclass(frozen=True)
class Verdict:
    """How a check went: ``fraction`` of its points earned (0..1), and why, in a student's terms."""

    status: Status
    fraction: float
    message: str = ""
    mistake: str = ""  # id of a recognised known mistake, "" if none
    problem: str = ""  # what went wrong, a key of grader.checks.vocabulary.PROBLEMS ("" if none applies)
    part: str = ""  # which part of the return, a label the check defines ("dW"), "" for the whole
    # What the suite's run weighs, not part of the verdict itself (left out of ==): the catalogued mistakes of the
    # target this answer shows it does not make (grader.checks.mistakes.refuted); for a pass that rests on the
    # student's own helpers (grader.checks.own), each way their diagnosed mistakes make the answer right, as
    # (helper, mistake) pairs, and the verdict without that excuse, given once none holds any more.
    refutes: frozenset[str] = field(default=frozenset(), compare=False)
    excuses: tuple[tuple[tuple[str, str], ...], ...] = field(default=(), compare=False)
    otherwise: Verdict | None = field(default=None, compare=False)

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
        from ``grader.protocol.builtins`` (e.g. a loss function handed to ``dataset_loss``).
        """

    def procedure(self, name: str, payload: dict, *, timeout: float) -> Outcome:
        """Run a named worker-side procedure (``grader.worker.procedures``) that drives student code
        through steps that cannot cross as data, e.g. training a torch model with the student's ``train``.
        """

    def restart(self) -> None:
        """The next call runs in a fresh process: nothing an earlier call left behind (module state,
        patched libraries, threads) can influence it. A process that has served no call since it imported
        the hand-in is as fresh as a new one, and may be kept."""


class References(Protocol):
    """Trusted reference answers, computed in the grader's process (live from ``reference/`` in the
    instructor repo; replayed from recorded answers in a student release). Markers are resolved."""

    def __call__(self, assignment: str, function: str, args: tuple, kwargs: dict) -> Any: ...


def location(depth: int = 1) -> str:
    """``path:line`` of the caller ``depth`` frames above the function calling this one (repository-relative
    when it is inside the repository): where a record is written in the source."""
    frame = sys._getframe(depth + 1)
    path = Path(frame.f_code.co_filename).resolve()
    shown = path.relative_to(SOURCE_ROOT).as_posix() if path.is_relative_to(SOURCE_ROOT) else str(path)
    return f"{shown}:{frame.f_lineno}"


@dataclass(frozen=True)
class Check:
    """One graded check, as a record that pickles and fingerprints (no closures).

    ``id`` reads ``<assignment>.<target>.<visibility>.<case>`` and is stable across runs and releases;
    assignment, target and visibility are read from it. ``kind`` names the procedure that judges the check in
    the course's registry of check kinds, and ``params`` are that procedure's keyword arguments: plain data,
    records of plain data, and module-level functions (input makers, mistake models). ``defined_at`` is where
    the record is written (``file:line``), taken when it is made.
    """

    id: str
    kind: str
    points: float
    params: Mapping[str, Any] = field(default_factory=dict)
    timeout: float = 10.0
    description: str = ""
    defined_at: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        parts = self.id.split(".")
        if len(parts) < 4 or not all(parts[:4]) or parts[2] not in VISIBILITIES:
            raise ValueError(f"check id {self.id!r} must read '<assignment>.<target>.<public|hidden>.<case>'")
        if not self.points > 0:
            raise ValueError(f"check {self.id}: points must be positive")
        if not self.defined_at:  # made right here: the caller of the generated __init__ wrote the record
            object.__setattr__(self, "defined_at", location(2))

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def assignment(self) -> str:
        return self.id.split(".")[0]

    @property
    def target(self) -> str:
        return self.id.split(".")[1]

    @property
    def visibility(self) -> Visibility:
        return "hidden" if self.id.split(".")[2] == "hidden" else "public"

    @property
    def case(self) -> str:
        return self.id.split(".", 3)[3]


@dataclass(frozen=True)
class Kind:
    """One kind of check: ``run(ctx, **check.params)`` judges it; ``category`` is what SPEC §3 calls it.

    ``call_ahead``: the kind's run asks the worker for one thing only, a ``ctx.call`` whose arguments follow from
    the check's seed and the references (never from ``ctx.failed``), made before anything else it asks of the
    worker. Its call may then be sent ahead with those of the checks around it, in one round trip
    (``grader.suites.ahead``); the run gets its outcome as if it had called itself.

    ``in_turn`` (with ``call_ahead``): the kind's run makes several such calls, one after the other, each with
    arguments that follow from the seed and the references alone (never from what an earlier call returned), and
    makes no more once one does not return. All of them may be sent ahead; the child stops them at the first that
    raises, as the run would.

    ``reads_back``: the kind judges the arguments as the grader reads them back after its call
    (``Returned.args_after``). Its call ends a batch: no student code runs between that call's end and the
    reading (the child waits for the next request meanwhile, as after any single call)."""

    run: Callable[..., Verdict]
    category: Category
    about: str  # one line for listings
    call_ahead: bool = False
    in_turn: bool = False
    reads_back: bool = False


@dataclass
class Context:
    """What a running check gets: its seeded generator (``rng``, made from ``seed`` when first used: a check whose
    inputs are remembered never needs it) and the worker to call into, and where what it expects is remembered
    across students (``expectations`` under ``key``; None: computed every time)."""

    check: Check
    seed: int | np.random.Generator  # anything np.random.default_rng takes
    worker: Worker
    references: References
    extras: dict[str, Any] = field(default_factory=dict)
    # targets of this submission with a check that did not pass so far -> the catalogued mistakes diagnosed
    failed: Mapping[str, frozenset[str]] = field(default_factory=dict)
    expectations: Expectations | None = None
    key: Hashable = None  # (check fingerprint, seed): what the check's inputs follow from

    @functools.cached_property
    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)

    @property
    def hidden(self) -> bool:
        """Whether this check is hidden: its messages must not tell its inputs."""
        return self.check.visibility == "hidden"

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

    def expected(self, label: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, remembered for the next student under ``label``. Only for what follows from the
        check's seeded inputs and the references alone: never from anything a student's code returned."""
        if self.expectations is None or self.key is None:
            return compute()
        return self.expectations.get((self.key, label), compute)


@functools.lru_cache(maxsize=2**16)  # asked for every check of every student: the same few thousand each run
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
                 failed: Mapping[str, frozenset[str]] | None = None, fresh_public: bool = False, *,
                 expectations: Expectations | None = None, fingerprint: str = "") -> Context:
    """A fresh context; what it expects is remembered in ``expectations`` when the check's ``fingerprint`` is
    given (the seed joins it in the key: a different secret or check never shares an expectation)."""
    seed = check_seed(check.id, check.visibility, secret, fresh_public)
    key = (fingerprint, seed) if expectations is not None and fingerprint else None
    return Context(check, seed, worker, references, failed=dict(failed or {}),
                   expectations=expectations, key=key)
