"""Put a warm worker's preloaded memory in transparent huge pages, so that forking a child and ending it cost less.

Forking copies a page-table entry for every 4 KiB page of private memory, and ending a child drops them all again:
for a torch worker (about 240 MB of it with torch's compiler preloaded, half the heap of libtorch's start-up, half
Python's object arenas; about 120 MB in huge pages since ``grader.worker.lazy_dynamo``) that was some 20 ms a child.
In 2 MiB pages the same memory takes 512 times fewer entries. glibc's malloc asks for huge pages itself when
``GLIBC_TUNABLES=glibc.malloc.hugetlb=1`` and it can read the kernel's settings (``grader.sandbox.isolation`` gives
it both); what was allocated otherwise (Python's arenas) is collapsed here, once, after the preload
(``MADV_COLLAPSE``, Linux 6.1+). A child that writes to such a page gets a 4 KiB copy of the part it wrote, as
before. Best effort: where the kernel cannot, nothing changes but the cost.
"""

from __future__ import annotations

import ctypes

HUGE_PAGE = 2 * 2**20
MADV_COLLAPSE = 25


def private_writable_ranges(maps: str) -> list[tuple[int, int]]:
    """The whole huge pages inside each private writable mapping of ``maps`` (``/proc/self/maps``' text) that is
    anonymous or the heap: ``(start, end)`` addresses, aligned to ``HUGE_PAGE``."""
    ranges = []
    for line in maps.splitlines():
        fields = line.split()
        if len(fields) < 5 or fields[1] != "rw-p" or (len(fields) > 5 and fields[5] != "[heap]"):
            continue
        low, high = (int(x, 16) for x in fields[0].split("-"))
        start, end = -(-low // HUGE_PAGE) * HUGE_PAGE, high // HUGE_PAGE * HUGE_PAGE
        if end > start:
            ranges.append((start, end))
    return ranges


def collapse() -> int:
    """Collapse this process's anonymous private memory into huge pages; the bytes collapsed (0 where the kernel
    does not support it)."""
    try:
        with open("/proc/self/maps") as maps:
            ranges = private_writable_ranges(maps.read())
        madvise = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return 0
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    return sum(end - start for start, end in ranges if madvise(start, end - start, MADV_COLLAPSE) == 0)
