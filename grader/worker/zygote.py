"""The warm worker: preload once, then fork a fresh child per job. Runs inside the sandbox.

Started as ``python -I -m grader.worker.zygote CONFIG_JSON`` with a control socket on the fd named in
the config. Control frames (all trusted: only the grader holds the other end, no child ever does):
``{"op": "spawn"}`` -> forks a child and answers ``{"pid": pid}`` together with the grader's end of a
fresh socket to that child (SCM_RIGHTS); ``{"op": "end", "pid": pid}`` -> kills what is left of the
child and everything it started, wipes the scratch area, answers ``{"status": "..."}``.
The student's files never pass through here, so no child can find another student's work in the
memory it inherits.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import sys
import time
import warnings
from typing import Any

from grader import wire


def preload(kind: str) -> tuple[dict, dict]:
    """Import what every child needs, so a child costs a fork, not an interpreter start-up."""
    import numpy  # noqa: F401
    import numpy.linalg  # noqa: F401

    if kind == "torch":
        import torch

        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
        import torch.nn  # noqa: F401
        import torch.nn.functional  # noqa: F401
        import torch.optim  # noqa: F401
        import torch.optim.lr_scheduler  # noqa: F401
        import torch.utils.data  # noqa: F401

        _warm_up_torch(torch)
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot  # noqa: F401
        except Exception:
            pass  # notebooks that plot only lose the preload
    import grader.data  # noqa: F401
    import grader.worker.child  # noqa: F401
    from grader.worker.builtins import BUILTINS
    from grader.worker.procedures import PROCEDURES

    return BUILTINS, PROCEDURES


def _warm_up_torch(torch: Any) -> None:
    """One tiny training step: an optimizer's first construction imports torch._dynamo (seconds),
    which every child would otherwise pay again. Single-threaded, so forking afterwards is safe."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Dropout(0.1),
                                    torch.nn.Linear(4, 3))
        for optimizer in (torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4),
                          torch.optim.Adam(model.parameters(), lr=1e-3)):
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)
            loss = torch.nn.functional.cross_entropy(model(torch.randn(5, 2)), torch.zeros(5, dtype=torch.long))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        with torch.no_grad():
            model.eval()
            model(torch.randn(5, 2)).argmax(dim=1).numpy()


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def mount_tmpfs(path: str) -> None:
    """Cover ``path`` with an empty tmpfs (the unshare level hides things this way)."""
    if _libc().mount(b"tmpfs", path.encode(), b"tmpfs", 0, b"mode=1777,size=256m") != 0:
        raise OSError(ctypes.get_errno(), f"cannot mount a tmpfs on {path}")


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
        _libc().mount(None, point.encode(), None, ms_remount | ms_bind | ms_rdonly | flags, None)


def describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        hint = {signal.SIGKILL: " (killed: timeout, memory or process limit)", signal.SIGXCPU: " (CPU time limit)",
                signal.SIGSEGV: " (segmentation fault)"}.get(sig, "")
        return f"killed by signal {signal.Signals(sig).name}{hint}"
    if os.WIFEXITED(status):
        return f"exited with status {os.WEXITSTATUS(status)}"
    return f"ended (status {status})"


class Zygote:
    def __init__(self, config: dict, ctrl: socket.socket) -> None:
        self.config = config
        self.ctrl = ctrl
        self.builtins, self.procedures = preload(config["kind"])

    def spawn(self) -> None:
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            try:
                self.ctrl.close()
                ours.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                from grader.worker.child import serve

                serve(theirs, self.config, self.builtins, self.procedures)
            finally:
                os._exit(70)
        theirs.close()
        socket.send_fds(self.ctrl, [b"F"], [ours.fileno()])
        ours.close()
        wire.send_frame(self.ctrl, wire.encode({"pid": pid}))

    def end(self, pid: int) -> str:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            _, status = os.waitpid(pid, 0)
            description = describe(status)
        except ChildProcessError:
            description = "ended"
        self.cleanup(pid)
        return description

    def cleanup(self, pid: int) -> None:
        """Kill whatever the child left running and wipe the scratch area."""
        mode = self.config["cleanup"]
        if mode == "pidns":  # alone in our pid namespace: everything else visible is the child's
            _kill_all_visible()
        elif mode == "uid":  # root without a pid namespace: the children's uid marks their processes
            _kill_all_visible(self.config["uid"])
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        _wipe(self.config["scratch_root"])
        _reap()

    def serve(self) -> None:
        wire.send_frame(self.ctrl, wire.encode({"ready": os.getpid()}))
        while True:
            try:
                request = wire.decode_payload(wire.recv_frame(self.ctrl))
            except wire.ChannelClosed:
                return
            if request["op"] == "spawn":
                self.spawn()
            elif request["op"] == "end":
                wire.send_frame(self.ctrl, wire.encode({"status": self.end(request["pid"])}))


def _kill_all_visible(uid: int | None = None) -> None:
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
        _reap()
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


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _wipe(root: str) -> None:
    def force(func, path, _exc):  # a student may have taken away its own permissions
        try:
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
            func(path)
        except OSError:
            pass

    for entry in os.scandir(root):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, onerror=force)
        else:
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def main() -> None:
    config = json.loads(sys.argv[1])
    ctrl = socket.socket(fileno=config["fd"])
    for path in config.get("hide", []):
        mount_tmpfs(path)
    if config.get("hide"):
        remount_readonly({config["scratch_root"]})
    try:
        _libc().prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: a child cannot ptrace or read our memory
    except AttributeError:
        pass
    Zygote(config, ctrl).serve()


if __name__ == "__main__":
    main()
