"""What one call into student code can come back as, after the runner has validated it.

``Returned.value`` is plain data only: None, bool, int, float, str, numpy arrays (never object
dtype), and lists / tuples / dicts (str keys) of those. Nothing else crosses back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Returned:
    value: Any
    seconds: float = 0.0
    args_after: list[Any] = field(default_factory=list)  # positional args as they were after the call
    stderr: str = ""  # captured, capped; never costs points
    stdout: str = ""  # what the call printed, capped; shown on failing public checks only


@dataclass(frozen=True)
class Raised:
    exc_type: str  # e.g. "ValueError"
    message: str
    traceback: str  # the student's own frames only, capped
    seconds: float = 0.0
    stdout: str = ""  # what the call printed before it raised, capped


@dataclass(frozen=True)
class TimedOut:
    seconds: float


@dataclass(frozen=True)
class Crashed:
    reason: str  # "exited with status 0", "killed by signal 9 (memory limit?)", "output limit", "bad reply: ..."
    seconds: float = 0.0


Outcome = Returned | Raised | TimedOut | Crashed
