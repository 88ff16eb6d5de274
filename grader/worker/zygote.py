"""The warm worker: preload once, then fork a fresh child per job. Runs inside the sandbox.

Started by ``grader.sandbox.isolation`` (``main()`` with a JSON config as argv[1]) with a control socket
on the fd named in the config. Control frames (all trusted: only the grader holds the other end, no child ever does):
``{"op": "spawn"}`` -> answers ``{"pid": pid}`` together with the grader's end of a fresh socket to a
child (SCM_RIGHTS); ``{"op": "end", "pid": pid}`` -> kills the child, answers ``{"status": "...", "exit":
code or None, "signal": number or None}`` (how it ended, observed here, outside the child), then kills
everything it started and wipes the scratch area; ``{"op": "plotting"}`` -> a torch worker imports matplotlib for
the children forked after it (the grader asks once a hand-in's source imports it), answers ``{"plotting": bool}``.
Requests are served one at a time, so the clean-up after an ``end`` is over before the next request is
read. Then, while the grader judges, the next child is forked ahead (``spare``): it drops its rights and
waits for its files, and ``spawn`` hands it over. Nothing it could meet was left by the one before.
Run as root, each child gets a uid of its own (``uid`` in the config is the first of ``uid_span``), so
nothing one child owns (files, processes) is reachable by the next.
The student's files never pass through here, so no child can find another student's work in the
memory it inherits.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import sys

from grader.protocol import wire
from grader.worker import huge_pages, jail
from grader.worker.preload import load_plotting, preload


def describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        hint = {signal.SIGKILL: " (killed: timeout, memory or process limit)", signal.SIGXCPU: " (CPU time limit)",
                signal.SIGSEGV: " (segmentation fault)"}.get(signal.Signals(sig), "")
        return f"killed by signal {signal.Signals(sig).name}{hint}"
    if os.WIFEXITED(status):
        return f"exited with status {os.WEXITSTATUS(status)}"
    return f"ended (status {status})"


class Zygote:
    def __init__(self, config: dict, ctrl: socket.socket) -> None:
        self.config = config
        self.ctrl = ctrl
        # No collection while the preload imports: each full pass walks every object loaded so far, about a
        # quarter of a torch worker's start. The few cycles the imports leave stay, frozen with the rest.
        gc.disable()
        self.builtins, self.procedures = preload(config["kind"])
        # What was loaded stays out of the collector's sight: a child's collection would otherwise touch every
        # preloaded object and copy each page it lies on (copy-on-write), a few milliseconds a child.
        gc.freeze()
        gc.enable()  # for the children
        if config.get("collapse", True):  # a class: pays back after about 115 children; one hand-in: never
            huge_pages.collapse()  # fewer page-table entries for each fork and end to copy and drop
        self.spawned = 0
        self.uids: dict[int, int | None] = {}
        self.spare: tuple[int, socket.socket] | None = None
        self.plotting: bool | None = None  # matplotlib: not asked for yet, loaded, or failed to load

    def next_uid(self) -> int | None:
        base = self.config.get("uid")
        if base is None:
            return None
        self.spawned += 1
        return base + self.spawned % int(self.config.get("uid_span", 1))

    def fork(self) -> tuple[int, socket.socket]:
        """A new child, waiting for its files on the socket returned with its pid."""
        ours, theirs = socket.socketpair()
        uid = self.next_uid()
        pid = os.fork()
        if pid == 0:
            try:
                self.ctrl.close()
                ours.close()
                if self.spare is not None:  # not this child's to hold
                    self.spare[1].close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                from grader.worker.child import serve

                serve(theirs, {**self.config, "uid": uid}, self.builtins, self.procedures)
            finally:
                os._exit(70)
        self.uids[pid] = uid
        theirs.close()
        return pid, ours

    def spawn(self) -> None:
        pid, ours = self.spare or self.fork()
        self.spare = None
        socket.send_fds(self.ctrl, [b"F"], [ours.fileno()])
        ours.close()
        wire.send_frame(self.ctrl, wire.encode({"pid": pid}))

    def end(self, pid: int) -> dict:
        """Kill child ``pid`` and say how it ended (``after_end`` cleans up after it)."""
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        answer: dict = {"status": "ended", "exit": None, "signal": None}
        try:
            _, status = os.waitpid(pid, 0)
            answer["status"] = describe(status)
            if os.WIFEXITED(status):
                answer["exit"] = os.WEXITSTATUS(status)
            elif os.WIFSIGNALED(status):
                answer["signal"] = os.WTERMSIG(status)
        except ChildProcessError:
            pass
        return answer

    def after_end(self, pid: int) -> None:
        """Clean up after child ``pid``, then fork the next child ahead. In a pid namespace the clean-up kills
        every process but ours, a spare included: so the spare is forked after it, and only then."""
        if self.config["cleanup"] == "pidns":
            self.drop_spare()
        self.cleanup(pid, self.uids.pop(pid, None))
        if self.spare is None:
            self.spare = self.fork()

    def drop_spare(self) -> int | None:
        """Forget the child forked ahead (our end of its socket closed): its pid, for the caller to end, if any."""
        if self.spare is None:
            return None
        pid, sock = self.spare
        self.spare = None
        sock.close()
        self.uids.pop(pid, None)
        return pid

    def load_plotting(self) -> bool:
        """Import matplotlib for the children forked from now on (asked once a hand-in's source imports it). The
        spare, forked without it and never given a hand-in, is ended first and forked again after."""
        if self.plotting is None:
            spare = self.drop_spare()
            if spare is not None:
                self.end(spare)
            gc.disable()
            self.plotting = load_plotting()
            gc.freeze()  # as after the preload
            gc.enable()
            self.spare = self.fork()
        return self.plotting

    def cleanup(self, pid: int, uid: int | None) -> None:
        """Kill whatever the child left running and wipe the scratch area."""
        mode = self.config["cleanup"]
        if mode == "pidns":  # alone in our pid namespace: everything else visible is the child's
            jail.kill_all_visible()
        elif mode == "uid" and uid is not None:  # root without a pid namespace: the child's uid marks its own
            jail.kill_all_visible(uid)
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        jail.wipe(self.config["scratch_root"], frozenset(self.config.get("keep", ())))
        jail.reap()

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
                wire.send_frame(self.ctrl, wire.encode(self.end(request["pid"])))
                self.after_end(request["pid"])
            elif request["op"] == "plotting":  # a numpy worker's hand-ins cannot import matplotlib
                loaded = self.config["kind"] == "torch" and self.load_plotting()
                wire.send_frame(self.ctrl, wire.encode({"plotting": loaded}))


def main() -> None:
    config = json.loads(sys.argv[1])
    ctrl = socket.socket(fileno=config["fd"])
    for path in config.get("hide", []):
        if os.path.isdir(path):
            jail.mount_tmpfs(path)
    for path in config.get("hide_files", []):
        if os.path.isfile(path):
            jail.mount_empty_file(path)
    for path in config.get("tombstones", []):
        if os.path.isdir(path):
            jail.bind_readonly(os.path.join(os.path.dirname(__file__), "tombstone"), path)
    if config.get("hide"):
        jail.remount_readonly({config["scratch_root"]})
    try:
        jail.libc().prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: a child cannot ptrace or read our memory
    except AttributeError:
        pass
    Zygote(config, ctrl).serve()


if __name__ == "__main__":
    main()
