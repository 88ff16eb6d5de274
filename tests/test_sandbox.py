"""The sandboxed runner with well-behaved student code: values, errors, markers, sessions, notebooks."""

from __future__ import annotations

import threading
import time

import nbformat
import numpy as np
import pytest

from grader.protocol.builtins import BUILTINS
from grader.protocol.markers import Builtin, Rng
from grader.protocol.outcomes import Crashed, Raised, Returned, TimedOut
from grader.sandbox import Limits, WorkerPool, isolation, isolation_level

BACKPROP = b'''
import numpy as np

calls = 0

def relu_forward(S):
    return np.maximum(S, 0.0)

def linear_forward(X, W, b):
    return X @ W.T + b

def scale_in_place(X):
    X *= 2
    return None

def apply(f, x):
    return f(x)

def draw(rng, n):
    return rng.random(n)

def pair(x):
    return (x, [x, {"twice": 2 * x}])

def count():
    global calls
    calls += 1
    return calls

def fails(x):
    return helper(x)

def helper(x):
    raise ValueError(f"x was {x}")

def warns():
    import warnings
    warnings.warn("careful")
    return 1
'''


@pytest.fixture(scope="module")
def pool():
    with WorkerPool(kind="numpy", slots=2, limits=Limits(memory_mb=512), import_timeout=3) as pool:
        yield pool


def call(worker, function, *args, timeout=5.0, **kwargs):
    return worker.call(function, args, kwargs, timeout=timeout)


def test_isolation_level_is_reported():
    level, description = isolation_level()
    assert level in ("bwrap", "unshare", "none") and description


@pytest.mark.parametrize("level", ["bwrap", "unshare", "none"])
def test_every_level_that_works_here_grades_and_survives_an_exit(level):
    if level != "none" and not isolation.works(level):
        pytest.skip(f"{level} is not usable on this machine")
    with WorkerPool(kind="numpy", slots=1, level=level) as pool:
        with pool.session("hw2", {"backprop.py": BACKPROP + b"\ndef bye():\n    import os\n    os._exit(0)\n"}) as w:
            assert isinstance(call(w, "bye"), Crashed)
            assert np.array_equal(call(w, "relu_forward", np.array([-1.0, 1.0])).value, [0.0, 1.0])


def test_a_correct_module_returns_the_right_values(pool):
    X, W, b = np.arange(6.0).reshape(2, 3), np.ones((4, 3)), np.arange(4.0)
    with pool.session("hw2", {"backprop.py": BACKPROP}) as worker:
        assert worker.import_error is None
        relu = call(worker, "relu_forward", np.array([-1.0, 0.0, 2.0]))
        linear = call(worker, "linear_forward", X, W, b)
        nested = call(worker, "pair", 3)
    assert isinstance(relu, Returned) and np.array_equal(relu.value, [0.0, 0.0, 2.0])
    assert np.allclose(linear.value, X @ W.T + b)
    assert nested.value == (3, [3, {"twice": 6}])  # tuples stay tuples, lists lists
    assert worker.student_seconds > 0


def test_student_seconds_are_the_wait_for_the_child_not_the_graders_encoding_and_decoding(pool, monkeypatch):
    """The grader's own work on a call's frames (here made 0.25 s slower each time) is not time in student code;
    a call's own seconds, which its timeout is measured against, still run from the request to the decoded reply."""
    from grader.sandbox import session as session_module

    wire, slow = session_module.wire, 0.25
    encode, decode = wire.encode, wire.decode_payload

    def slow_encode(value, *args, **kwargs):
        if isinstance(value, dict) and (value.get("op") in ("call", "calls") or "files" in value):
            time.sleep(slow)
        return encode(value, *args, **kwargs)

    def slow_decode(payload, *args, **kwargs):
        value = decode(payload, *args, **kwargs)
        if isinstance(value, dict) and {"returned", "prepared", "imported"} & set(value):
            time.sleep(slow)
        return value

    monkeypatch.setattr(wire, "encode", slow_encode)
    monkeypatch.setattr(wire, "decode_payload", slow_decode)
    with pool.session("hw2", {"backprop.py": BACKPROP}) as worker:  # files, "prepared", "imported": 3 x slow
        single = call(worker, "relu_forward", np.array([-1.0, 2.0]))  # 2 x slow
        many = worker.call_many([("count", (), {}, 5.0), ("count", (), {}, 5.0)])  # 3 x slow
    assert isinstance(single, Returned) and [o.value for o in many] == [1, 2]
    assert single.seconds >= 2 * slow
    assert worker.student_seconds < 4 * slow  # 8 x slow of the grader's work were around it


def slow_forks_and_ends(monkeypatch, slow: float) -> None:
    """Every child's hand-over and end by its warm worker take ``slow`` seconds more."""
    from grader.sandbox.process import WorkerProcess

    spawn, end = WorkerProcess.spawn, WorkerProcess.end

    def slow_spawn(self):
        time.sleep(slow)
        return spawn(self)

    def slow_end(self, pid):
        time.sleep(slow)
        return end(self, pid)

    monkeypatch.setattr(WorkerProcess, "spawn", slow_spawn)
    monkeypatch.setattr(WorkerProcess, "end", slow_end)


