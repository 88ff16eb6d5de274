"""What each worker answered to the plan, as the coordinator hears it: from ``Client.run`` while it waits
for workers, then from the events a worker's plugin sends when it joins or restarts later."""

from __future__ import annotations

import sys
import threading
from typing import Any


class Roster:
    """What each worker answered to the plan; prints each worker's refusal once. Fed from Dask's event
    thread and from ``Client.run``, hence the lock."""

    def __init__(self) -> None:
        self._status: dict[str, dict] = {}
        self._told: set[str] = set()
        self._lock = threading.Lock()

    def on_event(self, event: tuple[float, Any]) -> None:
        _, status = event
        if isinstance(status, dict):
            self.update([status])

    def update(self, statuses: Any) -> None:
        for status in statuses:
            if not isinstance(status, dict) or "accepted" not in status:
                continue  # a worker still preparing, or one that could not answer
            with self._lock:
                self._status[status["worker"]] = status
                if status["accepted"] or status["worker"] in self._told:
                    continue
                self._told.add(status["worker"])
            refuse(status["worker"], status["reason"])

    def threads(self) -> int:
        with self._lock:
            return sum(int(s["threads"]) for s in self._status.values() if s["accepted"])

    def refusals(self) -> list[str]:
        with self._lock:
            return [f"{w}: {s['reason']}" for w, s in sorted(self._status.items()) if not s["accepted"]]


def refuse(worker: str, reason: str) -> None:
    print(f"worker {worker} refused: {reason}; it takes no work", file=sys.stderr)
