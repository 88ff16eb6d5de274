"""The cluster's parts without a cluster: what a reply must be to be recorded, what a worker is refused for,
what travels to the workers, and the command line's errors."""

from __future__ import annotations

import dataclasses
import functools
import pickle
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from grader.cli import main  # noqa: E402
from grader.cluster import connect  # noqa: E402
from grader.cluster.plugin import GradingPlugin  # noqa: E402
from grader.cluster.wire import BadReply, GradingPlan, reply, rows_from_reply  # noqa: E402
from grader.errors import UserError  # noqa: E402
from grader.pipeline.config import CourseConfig, apply_overrides  # noqa: E402
from grader.pipeline.discover import Submission  # noqa: E402
from grader.pipeline.gradebook import suite_hash  # noqa: E402
from grader.pipeline.results import CheckResult  # noqa: E402
from grader.sandbox.isolation import DESCRIPTIONS, Isolation  # noqa: E402
from grader.suites import load_checks  # noqa: E402

SECRET = "cluster-parts-secret"
ALICE = Submission("alice", "hw1", {"gradient_descent.py": b"x = 1\n"}, "c0ffee", None)
ROW = CheckResult("alice", "hw1", "hw1.gd_step.public.basic", "gd_step", 1.0, 1.0, "pass", "", 0.01)



@functools.cache
def hw1_hash() -> str:
    """The fingerprint of hw1's public suite, as the coordinator computes it."""
    config = CourseConfig(secret=SECRET)
    return suite_hash(apply_overrides(load_checks("hw1", False), config), config)


def plan(**changes) -> GradingPlan:
    base = GradingPlan(CourseConfig(secret=SECRET), ("hw1",), include_hidden=False, fresh_public=True,
                       hashes={"hw1": hw1_hash()})
    return dataclasses.replace(base, **changes)


def good_reply(**changes) -> dict:
    return reply("tcp://10.0.0.7:4000", hw1_hash(), [ROW], 1.5, 1.0) | changes


def test_a_reply_from_a_worker_graded_like_the_coordinator_gives_back_its_rows() -> None:
    assert rows_from_reply(good_reply(), ALICE, plan()) == [ROW]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"suite_hash": "0000000000000000"}, "graded hw1 with suite fingerprint 0000000000000000"),
        ({"grader_version": "0.0.1"}, "runs grader 0.0.1"),
        ({"rows": [dataclasses.asdict(dataclasses.replace(ROW, student="bob"))]}, "a row for another submission"),
        ({"rows": [dataclasses.asdict(ROW) | {"points": "1.0"}]}, "whose points is not a float"),
        ({"rows": [dataclasses.asdict(ROW) | {"extra": 1}]}, "without exactly the fields"),
        ({"rows": "not a list"}, "rows that are not a list"),
    ],
    ids=["other-suite", "other-version", "other-student", "text-for-a-number", "extra-field", "no-list"],
)
def test_a_reply_that_does_not_match_is_refused_and_says_which_worker(changes: dict, message: str) -> None:
    with pytest.raises(BadReply, match="tcp://10.0.0.7:4000") as refused:
        rows_from_reply(good_reply(**changes), ALICE, plan())
    assert message in str(refused.value)


def test_the_secret_travels_only_inside_the_plan_and_never_in_a_repr() -> None:
    plugin = GradingPlugin(plan(), "backprop-grader-test")
    plugin.status = {"worker": "tcp://10.0.0.7:4000", "accepted": True}

    travelled = pickle.loads(pickle.dumps(plugin))

    assert travelled.plan.config.secret == SECRET  # hidden checks are judged on the worker
    assert travelled.status == {}  # nothing of the sending side's state travels
    assert SECRET not in repr(plugin) + repr(plugin.plan) + str(plugin.plan)
    assert SECRET not in plan().token