def test_forking_and_ending_children_is_isolation_time_not_student_time(pool, monkeypatch):
    """Two children (a restart between two calls), each handed over and ended 0.25 s slower: four waits for the
    warm worker, all counted in ``isolation_seconds`` (the last end, at the session's close, too), none in
    ``student_seconds``."""
    slow = 0.25
    slow_forks_and_ends(monkeypatch, slow)
    with pool.session("hw2", {"backprop.py": BACKPROP}) as worker:
        first = call(worker, "relu_forward", np.array([-1.0, 2.0]))
        worker.restart()
        second = call(worker, "relu_forward", np.array([3.0]))
        assert 3 * slow <= worker.isolation_seconds < 4 * slow  # two hand-overs and one end so far
    assert isinstance(first, Returned) and isinstance(second, Returned)
    assert worker.isolation_seconds >= 4 * slow
    assert worker.student_seconds < slow


def test_arguments_come_back_as_they_were_after_the_call(pool):
    X = np.ones((2, 2))
    with pool.session("hw2", {"backprop.py": BACKPROP}) as worker:
        outcome = call(worker, "scale_in_place", X)
    assert np.array_equal(outcome.args_after[0], 2 * X) and np.array_equal(X, np.ones((2, 2)))


def test_markers_become_builtins_and_generators_in_the_worker(pool):
    name = "cube"  # x -> x**3, elementwise
    x = np.linspace(0.1, 1.0, 4)
    with pool.session("hw2", {"backprop.py": BACKPROP}) as worker:
        applied = call(worker, "apply", Builtin(name), x)
        drawn = call(worker, "draw", Rng(11), 3)
    assert np.allclose(applied.value, BUILTINS[name](x))
    assert np.array_equal(drawn.value, np.random.default_rng(11).random(3))
    assert drawn.args_after[0] == Rng(11)


def test_an_exception_comes_back_with_the_students_frames_only(pool):
    with pool.session("hw2", {"backprop.py": BACKPROP}) as worker:
        outcome = call(worker, "fails", 4)
        missing = call(worker, "no_such_function")
    assert isinstance(outcome, Raised) and outcome.exc_type == "ValueError" and outcome.message == "x was 4"
    assert "backprop.py" in outcome.traceback and "helper" in outcome.traceback
    assert "grader" not in outcome.traceback
    assert isinstance(missing, Raised) and "no_such_function" in missing.message


def test_warnings_are_captured_and_do_not_change_the_value(pool):
    with pool.session("hw2", {"backprop.py": BACKPROP}) as worker:
        outcome = call(worker, "warns")
    assert outcome.value == 1 and "careful" in outcome.stderr


def test_a_session_keeps_its_child_until_restarted(pool):
    with pool.session("hw2", {"backprop.py": BACKPROP}) as worker:
        assert [call(worker, "count").value for _ in range(3)] == [1, 2, 3]
        worker.restart()
        assert call(worker, "count").value == 1


def test_a_restart_before_any_call_keeps_the_child_that_only_imported(pool, monkeypatch):
    """A child that has served nothing since its import is as fresh as a new one: no torch-sized fork for it."""
    from grader.sandbox.process import WorkerProcess

    spawned = []
    spawn = WorkerProcess.spawn
    monkeypatch.setattr(WorkerProcess, "spawn", lambda self: spawned.append(1) or spawn(self))
    with pool.session("hw2", {"backprop.py": BACKPROP}) as worker:
        worker.restart()
        assert [call(worker, "count").value for _ in range(2)] == [1, 2] and len(spawned) == 1
        worker.restart()
        worker.restart()  # no child now: nothing to end, and nothing forked until the next call
        assert call(worker, "count").value == 1 and len(spawned) == 2


def test_student_modules_import_each_other(pool):
    practice = b"import backprop\n\ndef relu_twice(x):\n    return 2 * backprop.relu_forward(x)\n"
    files = {"practice.py": practice, "backprop.py": BACKPROP}
    with pool.session("hw3", files) as worker:
        outcome = call(worker, "relu_twice", np.array([-1.0, 3.0]))
    assert np.array_equal(outcome.value, [0.0, 6.0])


@pytest.mark.parametrize(
    "source, exc_type",
    [(b"def f(:\n", "SyntaxError"), (b"import not_a_module_anywhere\n", "ModuleNotFoundError"),
     (b"raise RuntimeError('at import')\n", "RuntimeError")],
)
def test_an_import_failure_is_the_outcome_of_every_call(pool, source, exc_type):
    with pool.session("hw2", {"backprop.py": source}) as worker:
        assert isinstance(worker.import_error, Raised) and worker.import_error.exc_type == exc_type
        assert call(worker, "relu_forward", 1.0) == worker.import_error
        assert call(worker, "linear_forward", 1.0, 2.0, 3.0) == worker.import_error


