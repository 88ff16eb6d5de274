"""Starting the sandbox: a worker started under bubblewrap needs no probe; a bubblewrap that fails still falls
back (bwrap -> unshare -> none) with the same warning; ``grader check`` starts its worker without the probe; the probe
finds the grader where the worker does."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from grader.authoring.samples import reference_submission, write_submission
from grader.cli import main
from grader.protocol.outcomes import Returned
from grader.sandbox import early, isolation

BWRAP_WORKS = isolation.works("bwrap")
WEAKER = "bubblewrap is not usable here"


@pytest.fixture
def fresh_detect(monkeypatch: pytest.MonkeyPatch) -> None:
    """``isolation.detect`` with nothing remembered from other tests (restored afterwards)."""
    monkeypatch.setattr(isolation, "detect", functools.cache(isolation.detect.__wrapped__))


@pytest.fixture
def no_probe(monkeypatch: pytest.MonkeyPatch, fresh_detect: None) -> list[str]:
    """Records every probe instead of running it (and says bwrap fails, so a probe would also be seen
    as a weaker level)."""
    probed: list[str] = []
    monkeypatch.setattr(isolation, "works", lambda level: probed.append(level) or False)
    return probed


def fake_bwrap(folder: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> Path:
    """``script`` (sh) in the place of bwrap."""
    fake = folder / "bwrap"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(0o755)
    monkeypatch.setattr(isolation, "bwrap_binary", lambda: str(fake))
    return fake


@pytest.fixture
def broken_bwrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_detect: None) -> Path:
    """A bwrap that fails as one does where user namespaces are not allowed."""
    return fake_bwrap(tmp_path, monkeypatch, "echo 'bwrap: setting up uid map: Permission denied' >&2\nexit 1")


@pytest.fixture
def hanging_bwrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_detect: None) -> Path:
    """A bwrap that never starts anything and never exits; given up on after a second here."""
    monkeypatch.setattr(early, "UNPROBED_START_TIMEOUT", 1.0)
    return fake_bwrap(tmp_path, monkeypatch, "exec sleep 600")


def answers(pool) -> bool:
    with pool.session("hw2", {"backprop.py": b"def twice(x):\n    return 2 * x\n"}) as session:
        outcome = session.call("twice", (21,), {}, timeout=10)
    return isinstance(outcome, Returned) and outcome.value == 42


@pytest.mark.skipif(not BWRAP_WORKS, reason="bubblewrap is not usable on this machine")
def test_a_worker_started_under_bwrap_needs_no_probe(no_probe: list[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning of weaker isolation either
        pool = early.EarlyPool(slots=1).pool()
    with pool:
        assert pool.level == "bwrap"
        assert answers(pool)
    assert no_probe == []


def test_a_broken_bwrap_falls_back_with_the_same_warning(broken_bwrap: Path) -> None:
    expected = isolation.detect.__wrapped__  # what the probe picks, bwrap being broken
    with pytest.warns(RuntimeWarning, match=WEAKER):
        level = expected().level
    assert level in ("unshare", "none")

    with pytest.warns(RuntimeWarning, match=WEAKER) as said:
        pool = early.EarlyPool(slots=1).pool()
    with pool:
        assert pool.level == level
        assert pool.isolation.description == isolation.DESCRIPTIONS[level]
        assert answers(pool)
    assert [str(w.message) for w in said if WEAKER in str(w.message)] == [
        f"sandbox: bubblewrap is not usable here, student code runs with weaker isolation "
        f"({isolation.DESCRIPTIONS[level]})"]


def test_a_bwrap_that_hangs_is_given_up_on_and_the_probe_decides(hanging_bwrap: Path, no_probe: list[str]) -> None:
    with pytest.warns(RuntimeWarning, match=WEAKER):
        pool = early.EarlyPool(slots=1).pool()
    with pool:
        assert pool.level != "bwrap" and no_probe[:1] == ["bwrap"]  # the probe ran, once the start was given up
        assert answers(pool)


def test_the_probe_says_a_broken_bwrap_does_not_work(broken_bwrap: Path) -> None:
    assert not isolation.works("bwrap")


@pytest.mark.skipif(not BWRAP_WORKS, reason="bubblewrap is not usable on this machine")
def test_the_probe_runs_python_in_the_sandbox() -> None:
    assert isolation.works("bwrap")
    probe = isolation.command("bwrap", {}, code=isolation.PROBE)
    assert probe[:probe.index("--")] == isolation.command("bwrap", {})[:probe.index("--")]  # the same sandbox


@pytest.mark.skipif(not BWRAP_WORKS, reason="bubblewrap is not usable on this machine")
def test_grader_check_starts_its_worker_without_the_probe(tmp_path: Path, no_probe: list[str],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    write_submission(tmp_path, {"backprop.py": reference_submission()["backprop.py"]})

    assert main(["check", "hw2", "--path", str(tmp_path)]) == 0

    out = capsys.readouterr().out
    assert "isolation:" not in out  # bwrap, as in the real grading
    assert "44 of 44 public checks pass" in out
    assert no_probe == []


def test_grader_check_with_a_broken_bwrap_says_which_isolation_it_used(tmp_path: Path, broken_bwrap: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    write_submission(tmp_path, {"backprop.py": reference_submission()["backprop.py"]})

    with pytest.warns(RuntimeWarning, match=WEAKER):
        assert main(["check", "hw2", "--path", str(tmp_path)]) == 0

    out = capsys.readouterr().out
    level = isolation.detect().level
    assert out.startswith(f"isolation: {level}: {isolation.DESCRIPTIONS[level]}\n")
    assert "44 of 44 public checks pass" in out


@pytest.mark.skipif(not BWRAP_WORKS, reason="bubblewrap is not usable on this machine")
def test_the_first_worker_is_launched_before_numpy_is_imported() -> None:
    """``grader check`` launches its worker first, so the worker's start overlaps the grader's imports."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from grader.sandbox import early\n"
        "worker = early.launch_first('numpy')\n"
        "print(worker is not None, 'numpy' in sys.modules)\n"
        "pool = early.open_started(1, None, worker)\n"
        "print(pool.level, pool._workers[(0, 'numpy')] is worker, worker.running)\n"
        "pool.close()\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split("\n")[:2] == ["True False", "bwrap True True"]


