"""Matplotlib's font list for the sandbox, read from this machine's own cache rather than rebuilt in every worker.

A torch worker imports ``matplotlib.pyplot`` once, when a hand-in's source first imports it
(``grader.worker.preload.load_plotting``), and with no font list in its ``MPLCONFIGDIR`` matplotlib builds one: it
runs ``fc-list`` and parses every font file, about 0.2 s. So the list in matplotlib's cache folder on this machine
(built once by a process of the grader's own when there is none, about a second) is shown to the sandbox read-only,
outside its scratch area (``FONT_LISTS_DIR``), and the worker copies it where its matplotlib reads just before
that import, between children. It goes one way, into the sandbox: only trusted code writes it, a worker cannot
change it, and matplotlib builds its own list as before when the one shown is of another version or there is none.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from grader.worker.preload import FONT_LIST_NAMES, FONT_LISTS_DIR

MAX_BYTES = 4 * 2**20  # a font list is tens of kB; anything far larger is not one


def host_cache_dir() -> Path:
    """Where matplotlib keeps its cache on this machine, found as ``matplotlib.get_cachedir`` finds it, without
    importing matplotlib (a tenth of a second that a worker's start would pay here)."""
    configured = os.environ.get("MPLCONFIGDIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "matplotlib"


def font_lists(cache_dir: Path | None = None) -> list[Path]:
    """The font lists (``FONT_LIST_NAMES``) in the host's cache that can be shown to a worker: regular files, not
    links, owned by this user and not writable by others, of a plausible size."""
    folder = host_cache_dir() if cache_dir is None else cache_dir
    found = []
    try:
        entries = sorted(folder.glob(FONT_LIST_NAMES))
    except OSError:
        return []
    for path in entries:
        try:
            info = path.lstat()
        except OSError:
            continue
        if (stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022
                and 0 < info.st_size <= MAX_BYTES):
            found.append(path)
    return found


_built = False  # whether this process has had a font list built already (once is enough, even if it failed)


def build_font_list() -> None:
    """Have matplotlib build this machine's font list, in a process of the grader's own (no student code), once per
    grader process at most; a failure (no matplotlib, a cache folder that cannot be written) leaves none."""
    global _built
    if _built:
        return
    _built = True
    env = {**os.environ, "MPLBACKEND": "Agg"}
    try:  # isolated (-I) and started in /: the folder the grader runs in may be a student's repository
        subprocess.run([sys.executable, "-I", "-c", "import matplotlib.font_manager"], env=env, cwd="/",
                       capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.SubprocessError):
        pass


def bwrap_binds(cache_dir: Path | None = None) -> list[str]:
    """bubblewrap arguments showing each font list read-only in ``FONT_LISTS_DIR``; this machine's
    (``cache_dir`` None) is built first if there is none."""
    lists = font_lists(cache_dir)
    if not lists and cache_dir is None:
        build_font_list()
        lists = font_lists()
    args: list[str] = []
    for path in lists:
        args += ["--ro-bind", str(path), f"{FONT_LISTS_DIR}/{path.name}"]
    return args
