"""What a check expects, computed once per distinct input and remembered across students.

A check's inputs follow from its seed, and the seed from its id and the course secret
(``grader.checks.base.check_seed``), so every student of a run gets the same inputs for a check: its
reference answer, the central differences of the reference forward and the answers of its catalogued
mistakes are the same for all of them. A standard kind asks ``ctx.expected(label, compute)`` for each;
the first student computes it, and every student gets the one value remembered.

That value is shared, so it is frozen: its arrays are read-only copies (writing into one raises), and its
containers must not be changed by the kinds (``tests/test_expectations.py`` grades every assignment's
reference and mistakes and checks that no entry changed). Sharing rather than copying it for each student
saves most of the grader's time per check.

The key is ``(check fingerprint, seed, label)``: the fingerprint changes with the check's record and the
code it runs through, the seed with the secret, so a different secret or an edited check never reuses an
expectation. Entries are held least recently used first under a bound on their bytes and their number.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

MAX_BYTES = 256 * 2**20  # an hw2 suite's expectations take about 2 MB; a whole course well under this
MAX_ENTRIES = 50_000
LEAF_BYTES = 64  # what a number, a string or a record is counted as


def frozen(value: Any) -> Any:
    """A copy of ``value`` that shares no mutable part with it and whose arrays are read-only: arrays copied
    (in their memory layout: a check may send a Fortran-ordered input), containers rebuilt (tuples stay
    tuples, dict keys as they are), anything else (numbers, strings, frozen records, markers) shared. An array
    already frozen (read-only, owning its data: another entry's) is shared too, so that a check's planned call
    holds the very arrays of its remembered inputs."""
    if isinstance(value, np.ndarray):
        if not value.flags.writeable and value.flags.owndata:
            return value
        copy = value.copy(order="K")
        copy.flags.writeable = False
        return copy
    if isinstance(value, list):
        return [frozen(v) for v in value]
    if isinstance(value, tuple):
        return tuple(frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: frozen(v) for k, v in value.items()}
    return value


def size_of(value: Any) -> int:
    """Roughly the bytes ``value`` holds: its arrays' data, and ``LEAF_BYTES`` for every other leaf."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes) + LEAF_BYTES
    if isinstance(value, (list, tuple)):
        return LEAF_BYTES + sum(size_of(v) for v in value)
    if isinstance(value, dict):
        return LEAF_BYTES + sum(size_of(v) for v in value.values())
    return LEAF_BYTES


class Expectations:
    """A thread-safe store of expectations (see the module docstring), bounded by ``max_bytes`` and
    ``max_entries``: the least recently used go first, and an entry larger than the bound is never kept."""

    def __init__(self, max_bytes: int = MAX_BYTES, max_entries: int = MAX_ENTRIES) -> None:
        self.max_bytes, self.max_entries = max_bytes, max_entries
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value remembered under ``key`` (frozen, shared: see the module docstring), computing and
        remembering it the first time. Two threads asking for a new key at once both compute it: the results
        are equal, one is kept."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
        if entry is not None:
            return entry[0]
        value = frozen(compute())  # the first caller gets what the next ones will: read-only alike
        self._remember(key, value)
        return value

    def _remember(self, key: Hashable, value: Any) -> None:
        size = size_of(value)
        with self._lock:
            self.misses += 1
            if size > self.max_bytes or key in self._entries:
                return
            self._entries[key] = (value, size)
            self.bytes += size
            while self.bytes > self.max_bytes or len(self._entries) > self.max_entries:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.bytes -= dropped
