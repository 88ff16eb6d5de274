"""Freed memory kept for the next array in the grader's processes while they grade.

The grader's side of a check makes and drops arrays of a few hundred kilobytes again and again (a held-out
data set and its copies, the arguments read back from shared memory, a reply's arrays). glibc's malloc serves
each from fresh pages of the kernel and gives them back once freed, so every such array paid a page fault per
4 KiB page and the zeroing of it: about 0.3 ms for a 700 KB copy here, ten times the copy itself. Serving arrays of
up to ``FROM_THE_HEAP`` from the heap and keeping up to ``KEEP_FREED`` of freed heap makes the next array reuse the
last one's memory. Only glibc has these switches (``mallopt``); elsewhere nothing changes.
"""

from __future__ import annotations

import ctypes

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h
FROM_THE_HEAP = 32 * 2**20  # glibc's largest mmap threshold: larger arrays are mapped (and unmapped) as before
KEEP_FREED = 256 * 2**20


def keep_freed_memory() -> bool:
    """Arrays up to ``FROM_THE_HEAP`` from the heap, and up to ``KEEP_FREED`` of it kept once freed, for the rest of
    this process; whether malloc took both (False where it is not glibc's)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_MMAP_THRESHOLD, FROM_THE_HEAP)) and bool(mallopt(M_TRIM_THRESHOLD, KEEP_FREED))
