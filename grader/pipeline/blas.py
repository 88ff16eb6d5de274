"""One BLAS thread in the grader's processes while they grade.

numpy's OpenBLAS starts a thread per core and, after each call it split between them, keeps those threads
spinning for a while in case another call follows. The grader's side of a check multiplies small matrices
(a trained model's held-out logits, a reference answer) between calls into the sandbox, so with more than
one thread every such product left a core busy-waiting: CPU taken from the sandboxes that run student code,
on a machine where each of them has one core. One thread gives the same products (OpenBLAS shares a product
out by blocks of its output, each summed whole by one thread; ``tests/test_blas.py`` compares them), and no
spinning.

Only OpenBLAS has a switch here (found among the libraries this process has loaded); any other BLAS is left
as it is. A process that has not imported numpy yet can ask for one thread from the start
(``one_thread_from_the_start``): numpy's import then does not start a pool of threads either (``grader check``
waits for that import before its sandbox's worker can be used).
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

ENVIRONMENT = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")  # read once, when BLAS loads
# (set, get) as OpenBLAS builds name them: plain, and numpy's scipy-openblas with 64-bit integers.
_NAMES = (
    ("openblas_set_num_threads", "openblas_get_num_threads"),
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
)


def one_thread_from_the_start() -> None:
    """One BLAS thread for numpy's import to come, unless the environment says otherwise; nothing once numpy is
    loaded (a test or notebook process keeps its environment)."""
    if "numpy" not in sys.modules:
        for name in ENVIRONMENT:
            os.environ.setdefault(name, "1")


def _loaded_openblas() -> list[tuple[Any, Any]]:
    """(set, get) of every OpenBLAS this process has loaded (numpy's, once numpy is imported)."""
    import numpy  # noqa: F401  # loads numpy's OpenBLAS, if that is its BLAS

    try:
        with open(f"/proc/{os.getpid()}/maps", encoding="utf-8", errors="replace") as maps:
            paths = {line.split(maxsplit=5)[-1].strip() for line in maps if "openblas" in line.lower()}
    except OSError:  # no /proc: nothing to switch
        return []
    found = []
    for path in sorted(p for p in paths if p.startswith("/")):
        try:
            library = ctypes.CDLL(path, mode=os.RTLD_NOLOAD | os.RTLD_GLOBAL)
        except OSError:
            continue
        for set_name, get_name in _NAMES:
            setter, getter = getattr(library, set_name, None), getattr(library, get_name, None)
            if setter is not None and getter is not None:
                setter.argtypes, setter.restype, getter.restype = [ctypes.c_int], None, ctypes.c_int
                found.append((setter, getter))
                break
    return found


def blas_threads() -> list[int]:
    """How many threads each loaded OpenBLAS uses (empty where none was found)."""
    return [int(getter()) for _, getter in _loaded_openblas()]


def set_blas_threads(threads: int) -> None:
    """Every loaded OpenBLAS to ``threads`` threads (a judge process grades on one for its whole life)."""
    for setter, _ in _loaded_openblas():
        setter(threads)


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """One OpenBLAS thread inside the block; the numbers from before are set back after it."""
    libraries = _loaded_openblas()
    before = [int(getter()) for _, getter in libraries]
    for setter, _ in libraries:
        setter(1)
    try:
        yield
    finally:
        for (setter, _), threads in zip(libraries, before, strict=True):
            setter(threads)
