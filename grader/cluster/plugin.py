"""The worker's side: a Dask worker plugin that prepares once, and the task that grades one submission.

``GradingPlugin.setup`` runs once per worker (and again on a worker that restarts or joins later). It
refuses the worker, and says why, when its sandbox is weaker than the plan allows, its grader version
differs, its suites cannot be loaded or their fingerprints differ from the coordinator's. An accepted
worker keeps one ``WorkerPool`` slot per worker thread and announces the plugin's resource, which every
grading task needs, so the scheduler sends work to accepted workers only.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from typing import Any

from distributed import WorkerPlugin, get_worker
from distributed.core import Status

import grader
from grader.cluster.wire import ISOLATION_LEVELS, GradingPlan, reply, submission_from_wire

logger = logging.getLogger("distributed.worker.grader")


class GradingPlugin(WorkerPlugin):
    """Grades with ``plan`` on this worker; ``name`` is also the Dask resource its tasks need."""

    def __init__(self, plan: GradingPlan, name: str) -> None:
        self.plan = plan
        self.name = name
        self.status: dict[str, Any] = {}
        self._checks: dict[str, list] = {}
        self._hashes: dict[str, str] = {}
        self._references: Any = None
        self._pool: Any = None
        self._closed = threading.Event()

    def __repr__(self) -> str:  # the plan holds the course secret
        return f"GradingPlugin({self.name})"

    def __getstate__(self) -> dict[str, Any]:  # what travels: the plan and the name, nothing of this worker's
        return {"plan": self.plan, "name": self.name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        GradingPlugin.__init__(self, state["plan"], state["name"])

    async def setup(self, worker: Any) -> None:
        threads = worker.state.nthreads
        self.status = await asyncio.to_thread(self._prepare, worker.address, threads)
        if self.status["accepted"]:
            _quiet_profiler(worker)
            await worker.set_resources(**{self.name: threads})
            _offer_again(worker)
        else:
            logger.warning("backprop-grader: this worker takes no work: %s", self.status["reason"])
        worker.log_event(self.name, self.status)

    async def teardown(self, worker: Any) -> None:
        self._closed.set()
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.close)

    def grade(self, data: dict) -> dict:
        """Grade one submission sent by the coordinator; the reply carries this worker's fingerprint."""
        from grader.pipeline.engine import grade_one

        submission = submission_from_wire(data)
        key = submission.assignment
        graded = grade_one(
            submission, self._checks[key], self._pool.session, self._references, self.plan.config.secret,
            self.plan.budget(key), fresh_public=self.plan.fresh_public,
        )  # fmt: skip
        if self._closed.is_set():  # the pool was closed under it: its error rows are not grades
            raise RuntimeError(f"{self.status['worker']} stopped grading while {key} was being graded")
        return reply(self.status["worker"], self._hashes[key], graded.results, graded.seconds, graded.student_seconds,
                     graded.isolation_seconds)

    def _prepare(self, address: str, threads: int) -> dict[str, Any]:
        status: dict[str, Any] = {"worker": address, "threads": threads, "accepted": False, "isolation": "",
                                  "hidden": _hidden_source()}
        try:
            reason = self._load(status)
        except Exception as exc:  # whatever stops this worker from grading, the coordinator is told why
            reason = f"it could not prepare to grade ({type(exc).__name__}: {exc})"
        status["accepted"] = reason is None
        status["reason"] = reason or ""
        return status

    def _load(self, status: dict[str, Any]) -> str | None:
        """Sandbox, suites and fingerprints; the reason to refuse this worker, or None."""
        from grader.pipeline.blas import set_blas_threads
        from grader.pipeline.config import apply_overrides
        from grader.pipeline.gradebook import suite_hash
        from grader.pipeline.heap import keep_freed_memory
        from grader.pipeline.resources import default_references
        from grader.sandbox import WorkerPool
        from grader.sandbox.isolation import detect
        from grader.suites import load_checks

        plan = self.plan
        if grader.__version__ != plan.version:
            return f"it runs grader {grader.__version__}, the coordinator {plan.version}"
        level = status["isolation"] = detect().level
        if ISOLATION_LEVELS.index(level) < ISOLATION_LEVELS.index(plan.allow_isolation):
            return (
                f"it has no usable sandbox: student code would run with isolation '{level}', weaker than "
                f"'{plan.allow_isolation}' (install bubblewrap and allow user namespaces there, or let the "
                f"coordinator accept it with --allow-isolation {level})"
            )
        for key in plan.only:
            self._checks[key] = apply_overrides(load_checks(key, plan.include_hidden), plan.config)
            self._hashes[key] = suite_hash(self._checks[key], plan.config)
            if self._hashes[key] != plan.hashes.get(key):
                return (
                    f"its {key} suites differ from the coordinator's (fingerprint {self._hashes[key]} here, "
                    f"{plan.hashes.get(key)} there; hidden suites from {status['hidden']} here): every worker "
                    "needs the same grader installation (same commit, same GRADER_HIDDEN_DIR)"
                )
        self._references = default_references()
        set_blas_threads(1)  # grades as a judge does: its products on one thread (grader.pipeline.blas)
        keep_freed_memory()  # and its arrays in reused memory (grader.pipeline.heap)
        self._pool = WorkerPool(slots=status["threads"], level=level)
        return None


def grade_remote(plugin_name: str, data: dict) -> dict:
    """The grading task: runs on a worker whose ``plugin_name`` plugin accepted it."""
    worker = get_worker()
    plugin = worker.plugins.get(plugin_name)
    if not isinstance(plugin, GradingPlugin) or not plugin.status.get("accepted"):
        raise RuntimeError(f"worker {worker.address} is not set up to grade for this run")
    return plugin.grade(data)


def worker_status(plugin_name: str, dask_worker: Any = None) -> dict[str, Any]:
    """This worker's answer to the plan (for ``Client.run``); empty while its plugin is still preparing."""
    plugin = dask_worker.plugins.get(plugin_name)
    return dict(plugin.status) if isinstance(plugin, GradingPlugin) else {}


def _quiet_profiler(worker: Any) -> None:
    """Stop Dask's statistical profiler on a grading worker. Every 10 ms it walks every thread's stack under
    the GIL, and a grading thread makes thousands of short round trips to its sandbox, each of which must
    take the GIL back: measured, it made grading up to twice as slow (benchmarks/bench_grading.py)."""
    callback = getattr(worker, "periodic_callbacks", {}).get("profile")
    if callback is not None:
        callback.stop()


def _offer_again(worker: Any) -> None:
    """The scheduler looks again at tasks that found no worker only when a worker starts running; a
    resource added to a running worker does not wake them (a worker that joins, or restarts after a kill,
    while every task waits). Pausing and resuming is how a running worker says it is available again."""
    if worker.status == Status.running:
        worker.status = Status.paused
        worker.status = Status.running


def _hidden_source() -> str:
    """Where this worker's hidden suites come from (a path, never the secret)."""
    from grader.suites import HIDDEN_DIR_ENV

    value = os.environ.get(HIDDEN_DIR_ENV, "")
    return f"{HIDDEN_DIR_ENV}={value}" if value else "the installation"
