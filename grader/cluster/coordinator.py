"""The coordinator's side: hand submissions to the cluster's accepted workers and take back their rows.

``grade_on_cluster`` registers a ``GradingPlugin`` under a name of its own (so two runs never share or
tear down each other's pools), waits for an accepted worker, then keeps a window of tasks in flight,
heaviest assignments first, and yields each submission as its rows arrive, after checking them
(``rows_from_reply``). Each submission is yielded at most once: the caller records it at once, so a killed
coordinator loses no finished submission. A submission whose workers kept dying, or whose rows came from a
worker graded differently, is left ungraded (said at the end), and the next run grades it.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from grader.cluster.plugin import GradingPlugin, grade_remote, worker_status
from grader.cluster.roster import Roster
from grader.cluster.wire import BadReply, GradingPlan, rows_from_reply, submission_to_wire
from grader.errors import UserError
from grader.pipeline.discover import Submission
from grader.pipeline.engine import Graded, heaviest_first
from grader.reports.safe_text import one_line

WAIT_FOR_WORKERS = 120.0  # seconds to wait for a first accepted worker (a batch system may be slow to start them)
TASKS_PER_THREAD = 2  # in flight per accepted worker thread: no thread waits for the coordinator
MAX_ATTEMPTS = 3  # a submission whose rows are refused this often is left for the next run


def grade_on_cluster(
    client: Any, todo: list[Submission], plan: GradingPlan, *, progress: bool = True, wait: float = WAIT_FOR_WORKERS
) -> Iterator[Graded]:
    """Grade ``todo`` on ``client``'s cluster; yields each submission once as its rows arrive (order varies)."""
    if not todo:
        return
    with prepared(client, plan, wait=wait) as workers:
        yield from workers.grade(todo, progress=progress)


@contextmanager
def prepared(client: Any, plan: GradingPlan, *, wait: float = WAIT_FOR_WORKERS) -> Iterator[Workers]:
    """The cluster's workers set up for ``plan`` (at least one accepted it); the plugin, its pools and the
    secret are taken off the workers on exit."""
    name = f"backprop-grader-{plan.token}-{uuid.uuid4().hex[:8]}"
    roster = Roster()
    start = time.perf_counter()
    client.subscribe_topic(name, roster.on_event)
    try:
        client.register_plugin(GradingPlugin(plan, name), name=name)
        accepted, connected = _wait_for_workers(client, name, roster, wait)
        print(f"cluster: {accepted} of {connected} workers grade, {roster.threads()} threads in all "
              f"(set up in {time.perf_counter() - start:.1f} s)")
        yield Workers(client, name, plan, roster)
    finally:
        _clean_up(client, name)


@dataclass(frozen=True)
class Workers:
    """Workers that accepted ``plan`` under the plugin ``name``."""

    client: Any
    name: str
    plan: GradingPlan
    roster: Roster

    def grade(self, todo: list[Submission], *, progress: bool = True) -> Iterator[Graded]:
        """Each submission once, as its rows arrive; those not graded are listed at the end."""
        from tqdm import tqdm

        batch = _Batch(self.client, self.name, todo, self.plan, self.roster)
        try:
            with tqdm(total=len(todo), unit="submission", disable=not progress, dynamic_ncols=True) as bar:
                yield from batch.results(bar)
        finally:
            batch.cancel()  # Ctrl-C or an error: nothing more runs for this batch
        if batch.ungraded:
            print(f"WARNING: {len(batch.ungraded)} submissions were not graded; run the same command again to "
                  "grade them (the others are saved):\n  " + "\n  ".join(batch.ungraded), file=sys.stderr)


