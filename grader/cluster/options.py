"""``grader grade``'s cluster options, and the run they start (imported without Dask; Dask only when used)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from grader.cluster.wire import ISOLATION_LEVELS
from grader.errors import UserError
from grader.pipeline.config import CourseConfig
from grader.pipeline.discover import Submission

if TYPE_CHECKING:  # the engine (numpy, the check library) is loaded only when something is graded
    from grader.pipeline.engine import Graded


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cluster", default=None, metavar="ADDRESS",
        help="grade on a Dask cluster: tcp://HOST:PORT or tls://HOST:PORT of a running scheduler, or local:N "
        "for N worker processes here (needs the 'cluster' extra; the cluster must be the instructor's own)",
    )  # fmt: skip
    parser.add_argument(
        "--cluster-security", type=Path, default=None, metavar="FILE",
        help="Dask configuration file (YAML) with the TLS settings under distributed.comm.tls (default: "
        "Dask's own configuration)",
    )  # fmt: skip
    parser.add_argument(
        "--allow-isolation", choices=ISOLATION_LEVELS[:-1], default=None,
        help="also let cluster workers without bubblewrap grade, at this weaker isolation level",
    )  # fmt: skip


def check(args: argparse.Namespace) -> None:
    """Refuse inconsistent options and a missing Dask before any work is done."""
    from grader.cluster.connect import check_address, require_distributed, warn_if_in_clear

    if args.cluster is None:
        for option, value in (("--cluster-security", args.cluster_security), ("--allow-isolation",
                                                                               args.allow_isolation)):
            if value is not None:
                raise UserError(f"{option} applies to grading on a cluster: add --cluster ADDRESS")
        return
    if args.jobs is not None:
        raise UserError("--jobs sets the sandboxes of this machine; on a cluster each worker grades with one "
                        "sandbox per thread (`dask worker --nthreads N`, or local:N): leave --jobs out")
    check_address(args.cluster)
    require_distributed()
    if args.cluster_security is not None and not args.cluster_security.is_file():
        raise UserError(f"--cluster-security {args.cluster_security}: no such file")
    warn_if_in_clear(args.cluster)


def grade(
    args: argparse.Namespace, todo: list[Submission], config: CourseConfig, include_hidden: bool, hashes: dict[str, str]
) -> Iterator[Graded]:
    """Grade ``todo`` on ``args.cluster`` as ``grader grade`` would here; yields each submission as it finishes."""
    from grader.cluster.connect import connect
    from grader.cluster.coordinator import grade_on_cluster
    from grader.cluster.wire import GradingPlan

    if not todo:
        return
    plan = GradingPlan(
        config, only=tuple(hashes), include_hidden=include_hidden, fresh_public=bool(config.secret), hashes=hashes,
        allow_isolation=args.allow_isolation or "bwrap",
    )  # fmt: skip
    with connect(args.cluster, args.cluster_security) as client:
        yield from grade_on_cluster(client, todo, plan, progress=not args.quiet)
