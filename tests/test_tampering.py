"""Malicious student code: whatever it does costs its own call only, and the grader stays in charge."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from grader.course.assignments import REPO_ROOT
from grader.protocol.outcomes import Crashed, Raised, Returned, TimedOut
from grader.sandbox import Limits, WorkerPool, isolation_level

LEVEL = isolation_level()[0]
needs_namespaces = pytest.mark.skipif(LEVEL != "bwrap", reason=f"file and network isolation need bubblewrap ({LEVEL})")
OUTPUT_CAP = 5_000

EVIL = '''
import os, socket, sys, time
import numpy as np
import numpy.testing

np.allclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
state = {"calls": 0}

class Equal:
    def __eq__(self, other):
        return True
    __hash__ = object.__hash__

class EqualArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

def count():
    state["calls"] += 1
    return state["calls"]

def allclose_is_patched():
    return np.allclose(1.0, 2.0)

def equal_object():
    return Equal()

def equal_array():
    return np.zeros(3).view(EqualArray)

def hard_exit():
    os._exit(0)

def soft_exit():
    sys.exit(0)

def spin():
    while True:
        pass

def hog():
    chunks = []
    while True:
        chunks.append(np.ones(2**20))

def fork_bomb():
    while True:
        try:
            os.fork()
        except OSError:
            pass

def flood():
    chunk = "x" * 2**20
    for _ in range(64):
        print(chunk)
        sys.stderr.write(chunk)
        os.write(1, chunk.encode())
    return 42

def garbage():
    for fd in range(3, 64):
        try:
            os.write(fd, b"GRW1" + b"\\xff" * 8 + os.urandom(1000))
        except OSError:
            pass
    time.sleep(10)

def connect():
    socket.create_connection(("1.1.1.1", 80), timeout=1).close()
    return "connected"

def read(path):
    with open(path, "rb") as f:
        return len(f.read())

def listing(path):
    return sorted(os.listdir(path))

def write(path):
    with open(path, "w") as f:
        f.write("pwned")
    return "written"

def leave_behind():
    with open(os.path.join(os.path.dirname(os.getcwd()), "answers.txt"), "w") as f:
        f.write("for the next student")
    return sorted(os.listdir(os.path.dirname(os.getcwd())))

def find_leftovers():
    return sorted(os.listdir(os.path.dirname(os.getcwd())))

def environment():
    return sorted(os.environ)

def kill_parent():
    os.kill(os.getppid(), 9)
    time.sleep(1)
'''

GOOD = b"import numpy as np\n\ndef relu_forward(S):\n    return np.maximum(S, 0.0)\n"


@pytest.fixture(scope="module")
def pool():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRADER_SECRET", "not-for-students")
        limits = Limits(memory_mb=256, nproc=16, output_bytes=OUTPUT_CAP, cpu_seconds=30)
        with WorkerPool(kind="numpy", slots=2, limits=limits, import_timeout=3) as pool:
            yield pool


@pytest.fixture
def evil(pool):
    with pool.session("hw2", {"backprop.py": EVIL.encode()}) as worker:
        assert worker.import_error is None
        yield worker


def call(worker, function, *args, timeout=2.0):
    return worker.call(function, args, {}, timeout=timeout)


def test_monkeypatching_numpy_in_the_child_changes_nothing_here(pool, evil):
    assert call(evil, "allclose_is_patched").value is True  # the child fooled only itself
    assert not np.allclose(1.0, 2.0)
    with pool.session("hw2", {"backprop.py": b"import numpy as np\ndef f():\n    return np.allclose(1.0, 2.0)\n"}) as w:
        assert call(w, "f").value is False  # and not the next student either


@pytest.mark.parametrize("function", ["equal_object", "equal_array"])
def test_an_object_that_equals_everything_earns_a_crash(evil, function):
    outcome = call(evil, function)
    assert isinstance(outcome, Crashed) and "not data" in outcome.reason


@pytest.mark.parametrize("function", ["hard_exit", "soft_exit"])
def test_exiting_costs_that_call_and_the_next_runs_in_a_fresh_child(evil, function):
    assert call(evil, "count").value == 1
    assert isinstance(call(evil, function), Crashed)
    assert call(evil, "count").value == 1  # fresh child: module state starts again


def test_an_endless_loop_times_out(evil):
    outcome = call(evil, "spin", timeout=1.0)
    assert isinstance(outcome, TimedOut)
    assert call(evil, "count").value == 1


def test_unbounded_allocation_crashes_on_the_memory_limit(evil):
    outcome = call(evil, "hog", timeout=10.0)
    assert isinstance(outcome, Crashed) and "memory" in outcome.reason


def test_a_fork_bomb_is_contained(evil):
    outcome = call(evil, "fork_bomb", timeout=2.0)
    assert isinstance(outcome, (Crashed, TimedOut))
    assert call(evil, "count").value == 1


def test_a_flood_of_output_is_capped_and_the_call_still_judged(evil):
    outcome = call(evil, "flood", timeout=20.0)
    assert isinstance(outcome, Returned) and outcome.value == 42
    assert len(outcome.stderr) < OUTPUT_CAP + 200 and "dropped" in outcome.stderr


def test_garbage_on_the_channel_is_a_crash_not_a_result(evil):
    outcome = call(evil, "garbage", timeout=3.0)
    assert isinstance(outcome, Crashed) and "bad reply" in outcome.reason
    assert call(evil, "count").value == 1


def test_killing_the_worker_costs_one_call(evil):
    assert not isinstance(call(evil, "kill_parent", timeout=3.0), Returned)
    assert call(evil, "count").value == 1


def test_no_secret_reaches_the_sandbox(evil):
    assert os.environ["GRADER_SECRET"]  # set for the grader while the pool started
    assert "GRADER_SECRET" not in call(evil, "environment").value


@needs_namespaces
def test_no_network(evil):
    assert isinstance(call(evil, "connect"), Raised)


@needs_namespaces
def test_references_hidden_suites_and_other_students_are_out_of_sight(evil, tmp_path: Path):
    other = tmp_path / "submissions" / "alice"
    other.mkdir(parents=True)
    (other / "backprop.py").write_text("def relu_forward(S): ...\n")
    for path in [other / "backprop.py", REPO_ROOT / "reference" / "backprop_np.py", REPO_ROOT / "course.toml",
                 REPO_ROOT / "grader" / "suites" / "hidden" / "hw2.py"]:
        assert isinstance(call(evil, "read", str(path)), Raised), path
    assert isinstance(call(evil, "listing", str(tmp_path)), Raised)
    hidden = call(evil, "listing", str(REPO_ROOT / "grader" / "suites" / "hidden"))
    assert isinstance(hidden, Raised) or hidden.value == []


@needs_namespaces
@pytest.mark.parametrize(
    "where", ["grader/wire.py", "evil.py", "grader/suites/hidden/evil.py", "/usr/evil", "/work/evil", "/dev/shm/evil"]
)
def test_nothing_outside_scratch_is_writable(evil, where):
    path = where if where.startswith("/") else str(REPO_ROOT / where)
    assert isinstance(call(evil, "write", path), Raised)
    assert not os.path.exists(REPO_ROOT / "evil.py")


def test_nothing_is_left_for_the_next_student(pool, evil):
    assert "answers.txt" in call(evil, "leave_behind").value
    evil.restart()  # the same worker forks the next child
    assert "answers.txt" not in call(evil, "find_leftovers").value


def test_after_all_that_a_well_behaved_module_still_grades(pool):
    with pool.session("hw2", {"backprop.py": GOOD}) as worker:
        outcome = call(worker, "relu_forward", np.array([-2.0, 5.0]))
    assert isinstance(outcome, Returned) and np.array_equal(outcome.value, [0.0, 5.0])
