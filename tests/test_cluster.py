"""``grader grade --cluster`` on real Dask clusters on 127.0.0.1: the same grades as on one machine, workers
killed with SIGKILL, a worker with another suite refused, a killed coordinator resumed, TLS."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("distributed")

import golden  # noqa: E402
from conftest import TEST_SECRET  # noqa: E402
from loopback_cluster import LoopbackCluster  # noqa: E402

from grader.cli import main  # noqa: E402
from grader.cluster.coordinator import grade_on_cluster  # noqa: E402
from grader.cluster.wire import GradingPlan  # noqa: E402
from grader.course.assignments import REPO_ROOT  # noqa: E402
from grader.pipeline.config import CourseConfig, apply_overrides  # noqa: E402
from grader.pipeline.discover import discover  # noqa: E402
from grader.pipeline.gradebook import Gradebook, suite_hash  # noqa: E402
from grader.suites import load_checks  # noqa: E402

pytestmark = pytest.mark.slow
SAMPLE = REPO_ROOT / "submissions"
KEY = ["student", "assignment", "check_id"]
# hw1's hidden suite as another version of the course has it: one check is worth a point more.
ANOTHER_HW1 = '''
from dataclasses import replace
from grader.suites.hidden.hw1 import CHECKS as INSTALLED
CHECKS = [replace(INSTALLED[0], points=INSTALLED[0].points + 1), *INSTALLED[1:]]
'''


@pytest.fixture(scope="module")
def local_grades(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample class graded on this machine, with the secret the cluster runs use."""
    out = tmp_path_factory.mktemp("local") / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADER_SECRET", TEST_SECRET)
        assert main(["grade", str(SAMPLE), "--out", str(out), "--quiet"]) == 0
    return out


def gradebook_rows(out: Path, assignments: list[str]) -> pd.DataFrame:
    with Gradebook(out) as book:
        rows = book.results_frame(extra=False).drop(columns=["seconds"])
    rows = rows[rows["assignment"].isin(assignments)]
    return rows.astype(object).sort_values(KEY, ignore_index=True)


def plan_for(only: list[str]) -> GradingPlan:
    config = CourseConfig(secret=TEST_SECRET)
    checks = {key: apply_overrides(load_checks(key, True), config) for key in only}
    hashes = {key: suite_hash(checks[key], config) for key in only}
    return GradingPlan(config, tuple(only), include_hidden=True, fresh_public=True, hashes=hashes)


def workers_by_name(client) -> dict[str, str]:
    return {info["name"]: address for address, info in client.scheduler_info()["workers"].items()}


def test_the_sample_class_graded_on_a_cluster_matches_local_grading(
    local_grades: Path, tmp_path: Path, secret: str, capsys
) -> None:
    out = tmp_path / "out"
    with LoopbackCluster(tmp_path / "cluster") as cluster:
        cluster.add_worker("w1")
        cluster.add_worker("w2")
        with cluster.client() as client:
            client.wait_for_workers(2, timeout=120)
        code = main(["grade", str(SAMPLE), "--out", str(out), "--cluster", cluster.address, "--quiet"])
        printed = capsys.readouterr()
        logs = cluster.logs()

    assert code == 0, printed.err
    assert "cluster: 2 of 2 workers grade, 2 threads in all" in printed.out
    pd.testing.assert_frame_equal(golden.table(out / "results.csv"), golden.table(local_grades / "results.csv"))
    assert secret not in logs + printed.out + printed.err  # the plan travels, the secret is never logged


def _kill_a_busy_worker(client) -> str | None:
    """SIGKILL a worker that holds grading tasks right now; its address, or None if none does."""
    busy = [address for address, keys in client.processing().items() if keys]
    if not busy:
        return None
    pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
    os.kill(pid, signal.SIGKILL)
    return busy[0]


