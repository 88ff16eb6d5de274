"""Run check records: each record's kind (in the course's registry ``grader.course.kinds.KINDS``) judges it with
its parameters, in a fresh context. A check that raises (a grader bug, or data nobody expected) becomes an
error verdict that says so, and the batch goes on.

References that remember answers across students (``grader.pipeline.resources.CachedReferences``) carry an
``expectations`` store: checks then compute what they expect once per distinct input
(``grader.checks.expectations``), keyed by their fingerprint and seed.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping, Sequence

from grader.checks.base import Check, Kind, References, Verdict, Worker, make_context
from grader.checks.expectations import Expectations
from grader.checks.fingerprint import NotData, digest
from grader.checks.own import withdrawn
from grader.course.kinds import KINDS
from grader.protocol.outcomes import Outcome
from grader.suites.ahead import Sent, plan_batch, planned_calls


def run_check(check: Check, worker: Worker, references: References, secret: str,
              failed: Mapping[str, frozenset[str]] | None = None, *, fresh_public: bool = False,
              kinds: Mapping[str, Kind] = KINDS) -> Verdict:
    """The check's kind run on its parameters in a fresh context; never raises. ``failed``: targets with a check
    that did not pass, and the catalogued mistakes diagnosed there; ``fresh_public``: see
    ``grader.checks.base.check_seed``."""
    try:
        store = getattr(references, "expectations", None)
        key = remembered_fingerprint(check, kinds) if isinstance(store, Expectations) else None
        ctx = make_context(check, worker, references, secret, failed, fresh_public,
                           expectations=store if key else None, fingerprint=key or "")
        if check.kind not in kinds:
            raise KeyError(f"no kind of check named {check.kind!r}")
        verdict = kinds[check.kind].run(ctx, **check.params)
        if not isinstance(verdict, Verdict):
            raise TypeError(f"check returned {type(verdict).__name__}, not a Verdict")
        return verdict
    except Exception as exc:  # noqa: BLE001 - one bad check must never stop a batch
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        at = f" at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}" if where else ""
        return Verdict(
            "error",
            0.0,
            f"internal grader error in check {check.id} ({type(exc).__name__}: {exc}{at}); "
            "this is not your fault: please tell the course staff",
            problem="internal",
        )


def run_order(checks: Sequence[Check], targets: Sequence[str]) -> list[int]:
    """Indices of ``checks`` in the order they run: every public check before any hidden one, so that no process
    holding a hidden input ever serves a public check, whose row shows what the student's code printed, raised or
    returned (that code could otherwise tell the hidden inputs it was given there). Within each, in the order of
    ``targets`` (the assignment's, helpers before the targets that call them), keeping the suite's order within a
    target; unknown targets last."""
    rank = {target: i for i, target in enumerate(targets)}

    def order(i: int) -> tuple[bool, int, int]:
        return (checks[i].visibility == "hidden", rank.get(checks[i].target, len(rank)), i)

    return sorted(range(len(checks)), key=order)


def run_suite(checks: Sequence[Check], worker: Worker, references: References, secret: str,
              targets: Sequence[str] = (), *, skip: Callable[[Check], Verdict | None] = lambda check: None,
              fresh_public: bool = False) -> list[tuple[Verdict, float]]:
    """Every check's verdict and seconds, in suite order; never raises.

    Checks run public before hidden and helpers first (see ``run_order``) and each learns which targets failed
    before it, and with which catalogued mistakes: a target that calls the student's own helpers is excused for their
    bugs only when those helpers failed their own checks with a known mistake that none of their answers refutes
    (``grader.checks.own``); an excuse given before such an answer is withdrawn at the end.
    ``skip(check)``, asked before each check, may return the verdict of a check that is not run (the
    submission's time budget is spent). ``fresh_public``: see ``grader.checks.base.check_seed``.

    A worker with ``call_ahead(batch)`` (the engine's) is sent the calls of consecutive checks together
    (``grader.suites.ahead``) and gives each check its outcome through ``served(sent, outcome, timeout)``.
    """
    done: dict[int, tuple[Verdict, float]] = {}
    failed: dict[str, frozenset[str]] = {}  # target -> mistakes diagnosed on its checks
    refuted: dict[str, frozenset[str]] = {}  # target -> mistakes its answers show it does not make
    order = run_order(checks, targets)
    send_ahead = getattr(worker, "call_ahead", None)
    ahead: deque[tuple[Sent, Outcome]] = deque()
    planned_until = 0  # a batch that was not sent whole is not planned again: its checks call one by one

    def plan(check: Check) -> list[Sent]:
        return planned_calls(check, references, secret, fresh_public=fresh_public, kinds=KINDS,
                             fingerprint=remembered_fingerprint(check))

    for position, index in enumerate(order):
        check = checks[index]
        began = time.perf_counter()
        verdict = skip(check)  # asked of every check: it also marks whose the calls that follow are
        if ahead:  # this check's call came back with its batch, within the submission's time: it is judged
            verdict = None
        waited = 0.0
        if verdict is None:
            if send_ahead is not None and not ahead and position >= planned_until:  # calls of the next checks too
                batch = plan_batch([checks[i] for i in order[position:]], plan)
                if len(batch) > 1:
                    sent_at = time.perf_counter()
                    ahead.extend(send_ahead(batch))
                    waited = time.perf_counter() - sent_at
                    planned_until = position + batch[-1].group + 1
            served = _Served(worker, ahead)
            excusable = {target: mistakes - refuted.get(target, frozenset()) for target, mistakes in failed.items()}
            verdict = run_check(check, served, references, secret, excusable, fresh_public=fresh_public)
            waited -= served.seconds  # each check is charged the time of its own call
        if verdict.status != "pass":
            diagnosed = {verdict.mistake} if verdict.mistake and not verdict.mistake.startswith("flag") else set()
            failed[check.target] = failed.get(check.target, frozenset()) | diagnosed
        if verdict.refutes:
            refuted[check.target] = refuted.get(check.target, frozenset()) | verdict.refutes
        done[index] = (verdict, time.perf_counter() - began - waited)
    # an excuse given before a helper's later answer refuted the mistake it rested on (public checks run first)
    return [(withdrawn(done[i][0], refuted), done[i][1]) for i in range(len(checks))]


class _Served:
    """The worker as one check sees it when calls were sent ahead: its call gets the outcome that came back for
    it (``Sent.matches``), accounted by the worker's ``served``. A check asking for anything else while outcomes
    are waiting means the process ran calls this run does not make: they are dropped, and the process with them."""

    def __init__(self, worker: Worker, ahead: deque[tuple[Sent, Outcome]]) -> None:
        self._worker, self._ahead = worker, ahead
        self.seconds = 0.0  # of the outcome served from ahead

    def call(self, function: str, args: tuple, kwargs: dict, *, timeout: float) -> Outcome:
        if self._ahead:
            sent, outcome = self._ahead[0]
            if sent.matches(function, args, kwargs):
                self._ahead.popleft()
                self.seconds += getattr(outcome, "seconds", 0.0)
                return self._worker.served(sent, outcome, timeout)  # type: ignore[attr-defined]
            self.restart()
        return self._worker.call(function, args, kwargs, timeout=timeout)

    def procedure(self, name: str, payload: dict, *, timeout: float) -> Outcome:
        if self._ahead:
            self.restart()
        return self._worker.procedure(name, payload, timeout=timeout)

    def restart(self) -> None:
        self._ahead.clear()
        self._worker.restart()


_fingerprints: dict[tuple[int, int, int], tuple[Check, Kind | None, str]] = {}
_fingerprints_lock = threading.Lock()


def remembered_fingerprint(check: Check, kinds: Mapping[str, Kind] = KINDS) -> str | None:
    """``fingerprint(check, kinds)``, computed once per record and kind; None for a record that cannot have one
    (a parameter that is not data, e.g. a test's lambda): what it expects is then computed every time."""
    try:
        return _fingerprint(check, kinds)
    except NotData:
        return None


def _fingerprint(check: Check, kinds: Mapping[str, Kind]) -> str:
    """``fingerprint(check, kinds)``, computed once per record and kind (a run grades the same records for every
    student; the entry keeps both alive, so their ids cannot be reused while it stands)."""
    kind = kinds.get(check.kind)
    key = (id(check), id(kind), id(kind.run) if kind is not None else 0)
    entry = _fingerprints.get(key)
    if entry is None:
        entry = (check, kind, fingerprint(check, kinds))
        with _fingerprints_lock:
            if len(_fingerprints) > 100_000:  # many suites built and dropped (tests): start again
                _fingerprints.clear()
            _fingerprints[key] = entry
    return entry[2]


def remember_fingerprints(checks: Sequence[Check], known: Mapping[str, str], kinds: Mapping[str, Kind] = KINDS
                          ) -> None:
    """Take the fingerprints of ``checks`` (by id, in ``kinds``) as computed elsewhere: a judge process is told
    them by its parent, which computed them from the same records and code."""
    for check in checks:
        kind = kinds.get(check.kind)
        if check.id in known and kind is not None:
            with _fingerprints_lock:
                _fingerprints[(id(check), id(kind), id(kind.run))] = (check, kind, known[check.id])


def fingerprint(check: Check, kinds: Mapping[str, Kind] = KINDS) -> str:
    """What decides this check's verdicts, as a hash: its record and its kind's procedure (by name and the code
    it runs through). ``defined_at`` and the description are left out: moving a record changes no grade."""
    procedure = kinds[check.kind].run if check.kind in kinds else None
    return digest([check.id, check.kind, float(check.points), float(check.timeout), dict(check.params), procedure])