@pytest.mark.skipif(not BWRAP_WORKS, reason="bubblewrap is not usable on this machine")
def test_a_pool_adopts_only_the_worker_it_would_have_made() -> None:
    from grader.sandbox import Limits, WorkerPool
    from grader.sandbox.process import WorkerProcess, worker_uid

    with WorkerPool(None, 1, level="bwrap") as pool:
        strange = WorkerProcess("numpy", Limits.for_kind("numpy").with_(memory_mb=4096), "bwrap",
                                worker_uid(0, "numpy", "bwrap"))
        with pytest.raises(ValueError, match="is not this pool's slot 0 worker"):
            pool.adopt(strange)
        launched = early.launch_first("numpy")
        assert launched is not None
        pool.adopt(launched)
        assert answers(pool)
        assert launched.running


@pytest.mark.skipif(not BWRAP_WORKS, reason="bubblewrap is not usable on this machine")
def test_a_second_copy_of_the_grader_run_with_this_environment_is_sandboxed_with_bubblewrap(tmp_path: Path) -> None:
    """The probe imports the grader where the worker will, from the folder of the running package, not where the
    environment's own install points: an older checkout benchmarked with this checkout's environment must not fall
    back to weaker isolation unseen."""
    shutil.copytree(Path(isolation.__file__).parents[1], tmp_path / "copy" / "grader",
                    ignore=shutil.ignore_patterns("__pycache__"))
    code = ("import warnings; warnings.simplefilter('error'); import grader; from grader.sandbox import isolation; "
            "print(grader.__file__, isolation.detect().level)")
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(tmp_path / "copy")},
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(tmp_path / "copy" / "grader" / "__init__.py"), "bwrap"]


def test_grader_check_and_ci_skip_the_huge_page_collapse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One student's hand-ins fork a few children: the collapse (about 0.8 s of a torch worker's start) would not
    pay back, so the pools of ``grader check`` and ``grader ci`` skip it (``tests/test_huge_pages.py`` shows what
    it does)."""
    import grader.commands.ci as ci

    asked: list[bool] = []
    real_early, real_sessions = early.EarlyPool, ci.sandbox_sessions

    def recorded_early(*args, collapse: bool = True, **kwargs):
        asked.append(collapse)
        return real_early(*args, collapse=collapse, **kwargs)

    def recorded_sessions(*args, collapse: bool = True, **kwargs):
        asked.append(collapse)
        return real_sessions(*args, collapse=collapse, **kwargs)

    monkeypatch.setattr(early, "EarlyPool", recorded_early)
    monkeypatch.setattr(ci, "sandbox_sessions", recorded_sessions)
    write_submission(tmp_path, {"gradient_descent.py": reference_submission()["gradient_descent.py"]})
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRADER_SECRET", raising=False)

    assert main(["check", "hw1", "--path", str(tmp_path)]) == 0
    main(["ci"])
    assert asked == [False, False]
