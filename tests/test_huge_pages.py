"""Warm workers and their children keep memory in transparent huge pages (``grader.worker.huge_pages``): fewer
page-table entries for each fork and end to copy and drop. Where the kernel offers none, these skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.sandbox import WorkerPool, isolation
from grader.worker.huge_pages import HUGE_PAGE, private_writable_ranges

SETTINGS = Path("/sys/kernel/mm/transparent_hugepage/enabled")
MB = 2**20

HAND_IN = b'''
def huge_kb():
    return int([line.split()[1] for line in open("/proc/self/smaps_rollup") if line.startswith("AnonHugePages")][0])

def grow():
    global kept
    kept = b"x" * (64 * 2**20)  # from malloc (numpy would ask for huge pages itself)
    return huge_kb()
'''


def huge_pages_offered() -> bool:
    try:
        return "[never]" not in SETTINGS.read_text()
    except OSError:
        return False


needs_huge_pages = pytest.mark.skipif(not huge_pages_offered(), reason="this kernel offers no transparent huge pages")


def anon_huge_kb(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("AnonHugePages:"):
            return int(line.split()[1])
    return 0


def test_the_ranges_are_whole_huge_pages_of_private_writable_anonymous_memory():
    maps = "\n".join([
        "00400000-00600000 r-xp 00000000 08:01 1 /usr/bin/python3",          # code: not ours to collapse
        "01000000-01a00000 rw-p 00000000 00:00 0 [heap]",                   # 10 MB heap, aligned
        "7f0000100000-7f0000700000 rw-p 00000000 00:00 0 ",                  # 6 MB anonymous, from 1 MB in
        "7f0001000000-7f0001100000 rw-p 00000000 00:00 0 ",                  # 1 MB: no whole huge page
        "7f0002000000-7f0002400000 rw-p 00001000 08:01 2 /usr/lib/libx.so",  # a library's data
        "7ffc00000000-7ffc00400000 rw-p 00000000 00:00 0 [stack]",
    ])
    assert private_writable_ranges(maps) == [(0x01000000, 0x01A00000), (0x7F0000200000, 0x7F0000600000)]
    assert all(start % HUGE_PAGE == 0 and end % HUGE_PAGE == 0 for start, end in private_writable_ranges(maps))


@needs_huge_pages
def test_collapse_moves_memory_already_written_into_huge_pages():
    code = """