def _prepared(monkeypatch: pytest.MonkeyPatch, level: str, allow: str, **changes) -> dict:
    monkeypatch.setattr("grader.sandbox.isolation.detect", lambda: Isolation(level, DESCRIPTIONS[level]))
    plugin = GradingPlugin(plan(allow_isolation=allow, **changes), "backprop-grader-test")
    try:
        return plugin._prepare("tcp://10.0.0.7:4000", 1)
    finally:
        if plugin._pool is not None:
            plugin._pool.close()


def test_a_worker_without_bubblewrap_takes_no_work_and_says_how_to_allow_it(monkeypatch: pytest.MonkeyPatch) -> None:
    status = _prepared(monkeypatch, "unshare", "bwrap")

    assert status["accepted"] is False
    assert "no usable sandbox" in status["reason"] and "--allow-isolation unshare" in status["reason"]


def test_a_weaker_sandbox_is_accepted_when_the_instructor_allows_it(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _prepared(monkeypatch, "unshare", "unshare")["accepted"] is True
    assert _prepared(monkeypatch, "none", "unshare")["accepted"] is False


def test_a_worker_whose_suite_differs_is_refused_and_says_where_its_hidden_suites_come_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GRADER_HIDDEN_DIR", raising=False)
    status = _prepared(monkeypatch, "bwrap", "bwrap", hashes={"hw1": "0123456789abcdef"})
    assert status["accepted"] is False
    assert "its hw1 suites differ from the coordinator's" in status["reason"]
    assert "0123456789abcdef there" in status["reason"] and "hidden suites from the installation" in status["reason"]


def test_a_worker_on_another_grader_version_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("grader.__version__", "9.9.9")
    status = _prepared(monkeypatch, "bwrap", "bwrap")
    assert status["accepted"] is False
    assert "it runs grader 9.9.9" in status["reason"]


@pytest.mark.parametrize("address", ["local:0", "local:two", "10.0.0.5:8786", "tcp://", "scheduler"])
def test_an_address_that_is_not_one_is_a_user_error(address: str) -> None:
    with pytest.raises(UserError, match="--cluster"):
        connect.check_address(address)


@pytest.mark.parametrize(
    ("address", "in_clear"),
    [("tcp://10.0.0.5:8786", True), ("tcp://lab-pc-3:8786", True), ("tcp://127.0.0.1:8786", False),
     ("tcp://localhost:8786", False), ("tcp://[::1]:8786", False), ("tls://10.0.0.5:8786", False)],
)
def test_plain_tcp_to_another_machine_is_warned_about(address: str, in_clear: bool) -> None:
    assert connect.in_clear_over_network(address) is in_clear


def grade(tmp_path: Path, *extra: str) -> int:
    (tmp_path / "class" / "alice").mkdir(parents=True, exist_ok=True)
    return main(["grade", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--quiet", *extra])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--cluster", "local:2", "--jobs", "2"], "leave --jobs out"),
        (["--cluster-security", "tls.yaml"], "--cluster-security applies to grading on a cluster"),
        (["--allow-isolation", "unshare"], "--allow-isolation applies to grading on a cluster"),
        (["--cluster", "tls://127.0.0.1:1", "--cluster-security", "missing.yaml"], "missing.yaml: no such file"),
    ],
)
def test_inconsistent_cluster_options_are_refused_before_any_work(tmp_path: Path, capsys, extra, message) -> None:
    assert grade(tmp_path, *extra) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_without_dask_the_cluster_option_says_how_to_install_it(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # an import of it now fails, as where it is missing

    assert grade(tmp_path, "--cluster", "local:2") == 2
    assert "pip install 'backprop-grader[cluster]'" in capsys.readouterr().err


def test_a_security_file_without_tls_settings_is_a_user_error(tmp_path: Path) -> None:
    settings = tmp_path / "dask.yaml"
    settings.write_text("distributed:\n  comm:\n    timeouts:\n      connect: 10s\n")
    with pytest.raises(UserError, match="no distributed.comm.tls section"):
        connect.load_security(settings)
    settings.write_text(f"distributed:\n  comm:\n    tls:\n      ca-file: {tmp_path / 'ca.pem'}\n")
    with pytest.raises(UserError, match="tls_client_cert not set"):
        connect.load_security(settings)
