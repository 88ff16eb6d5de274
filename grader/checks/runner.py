"""Run one check safely: a check that raises (a grader bug, or data nobody expected) becomes an
error verdict that says so, and the batch goes on."""

from __future__ import annotations

import traceback

from grader.checks.base import Check, References, Verdict, Worker, make_context


def run_check(check: Check, worker: Worker, references: References, secret: str) -> Verdict:
    """``check.run`` in a fresh context; never raises."""
    try:
        ctx = make_context(check, worker, references, secret)
        verdict = check.run(ctx)
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
        )
