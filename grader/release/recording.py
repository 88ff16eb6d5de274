"""Record the reference answers a student release's checks replay (it ships no reference code): the public
checks' answers ship with it; the hidden checks' go in a private pack for a CI that grades them.

Every public check runs, in the grader's process, against a stand-in student that answers with the
reference: once exactly (the passing path) and once with every number distorted (the failing path),
while ``RecordingReferences`` keeps each reference answer the checks ask for. The recording is then
replayed against a differently distorted student: a check that asks the reference about the student's
own answer cannot be replayed, and is reported rather than shipped broken.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from grader.checks.base import Check
from grader.checks.references import (
    LiveReferences,
    MissingRecording,
    RecordedReferences,
    RecordingReferences,
    args_key,
)
from grader.protocol import wire
from grader.protocol.outcomes import Outcome, Raised, Returned
from grader.suites.runner import run_check

Distort = Callable[[Any], Any]


def distorted(scale: float, shift: float) -> Distort:
    """A map that changes every number (``x -> scale * x + shift``) and keeps every shape and type."""

    def apply(value: Any) -> Any:
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return value
        if isinstance(value, float):
            return value * scale + shift
        if isinstance(value, int):
            return value + 1
        if isinstance(value, np.ndarray):
            if value.dtype.kind == "f":
                return value * scale + shift
            if value.dtype.kind in "iu":
                return value + 1
            return value
        if isinstance(value, list):
            return [apply(v) for v in value]
        if isinstance(value, dict):
            return {k: apply(v) for k, v in value.items()}
        return value

    return apply


EXACT: Distort = lambda value: value  # noqa: E731


def _tensor_as_array(value: Any) -> Any:
    """A torch tensor as the numpy array a worker sends for it; None for anything else (it cannot cross)."""
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        return np.array(value.detach().cpu().numpy())
    return None


def as_returned(value: Any) -> Any:
    """A procedure's result exactly as it would cross back from a worker (tensors become arrays)."""
    return wire.decode(wire.encode(value, convert=_tensor_as_array))


class ReferenceWorker:
    """A trusted stand-in for a student's worker: calls and procedures run the reference, in-process,
    and their answers pass through ``distort``. Never used with student code."""

    def __init__(self, assignment: str, live: LiveReferences, distort: Distort = EXACT,
                 cache: dict[str, Outcome] | None = None) -> None:
        self.assignment = assignment
        self.live = live
        self.distort = distort
        # Shared between the runs of one check: training the lab's model once is enough.
        self.cache = {} if cache is None else cache

    def call(self, function: str, args: tuple, kwargs: dict, *, timeout: float) -> Outcome:
        key = f"call {function} {args_key(args, kwargs)}"
        return self._answer(key, lambda: self.live(self.assignment, function, args, kwargs), list(args))

    def procedure(self, name: str, payload: dict, *, timeout: float) -> Outcome:
        from grader.worker.procedures import PROCEDURES

        module = importlib.import_module(self.live.modules[self.assignment])
        key = f"procedure {name} {args_key((), payload)}"
        return self._answer(key, lambda: as_returned(PROCEDURES[name](module, payload)), [payload])

    def restart(self) -> None:
        """Reference code keeps no state between calls: nothing to do."""

    def _answer(self, key: str, compute: Callable[[], Any], args_after: list) -> Outcome:
        if key not in self.cache:
            try:
                self.cache[key] = Returned(compute(), 0.0, args_after)
            except Exception as exc:  # noqa: BLE001 - reported like a student's raise; the check judges it
                self.cache[key] = Raised(type(exc).__name__, str(exc), "")
        outcome = self.cache[key]
        if isinstance(outcome, Returned):
            return Returned(self.distort(outcome.value), 0.0, args_after)
        return outcome


def record_answers(checks: Iterable[Check], path: Path, secret: str = "", live: LiveReferences | None = None
                   ) -> list[str]:
    """Run ``checks`` against the reference, save every reference answer to ``path`` (``.npz``), and return
    the ids of checks whose replay asked for an answer the recording does not hold. Hidden checks need the
    course ``secret`` (their inputs follow from it), and their recording must stay as private as it."""
    checks = list(checks)
    if any(c.visibility == "hidden" for c in checks) and not secret:
        raise ValueError("recording hidden checks needs the course secret")
    live = live or LiveReferences()
    recorder = RecordingReferences(live)
    caches: dict[str, dict[str, Outcome]] = {c.id: {} for c in checks}
    for check in checks:
        for distort in (EXACT, distorted(1.25, 0.5)):
            run_check(check, ReferenceWorker(check.assignment, live, distort, caches[check.id]), recorder, secret)
    path.parent.mkdir(parents=True, exist_ok=True)
    recorder.save(path)
    return unreplayable(checks, RecordedReferences(path), live, secret, caches)


def unreplayable(checks: Iterable[Check], recorded: RecordedReferences, live: LiveReferences, secret: str = "",
                 caches: dict[str, dict[str, Outcome]] | None = None) -> list[str]:
    """Ids of checks that ask ``recorded`` for an answer it lacks, graded against an unseen distortion."""
    missing: set[str] = set()
    for check in checks:

        def replay(assignment: str, function: str, args: tuple, kwargs: dict, check_id: str = check.id) -> Any:
            try:
                return recorded(assignment, function, args, kwargs)
            except MissingRecording:
                missing.add(check_id)
                raise

        for distort in (EXACT, distorted(0.75, -0.25)):
            cache = (caches or {}).get(check.id)
            run_check(check, ReferenceWorker(check.assignment, live, distort, cache), replay, secret)
    return sorted(missing)
