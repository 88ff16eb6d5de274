"""Input makers as data: a module-level function and the plain arguments it is called with.

``make(linear_back, 4, 3, 2)`` stands for ``lambda rng: linear_back(rng, 4, 3, 2)`` but, unlike the lambda,
it pickles (a check runs in worker processes), prints, and fingerprints (the function by its qualified
name and its module's source, the arguments as data). With ``resize`` every size in the arguments (a
positive int, alone or in a shape) is first drawn anew from the generator, between 1 and twice itself: the
hidden counterpart of a public check, on shapes no student has seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Maker:
    """``fn(rng, *args, **kwargs)``: a check's inputs drawn from its generator."""

    fn: Callable[..., Any]
    args: tuple = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    resize: bool = False

    def __call__(self, rng: Any) -> Any:
        if not self.resize:
            return self.fn(rng, *self.args, **dict(self.kwargs))
        args = _resized(self.args, rng)
        return self.fn(rng, *args, **dict(_resized(self.kwargs, rng)))

    def __str__(self) -> str:
        shown = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs]
        return f"{self.fn.__name__}({', '.join(shown)})"


def make(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Maker:
    """A ``Maker`` of ``fn`` with these arguments (keyword arguments in the order given: a maker may pass them on
    as a call's arguments)."""
    return Maker(fn, tuple(args), tuple(kwargs.items()))


def _resized(value: Any, rng: Any) -> Any:
    """``value`` with every positive int (not a bool) drawn anew in [1, 2 n]; containers keep their type."""
    if isinstance(value, bool) or not isinstance(value, (int, tuple, list)):
        return value
    if isinstance(value, int):
        return int(rng.integers(1, 2 * value + 1)) if value > 0 else value
    return type(value)(_resized(v, rng) for v in value)


@dataclass(frozen=True)
class Bound:
    """``fn(*args, *more)``: a module-level function with its first arguments given, as ``functools.partial``
    but compared by value, so that a record holding one equals its copy (an accuracy task's ``make_data``)."""

    fn: Callable[..., Any]
    args: tuple = ()

    def __call__(self, *more: Any) -> Any:
        return self.fn(*self.args, *more)


def bound(fn: Callable[..., Any], *args: Any) -> Bound:
    """``fn`` with its first arguments ``args``; the rest come with each call."""
    return Bound(fn, tuple(args))