@pytest.mark.parametrize("workers", [2, 1], ids=["one-of-two", "the-only-one-restarted-by-its-nanny"])
def test_a_worker_killed_while_it_grades_costs_nothing(local_grades: Path, tmp_path: Path, workers: int) -> None:
    only = ["hw2", "hw3"]
    todo = discover(SAMPLE, only)
    graded, killed = [], None
    with LoopbackCluster(tmp_path / "cluster") as cluster:
        for i in range(workers):
            cluster.add_worker(f"w{i}", nthreads=2 // workers)
        with cluster.client() as client:
            client.wait_for_workers(workers, timeout=120)
            for result in grade_on_cluster(client, todo, plan_for(only), progress=False):
                graded.append(result)
                if killed is None:
                    killed = _kill_a_busy_worker(client)

    assert killed is not None, "no worker held a task after the first result"
    recorded = Counter((g.submission.student, g.submission.assignment) for g in graded)
    assert recorded == Counter((s.student, s.assignment) for s in todo)  # every submission, exactly once
    rows = pd.DataFrame([r.row() for g in graded for r in g.results]).drop(columns=["seconds"])
    rows = rows.astype(object).sort_values(KEY, ignore_index=True)
    pd.testing.assert_frame_equal(rows, gradebook_rows(local_grades, only), check_dtype=False)


def test_a_worker_whose_suite_differs_is_refused_with_the_reason(
    local_grades: Path, tmp_path: Path, secret: str, capsys
) -> None:
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "hw1.py").write_text(ANOTHER_HW1)
    command = ["grade", str(SAMPLE), "--only", "hw1", "--quiet", "--cluster"]
    with LoopbackCluster(tmp_path / "cluster") as cluster:
        cluster.add_worker("odd", env={"GRADER_HIDDEN_DIR": str(hidden)})
        with cluster.client() as client:
            client.wait_for_workers(1, timeout=120)
            odd = workers_by_name(client)["odd"]
            alone = main([*command, cluster.address, "--out", str(tmp_path / "alone")])
            refused_alone = capsys.readouterr().err

            cluster.add_worker("good")
            client.wait_for_workers(2, timeout=120)
            both = main([*command, cluster.address, "--out", str(tmp_path / "both")])
            printed = capsys.readouterr()
            tasks_run = client.run(lambda dask_worker: dask_worker.state.executed_count)

    assert alone == 2
    assert "Error: every worker of the cluster refused the work" in refused_alone
    assert f"{odd}: its hw1 suites differ from the coordinator's" in refused_alone
    assert f"hidden suites from GRADER_HIDDEN_DIR={hidden} here" in refused_alone
    assert both == 0
    assert f"worker {odd} refused: its hw1 suites differ from the coordinator's" in printed.err
    assert tasks_run[odd] == 0  # it took no work: never a mixed grade
    pd.testing.assert_frame_equal(gradebook_rows(tmp_path / "both", ["hw1"]), gradebook_rows(local_grades, ["hw1"]))


def _recorded(out: Path) -> int:
    try:
        with sqlite3.connect(f"file:{out / 'gradebook.sqlite'}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
    except sqlite3.Error:  # not created yet
        return 0


def test_a_killed_coordinator_loses_no_finished_submission_and_a_rerun_resumes(
    local_grades: Path, tmp_path: Path, secret: str, capsys
) -> None:
    out = tmp_path / "out"
    command = ["grade", str(SAMPLE), "--out", str(out), "--only", "hw2,hw3", "--quiet", "--cluster", "local:2"]
    coordinator = subprocess.Popen([sys.executable, "-m", "grader.cli", *command], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while _recorded(out) < 3 and coordinator.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        os.killpg(coordinator.pid, signal.SIGKILL)  # the coordinator and its LocalCluster, mid-run
        coordinator.wait()
    recorded = _recorded(out)
    assert 3 <= recorded < 10, "the coordinator was not killed mid-run"

    assert main(command) == 0

    assert f"skipped {recorded} unchanged" in capsys.readouterr().out
    pd.testing.assert_frame_equal(gradebook_rows(out, ["hw2", "hw3"]), gradebook_rows(local_grades, ["hw2", "hw3"]))


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and one certificate it signed, for every role of a test cluster on 127.0.0.1."""
    folder.mkdir()

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
            "-subj", "/CN=grader test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "node.key", "-out", "node.csr", "-subj", "/CN=127.0.0.1")
    (folder / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
            "node.pem", "-days", "1", "-extfile", "san.cnf")
    return folder / "ca.pem", folder / "node.pem", folder / "node.key"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make certificates")
def test_a_tls_cluster_grades_with_cluster_security_and_refuses_plain_connections(
    local_grades: Path, tmp_path: Path, secret: str, capsys
) -> None:
    ca, cert, key = _certificates(tmp_path / "tls")
    settings = tmp_path / "dask-tls.yaml"
    settings.write_text(
        "distributed:\n  comm:\n    require-encryption: true\n    tls:\n"
        f"      ca-file: {ca}\n      client:\n        cert: {cert}\n        key: {key}\n"
    )
    one = tmp_path / "class"
    shutil.copytree(SAMPLE / "alice", one / "alice")
    command = ["grade", str(one), "--out", str(tmp_path / "out"), "--only", "hw1", "--quiet", "--cluster"]
    with LoopbackCluster(tmp_path / "cluster", tls=(ca, cert, key)) as cluster:
        cluster.add_worker("w1")
        with cluster.client() as client:
            client.wait_for_workers(1, timeout=120)
        plain = main([*command, cluster.address.replace("tls://", "tcp://")])
        refused = capsys.readouterr().err
        code = main([*command, cluster.address, "--cluster-security", str(settings)])
        printed = capsys.readouterr()
        logs = cluster.logs()

    assert cluster.address.startswith("tls://")
    assert plain == 2 and "Error: cannot reach a Dask scheduler at tcp://" in refused
    assert code == 0, printed.err
    pd.testing.assert_frame_equal(
        gradebook_rows(tmp_path / "out", ["hw1"]),
        gradebook_rows(local_grades, ["hw1"]).query("student == 'alice'").reset_index(drop=True),
    )
    assert secret not in logs + printed.out + printed.err
