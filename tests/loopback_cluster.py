"""A real Dask cluster on 127.0.0.1 for tests: a scheduler and workers, each started with Dask's own command
line (``python -m dask scheduler`` / ``python -m dask worker``) as a process of its own, logs in files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

STARTUP_SECONDS = 120


class LoopbackCluster:
    """``tls``: (ca, cert, key) PEM files for every role, which makes the cluster speak TLS only."""

    def __init__(self, folder: Path, tls: tuple[Path, Path, Path] | None = None) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.tls = tls
        self.processes: dict[str, subprocess.Popen] = {}
        self.scheduler_file = folder / "scheduler.json"
        protocol = ["--protocol", "tls"] if tls else []
        self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                  "--scheduler-file", str(self.scheduler_file), *protocol])
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self._address():
            if time.monotonic() > deadline or self.processes["scheduler"].poll() is not None:
                raise RuntimeError(f"the scheduler did not start: {self.log('scheduler')}")
            time.sleep(0.2)
        self.address = self._address()

    def add_worker(self, name: str, *, nthreads: int = 1, env: dict[str, str] | None = None) -> None:
        """A ``dask worker`` under a nanny (which restarts it when it dies), without the course secret."""
        environment = {k: v for k, v in os.environ.items() if k != "GRADER_SECRET"} | (env or {})
        self._start(name, ["worker", self.address, "--nthreads", str(nthreads), "--no-dashboard", "--name", name],
                    environment)

    def client(self) -> Any:
        from distributed import Client

        return Client(self.address, security=self.security(), timeout="60s")

    def security(self) -> Any:
        if self.tls is None:
            return None
        from distributed import Security

        ca, cert, key = map(str, self.tls)
        return Security(tls_ca_file=ca, tls_client_cert=cert, tls_client_key=key, require_encryption=True)

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def logs(self) -> str:
        return "".join(self.log(name) for name in self.processes)

    def close(self) -> None:
        for process in self.processes.values():  # each started in a session of its own: its group is ours
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def __enter__(self) -> LoopbackCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        tls = []
        if self.tls is not None:
            ca, cert, key = map(str, self.tls)
            tls = ["--tls-ca-file", ca, "--tls-cert", cert, "--tls-key", key]
        with open(self.folder / f"{name}.log", "wb") as log:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "dask", *args, *tls], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                env=env, cwd=self.folder, start_new_session=True,
            )  # fmt: skip

    def _address(self) -> str:
        try:
            return json.loads(self.scheduler_file.read_text())["address"]
        except (OSError, ValueError, KeyError):
            return ""