def _wait_for_workers(client: Any, name: str, roster: Roster, wait: float) -> tuple[int, int]:
    """Until a worker accepted the plan: (accepted, connected); an error when every worker refused it, or
    none came in time."""
    deadline = time.monotonic() + wait
    while True:
        statuses = client.run(worker_status, name, on_error="return")
        roster.update(statuses.values())
        answered = [s for s in statuses.values() if isinstance(s, dict) and "accepted" in s]
        accepted = sum(s["accepted"] for s in answered)
        if accepted:
            return accepted, len(statuses)
        if statuses and len(answered) == len(statuses):
            raise UserError("every worker of the cluster refused the work:\n  " + "\n  ".join(roster.refusals()))
        if time.monotonic() > deadline:
            raise UserError(
                f"no Dask worker took the work within {wait:g} s ({len(statuses)} connected): start workers "
                f"with `dask worker {client.scheduler.address}` (README: Grading on a cluster)"
            )
        time.sleep(0.5)


class _Batch:
    """The submissions still waiting, the tasks in flight, and what came back."""

    def __init__(self, client: Any, name: str, todo: list[Submission], plan: GradingPlan, roster: Roster) -> None:
        from distributed import as_completed

        self.client, self.name, self.plan, self.roster = client, name, plan, roster
        self.waiting = deque(heaviest_first(todo))
        self.given: dict[str, tuple[Submission, Any]] = {}  # task key -> (submission, future)
        self.refused: dict[tuple[str, str], int] = {}
        self.done: set[tuple[str, str]] = set()
        self.ungraded: list[str] = []
        self.flight = as_completed()

    def results(self, bar: Any) -> Iterator[Graded]:
        self._refill()
        for future in self.flight:
            submission, _ = self.given.pop(future.key)
            try:
                graded, again = self._take(future, submission)
            finally:
                future.release()
            if not again:
                bar.set_postfix_str(f"{one_line(submission.student)}/{submission.assignment}", refresh=False)
                bar.update()
            if graded is not None:
                yield graded
            self._refill()

    def cancel(self) -> None:
        self.client.cancel([future for _, future in self.given.values()])

    def _take(self, future: Any, submission: Submission) -> tuple[Graded | None, bool]:
        """(the graded submission or None when there is nothing to record, whether it is to be graded again)."""
        key = (submission.student, submission.assignment)
        label = f"{one_line(submission.student)}/{submission.assignment}"
        try:
            data = future.result()
            rows = rows_from_reply(data, submission, self.plan)
        except BadReply as exc:
            self.refused[key] = self.refused.get(key, 0) + 1
            print(f"rows refused: {exc}", file=sys.stderr)
            if self.refused[key] < MAX_ATTEMPTS:
                self.waiting.appendleft(submission)
                return None, True
            self.ungraded.append(f"{label}: rows refused {MAX_ATTEMPTS} times")
            return None, False
        except Exception as exc:  # its workers kept dying (KilledWorker), or left: graded next run
            self.ungraded.append(f"{label}: {one_line(f'{type(exc).__name__}: {exc}')}")
            return None, False
        if key in self.done:  # one record per submission, whatever Dask ran twice
            return None, False
        self.done.add(key)
        return Graded(submission, rows, float(data["seconds"]), float(data["student_seconds"]),
                      float(data["isolation_seconds"])), False

    def _refill(self) -> None:
        while self.waiting and self.flight.count() < max(2, TASKS_PER_THREAD * self.roster.threads()):
            submission = self.waiting.popleft()
            future = self.client.submit(
                grade_remote, self.name, submission_to_wire(submission),
                key=f"grade-{submission.assignment}-{uuid.uuid4().hex}", resources={self.name: 1}, pure=False,
            )  # fmt: skip
            self.given[future.key] = (submission, future)
            self.flight.add(future)


def _clean_up(client: Any, name: str) -> None:
    """Cancel what is still running (Ctrl-C, an error) and take the plugin, its pools and secret off the workers."""
    for step in (lambda: client.unsubscribe_topic(name), lambda: client.unregister_worker_plugin(name)):
        try:
            step()
        except Exception:  # the cluster may be gone already; nothing of ours is left to clean there
            pass
