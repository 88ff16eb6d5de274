"""Argument markers: stand-ins that the worker replaces by a live object before calling student code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Builtin:
    """Marks an argument to be replaced, in the worker, by the grader-side callable of that name
    (``grader.protocol.builtins``)."""

    name: str


@dataclass(frozen=True)
class Rng:
    """Marks an argument to be replaced by ``np.random.default_rng(seed)`` where the call runs."""

    seed: int


@dataclass(frozen=True)
class SharedArray:
    """An array argument the worker maps from the call's shared memory instead of receiving a copy:
    ``offset`` bytes into it, numpy ``dtype`` string, ``shape``. The grader reads the memory back after
    the call, so whether the function changed its inputs is observed outside the student's process."""

    offset: int
    dtype: str
    shape: tuple[int, ...]
