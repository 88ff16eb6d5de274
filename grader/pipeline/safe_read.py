"""Read a file on a student's behalf: a regular file inside a folder, never through a link, under a size cap.

The grader has more rights than the student (often root, with the reference solutions, the hidden checks,
course.toml, earlier gradebooks and every other student's work on the same disk), and what it reads from a
student's folder is shipped into the sandbox as the student's own work. So it reads only what the student
could have handed in themselves:

- a regular file: a symbolic link can point anywhere; a FIFO would block the grader, a device reads hardware;
- reached without following any link: every folder from ``root`` down is opened relative to the one above
  with ``O_NOFOLLOW``, so a folder swapped for a link between listing and reading is refused as well;
- with one name on disk (``st_nlink == 1``): a hard link can name a file the student does not own;
- at most ``limit`` bytes, known from ``fstat`` before a byte is read, so a huge file costs nothing.

Where the platform lacks ``O_NOFOLLOW`` or ``dir_fd`` (Windows, where students run ``grader check``), an
``lstat`` before opening and a comparison of the opened file with it stand in.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_FILE_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS |= getattr(os, "O_BINARY", 0)  # Windows would translate line ends otherwise
_DIR_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_BENEATH = bool(_NOFOLLOW) and os.open in os.supports_dir_fd
_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a named pipe",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
}


class Refused(ValueError):
    """A file the grader will not read: ``"<shown> <problem>: <advice>"``, in the student's terms."""

    def __init__(self, shown: str, problem: str, advice: str = "") -> None:
        super().__init__(f"{shown} {problem}" + (f": {advice}" if advice else ""))
        self.shown, self.problem = shown, problem


def read_file(
    path: Path, *, root: Path, limit: int, kind: str, shown: str | None = None, too_big: str = ""
) -> bytes:
    """The bytes of ``path``, a regular file below ``root``, read without following links.

    ``root`` is trusted (the caller chose it; links in it are followed); every part of ``path`` below it
    is not. ``kind`` names the file in messages about the cap ("Python source"), ``too_big`` is the advice
    that goes with them; ``shown`` is its name in messages (default: the path relative to ``root``).
    Raises ``Refused``.
    """
    relative = Path(path).relative_to(root)
    shown = shown or relative.as_posix()
    try:
        before = os.lstat(path)
    except OSError as exc:
        raise Refused(shown, f"could not be read ({exc.strerror or exc})") from None
    _judge(before, shown, limit, kind, too_big)  # refuse links, pipes and devices before opening them
    try:
        fd = _open_beneath(Path(root), relative.parts) if _BENEATH else os.open(path, _FILE_FLAGS)
    except OSError as exc:
        raise _refusal_for_open(exc, shown) from None
    try:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (before.st_dev, before.st_ino):
            raise Refused(shown, "changed while it was being read", "hand it in again")
        _judge(opened, shown, limit, kind, too_big)
        return _read_at_most(fd, limit, shown, kind, too_big)
    finally:
        os.close(fd)


def size_text(size: int) -> str:
    """``19.9 MB``, ``256 kB``, ``12 bytes``: sizes as a student's file browser shows them."""
    if size >= 1_000_000:
        return f"{size / 1e6:.3g} MB"
    if size >= 1_000:
        return f"{size / 1e3:.3g} kB"
    return f"{size} bytes"


def _judge(info: os.stat_result, shown: str, limit: int, kind: str, too_big: str) -> None:
    if stat.S_ISLNK(info.st_mode):
        raise Refused(shown, "is a symbolic link", "hand in regular files only")
    if not stat.S_ISREG(info.st_mode):
        what = _KINDS.get(stat.S_IFMT(info.st_mode), "a special file")
        raise Refused(shown, f"is not a regular file ({what})", "hand in regular files only")
    if info.st_nlink != 1:
        raise Refused(shown, f"is a hard link (one of {info.st_nlink} names of a file)", "hand in a copy of it instead")
    if info.st_size > limit:
        raise _too_big(shown, info.st_size, limit, kind, too_big)


def _too_big(shown: str, size: int, limit: int, kind: str, advice: str) -> Refused:
    return Refused(shown, f"is {size_text(size)}, over the {size_text(limit)} limit for a {kind}", advice)


def _open_beneath(root: Path, parts: tuple[str, ...]) -> int:
    """A read-only descriptor of ``root/parts...``, each part opened without following a link."""
    fd = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        for part in parts[:-1]:
            inner = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = inner
        return os.open(parts[-1], _FILE_FLAGS, dir_fd=fd)
    finally:
        os.close(fd)


def _refusal_for_open(exc: OSError, shown: str) -> Refused:
    # O_NOFOLLOW on a link fails with ELOOP (EMLINK on BSD); a linked folder on the way with ENOTDIR.
    if exc.errno in (errno.ELOOP, errno.EMLINK, errno.ENOTDIR):
        return Refused(shown, "is reached through a symbolic link", "hand in regular files and folders only")
    return Refused(shown, f"could not be read ({exc.strerror or exc})")


def _read_at_most(fd: int, limit: int, shown: str, kind: str, too_big: str) -> bytes:
    """Up to ``limit`` bytes; a file that grew past its ``fstat`` size since is refused, not truncated."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = os.read(fd, min(1 << 20, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise _too_big(shown, total, limit, kind, too_big)
