"""Reach a Dask cluster: ``local:N`` starts a ``LocalCluster`` of N worker processes on this machine;
``tcp://HOST:PORT`` or ``tls://HOST:PORT`` connects to a running scheduler.

TLS settings come from ``--cluster-security FILE``, a Dask configuration file (YAML, the layout of
``~/.config/dask/*.yaml``) whose ``distributed.comm`` section names the CA and this machine's certificate
and key; without it, from Dask's own configuration. Dask is an optional extra: this module says how to
install it instead of failing on an import.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from grader.errors import UserError

INSTALL = "pip install 'backprop-grader[cluster]'  (in the instructor's repository: pip install -e '.[cluster]')"
CONNECT_TIMEOUT = "30s"
_ADDRESS = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<host>\[[^\]]+\]|[^:/]+)(?::(?P<port>\d+))?/?$")


def require_distributed() -> None:
    """A clear ``Error:`` when Dask is not installed, before any work is done."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise UserError(f"--cluster needs Dask distributed, which is not installed here: {INSTALL}") from None


def check_address(address: str) -> None:
    """``local:N`` with N >= 1, or a scheduler address with a scheme, host and port."""
    if address.startswith("local:"):
        count = address[len("local:") :]
        if not count.isdigit() or int(count) < 1:
            raise UserError(f"--cluster {address}: write local:N with N the number of worker processes, e.g. local:4")
        return
    if not _ADDRESS.match(address):
        raise UserError(
            f"--cluster {address}: give the scheduler's address as tcp://HOST:PORT or tls://HOST:PORT "
            "(the one `dask scheduler` prints), or local:N for N worker processes on this machine"
        )


def in_clear_over_network(address: str) -> bool:
    """Whether ``address`` is plain tcp:// to another machine, where the course secret would travel unencrypted."""
    found = _ADDRESS.match(address)
    if not found or found["scheme"] != "tcp":
        return False
    host = found["host"].strip("[]")
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: another machine
        return True


def load_security(path: Path) -> Any:
    """A ``distributed.Security`` from a Dask configuration file's ``distributed.comm`` TLS settings."""
    import dask
    import yaml
    from distributed import Security

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UserError(f"--cluster-security {path}: cannot read it as a Dask configuration file ({exc})") from None
    comm = ((data or {}).get("distributed") or {}).get("comm") if isinstance(data, dict) else None
    if not isinstance(comm, dict) or not isinstance(comm.get("tls"), dict):
        raise UserError(
            f"--cluster-security {path}: no distributed.comm.tls section; it needs ca-file and this machine's "
            "client cert and key (README: Grading on a cluster)"
        )
    with dask.config.set(_dotted({"distributed": {"comm": comm}})):
        security = Security()
    missing = [name for name in ("tls_ca_file", "tls_client_cert") if not getattr(security, name)]
    if missing:
        raise UserError(f"--cluster-security {path}: {', '.join(missing)} not set (distributed.comm.tls.ca-file, "
                        "distributed.comm.tls.client.cert)")
    for name in ("tls_ca_file", "tls_client_cert", "tls_client_key"):
        value = getattr(security, name)
        if value and not Path(value).is_file():
            raise UserError(f"--cluster-security {path}: {value} ({name}) is not a file")
    return security


@contextmanager
def connect(address: str, security_file: Path | None = None) -> Iterator[Any]:
    """A ``distributed.Client`` for ``address``; a ``local:N`` cluster is closed again on exit."""
    require_distributed()
    check_address(address)
    from distributed import Client, LocalCluster

    security = load_security(security_file) if security_file is not None else None
    if address.startswith("local:"):
        cluster = LocalCluster(
            n_workers=int(address[len("local:") :]), threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None, silence_logs=logging.ERROR, security=security,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # its HTTP endpoints on a free port, never 8787
            protocol="tls://" if security is not None else None,
        )  # fmt: skip
        try:
            with Client(cluster, security=security) as client:
                yield client
        finally:
            cluster.close()
        return
    if security is not None and address.startswith("tcp://"):
        raise UserError(f"--cluster {address}: with --cluster-security the scheduler is reached over TLS: "
                        f"write tls://{address[len('tcp://'):]}")
    try:
        client = Client(address, security=security, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UserError(
            f"cannot reach a Dask scheduler at {address} ({type(exc).__name__}: {exc}); start one with "
            "`dask scheduler` and give the address it prints (README: Grading on a cluster)"
        ) from None
    with client:
        yield client


def warn_if_in_clear(address: str) -> None:
    if in_clear_over_network(address):
        print(
            f"WARNING: {address} is plain tcp:// to another machine: the course secret and the students' work "
            "travel unencrypted. Use tls:// with --cluster-security (README: Grading on a cluster).",
            file=sys.stderr,
        )


def _dotted(tree: dict, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``: ``dask.config.set`` replaces a nested dict whole."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_dotted(value, name + "."))
        else:
            flat[name] = value
    return flat