import mmap, sys
from grader.worker.huge_pages import collapse
block = mmap.mmap(-1, 64 * 2**20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
block.write(b"x" * len(block))  # written in 4 KiB pages: huge pages only by default where the kernel always gives them
def huge():
    return int([l.split()[1] for l in open("/proc/self/smaps_rollup") if l.startswith("AnonHugePages")][0])
before = huge()
collapsed = collapse()
print(before, collapsed, huge())
"""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    before, collapsed, after = map(int, subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                                       text=True, check=True).stdout.split())
    if collapsed == 0:
        pytest.skip("this kernel cannot collapse memory into huge pages (MADV_COLLAPSE: Linux 6.1+)")
    assert collapsed >= 32 * MB
    assert after - before >= 32 * 1024  # kB


def zygote_pid(launched: int) -> int:
    """The warm worker's own process under ``launched`` (bwrap, unshare or itself): the first process running the
    zygote, not one of the children it forked (they run the same command line, and a child may hold more memory)."""
    parents, todo = {launched: 0}, [launched]
    while todo:
        pid = todo.pop()
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                parents[int(child)] = pid
                todo.append(int(child))

    def runs_zygote(pid: int) -> bool:  # the interpreter itself, not bwrap or unshare holding its command line
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        return "python" in Path(os.fsdecode(args[0])).name and any(b"grader.worker.zygote" in a for a in args)

    zygotes = {pid for pid in parents if runs_zygote(pid)}
    return next(pid for pid in zygotes if parents[pid] not in zygotes)


def zygote_huge_kb(pool: WorkerPool) -> int:
    """kB of huge pages held by the zygote of ``pool``'s only worker, once it served a session."""
    with pool.session("hw2", {"backprop.py": HAND_IN}):
        worker = next(iter(pool._workers.values()))
        try:
            return anon_huge_kb(zygote_pid(worker._proc.pid))
        except OSError as exc:
            pytest.skip(f"cannot read the worker's memory map here: {exc}")


@needs_huge_pages
def test_a_warm_worker_holds_what_it_preloaded_in_huge_pages():
    """A torch worker: glibc's heap is in huge pages through malloc's tunable (about 86 MB here), and the collapse
    adds most of Python's arenas (about 122 MB in all). A numpy worker's two or three huge pages can all be split
    again once it writes to them after forking a child (copy-on-write), which made this test fail now and then.
    A pool for one student's hand-ins (``collapse=False``: ``grader check``, ``grader ci``) skips the collapse,
    which would not pay back over its few children."""
    with WorkerPool(kind="torch", slots=1) as pool:
        held = zygote_huge_kb(pool)
    if held == 0 and not _kernel_collapses():
        pytest.skip("this kernel cannot collapse memory into huge pages (MADV_COLLAPSE: Linux 6.1+)")
    with WorkerPool(kind="torch", slots=1, collapse=False) as pool:
        uncollapsed = zygote_huge_kb(pool)
    assert uncollapsed >= 64 * 1024, uncollapsed  # kB: malloc's heap alone
    assert held - uncollapsed >= 16 * 1024, (held, uncollapsed)  # and Python's arenas with the collapse


def _kernel_collapses() -> bool:
    return tuple(int(part) for part in os.uname().release.split(".")[:2] if part.isdigit()) >= (6, 1)


@needs_huge_pages
@pytest.mark.parametrize("level", ["bwrap", "unshare", "none"])
def test_a_childs_large_arrays_sit_in_huge_pages_at_every_level(level):
    """glibc's malloc asks for huge pages only if told to and if it can read the kernel's settings, which the
    bubblewrap sandbox must show it."""
    if level != "none" and not isolation.works(level):
        pytest.skip(f"{level} is not usable on this machine")
    with WorkerPool(kind="numpy", slots=1, level=level) as pool, pool.session("hw2", {"backprop.py": HAND_IN}) as w:
        before = w.call("huge_kb", (), {}, timeout=10).value
        after = w.call("grow", (), {}, timeout=10).value
    assert after - before >= 32 * 1024  # kB of the 64 MB


def test_a_child_can_change_no_huge_page_setting_and_see_no_more_of_sys():
    """The one part of /sys the bubblewrap sandbox shows (for the worker's malloc, which reads it as root before any
    child exists) is read-only: a hand-in cannot switch the host's huge pages (to slow every other sandbox down, say)
    nor look around the rest of /sys."""
    if not isolation.works("bwrap"):
        pytest.skip("bwrap is not usable on this machine")
    settings = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    if not settings.exists():
        pytest.skip("this kernel has no transparent huge pages")
    host_before = settings.read_text()
    probe = HAND_IN + b'''
import os

def attempt(do):
    try:
        return do()
    except OSError as exc:
        return type(exc).__name__

def tamper():
    def write():
        with open("/sys/kernel/mm/transparent_hugepage/enabled", "w") as f:
            f.write("never")
        return "written"
    return [attempt(write), attempt(lambda: sorted(os.listdir("/sys"))),
            attempt(lambda: sorted(os.listdir("/sys/kernel")))]
'''
    with WorkerPool(kind="numpy", slots=1, level="bwrap") as pool, pool.session("hw2", {"backprop.py": probe}) as w:
        wrote, sys_entries, kernel_entries = w.call("tamper", (), {}, timeout=10).value
    assert wrote in ("PermissionError", "OSError")  # refused (a read-only mount, or no right to it at all)
    assert settings.read_text() == host_before
    assert sys_entries in ("PermissionError", ["kernel"]) and kernel_entries in ("PermissionError", ["mm"])