def test_a_module_that_hangs_or_exits_at_import_costs_the_file(pool):
    with pool.session("hw2", {"backprop.py": b"while True:\n    pass\n"}) as worker:
        assert isinstance(worker.import_error, TimedOut)
        assert call(worker, "relu_forward", 1.0) == worker.import_error
    with pool.session("hw2", {"backprop.py": b"import os\nos._exit(3)\n"}) as worker:
        assert isinstance(worker.import_error, Crashed) and "status 3" in worker.import_error.reason


def test_the_session_budget_stops_calls(pool):
    with pool.session("hw2", {"backprop.py": BACKPROP}, budget=0.5) as worker:
        assert isinstance(call(worker, "relu_forward", 1.0), Returned)
        threading.Event().wait(0.6)
        assert isinstance(call(worker, "relu_forward", 1.0), TimedOut)


def test_sessions_run_in_parallel_threads(pool):
    results = {}

    def grade(i):
        with pool.session("hw2", {"backprop.py": BACKPROP}) as worker:
            results[i] = call(worker, "relu_forward", np.array([float(i)])).value

    threads = [threading.Thread(target=grade, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {i: float(v[0]) for i, v in results.items()} == {i: float(i) for i in range(4)}


def _notebook(*cells: tuple[str, list[str]]) -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source, metadata={"tags": tags}) for source, tags in cells]
    return nbformat.writes(nb).encode()


def test_a_notebook_is_graded_through_its_definitions(pool):
    data = _notebook(("import numpy as np\n%matplotlib inline", []), ("while True:\n    pass", []),
                     ("def predict(model, X):\n    return np.argmax(X, axis=1)", []),
                     ("def train(*a):\n    return 1 / 0", []))
    with pool.session("lab", {"mlp_lab.ipynb": data}) as worker:
        assert worker.import_error is None
        assert np.array_equal(call(worker, "predict", None, np.eye(3)).value, [0, 1, 2])
        raised = call(worker, "train")
    assert isinstance(raised, Raised) and 'File "mlp_lab.ipynb, cell 4", line 2' in raised.traceback


def test_a_syntax_error_in_a_graded_cell_points_at_the_cell(pool):
    data = _notebook(("x = 1", []), ("def f():\n    return 1\ndef g(:\n    pass", ["graded"]))
    with pool.session("lab", {"mlp_lab.ipynb": data}) as worker:
        error = worker.import_error
    assert isinstance(error, Raised) and error.exc_type == "SyntaxError"
    assert "(mlp_lab.ipynb, cell 2, line 3)" in error.message


def test_a_broken_notebook_fails_every_call_with_a_clear_message(pool):
    with pool.session("lab", {"mlp_lab.ipynb": b"{not json"}) as worker:
        assert isinstance(worker.import_error, Raised) and "JSON" in worker.import_error.message


def test_procedures_drive_student_code(pool):
    practice = b"def minibatches(X, y, batch_size, rng, shuffle=True):\n" \
               b"    for i in range(0, len(X), batch_size):\n        yield X[i:i + batch_size], y[i:i + batch_size]\n"
    X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    with pool.session("hw3", {"practice.py": practice}) as worker:
        outcome = worker.procedure("collect_minibatches", {"X": X, "y": y, "batch_size": 2, "seed": 0}, timeout=5)
    assert isinstance(outcome, Returned)
    assert [len(b) for b in outcome.value["epochs"][0]["y"]] == [2, 2, 1]


@pytest.mark.slow
def test_the_torch_worker_turns_tensors_into_arrays():
    source = b"import torch\n\ndef ones(n):\n    return torch.ones(n, requires_grad=True) * 2\n"
    with WorkerPool(kind="torch", slots=1) as pool:
        with pool.session("hw2", {"backprop.py": source}) as worker:
            outcome = call(worker, "ones", 3, timeout=30)
    assert type(outcome.value) is np.ndarray and np.array_equal(outcome.value, [2.0, 2.0, 2.0])


def test_a_worker_started_from_a_short_lived_thread_outlives_it():
    """bwrap's --die-with-parent follows the forking thread: workers must not die with a grading thread."""
    import threading

    with WorkerPool(kind="numpy", slots=1) as pool:
        first: list = []

        def grade_once():
            with pool.session("hw2", {"backprop.py": BACKPROP}) as w:
                first.append(call(w, "relu_forward", np.array([-1.0, 2.0])))

        thread = threading.Thread(target=grade_once)
        thread.start()
        thread.join()
        (worker,) = pool._workers.values()
        pid = worker._proc.pid
        with pool.session("hw2", {"backprop.py": BACKPROP}) as w:
            again = call(w, "relu_forward", np.array([-1.0, 2.0]))
        assert isinstance(first[0], Returned) and isinstance(again, Returned)
        assert worker._proc.pid == pid  # the same warm worker served both: it was not restarted


def test_a_child_collects_its_garbage_and_inherits_the_preload_frozen(pool):
    """The worker preloads with the collector paused and freezes what it loaded: its children must collect again."""
    source = BACKPROP + b"\ndef collector():\n    import gc\n    return [gc.isenabled(), gc.get_freeze_count()]\n"
    with pool.session("hw2", {"backprop.py": source}) as w:
        enabled, frozen = call(w, "collector").value
    assert enabled is True
    assert frozen > 1000  # numpy and the worker's own modules, out of every collection's way
