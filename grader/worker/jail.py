"""Keeping children in their place, from inside the sandbox: cover or freeze parts of the file system
(the unshare level has no bwrap to build its view), and after each child kill what it left running and
wipe its files."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import time


def libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def mount_tmpfs(path: str) -> None:
    """Cover ``path`` with an empty tmpfs (the unshare level hides things this way)."""
    if libc().mount(b"tmpfs", path.encode(), b"tmpfs", 0, b"mode=1777,size=256m") != 0:
        raise OSError(ctypes.get_errno(), f"cannot mount a tmpfs on {path}")


def mount_empty_file(path: str) -> None:
    """Cover the file ``path`` with /dev/null (reads as empty)."""
    bind_readonly("/dev/null", path)


def bind_readonly(source: str, path: str) -> None:
    """Show ``source`` (a file or a folder) at ``path``, read-only."""
    ms_rdonly, ms_remount, ms_bind = 1, 32, 4096
    if libc().mount(source.encode(), path.encode(), None, ms_bind, None) != 0:
        raise OSError(ctypes.get_errno(), f"cannot cover {path}")
    libc().mount(None, path.encode(), None, ms_remount | ms_bind | ms_rdonly, None)


def remount_readonly(writable: set[str]) -> None:
    """Make every mount read-only except ``writable`` and the kernel's (the unshare level has no bwrap
    to build a read-only view). Flags the kernel locks in a user namespace are kept, or it refuses."""
    ms_rdonly, ms_remount, ms_bind, ms_relatime = 1, 32, 4096, 1 << 21
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4].encode().decode("unicode_escape") for line in f]
    for point in points:
        if point in writable or point.startswith(("/proc", "/dev", "/sys")):
            continue
        try:
            kept = os.statvfs(point).f_flag
        except OSError:
            continue
        flags = (kept & (2 | 4 | 8 | 1024 | 2048)) | (ms_relatime if kept & 4096 else 0)
        libc().mount(None, point.encode(), None, ms_remount | ms_bind | ms_rdonly | flags, None)


def kill_all_visible(uid: int | None = None) -> None:
    """SIGKILL every live process we can see except pid 1 and ourselves (only ``uid``'s, if given).
    In a pid namespace kill(-1) signals all of them under one lock, so a fork bomb cannot outrun it;
    the scan of /proc makes sure (kill(-1) cannot tell "none left" from "none we may signal")."""
    me = os.getpid()
    for _ in range(100):
        if uid is None:
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
        reap()
        alive = [p for p in _live_pids(uid) if p not in (1, me)]
        if not alive:
            return
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.002)


def _live_pids(uid: int | None) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            if state not in "ZX" and (uid is None or os.stat(f"/proc/{entry}").st_uid == uid):
                pids.append(int(entry))
        except (OSError, IndexError):
            continue
    return pids


def reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def wipe(root: str, keep: frozenset[str] = frozenset()) -> None:
    """Delete everything under ``root`` but the entries named in ``keep`` (the folders that hold the
    grader's own read-only mounts, when it is installed under /tmp: touching their modes would lock
    the next child out of the interpreter)."""

    def force(func, path, _exc):  # a student may have taken away its own permissions
        try:
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
            func(path)
        except OSError:
            pass

    for entry in os.scandir(root):
        if entry.name in keep:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, onerror=force)
        else:
            try:
                os.unlink(entry.path)
            except OSError:
                pass
