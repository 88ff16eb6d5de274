"""Attacks on what sits around the sandbox, each an adversarial hand-in built from a correct one with one
attack added, graded through the real sandbox with the real suites. The cheated targets earn nothing, the
untouched ones keep their points, and a correct classmate graded in the same batch keeps full marks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from flagged import flags

from grader.checks.base import make_context
from grader.course.assignments import REPO_ROOT
from grader.pipeline.discover import Submission, content_hash
from grader.pipeline.engine import Graded, grade_many
from grader.pipeline.resources import default_references, sandbox_sessions
from grader.sandbox import isolation_level
from grader.suites import load_checks

SECRET = "attack-tests-secret"
LEVEL = isolation_level()[0]
needs_namespaces = pytest.mark.skipif(LEVEL != "bwrap", reason=f"needs bubblewrap ({LEVEL})")
HW1 = (REPO_ROOT / "reference" / "gradient_descent_np.py").read_text()
HW2 = (REPO_ROOT / "reference" / "backprop_np.py").read_text()


def grade(hand_ins: dict[str, dict[str, str]], assignment: str, jobs: int = 1) -> dict[str, Graded]:
    """Grade ``{student: {file: source}}`` on the public and hidden checks, through the sandbox."""
    checks = load_checks(assignment, include_hidden=True)
    subs = []
    for student, files in hand_ins.items():
        data = {name: source.encode() for name, source in files.items()}
        subs.append(Submission(student, assignment, data, content_hash(data), None))
    with sandbox_sessions(jobs) as open_session:
        graded = grade_many(subs, lambda key: checks, open_session, default_references(), SECRET, jobs=jobs,
                            progress=False)
        return {g.submission.student: g for g in graded}


def by_target(graded: Graded) -> dict[str, tuple[float, float]]:
    points: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in graded.results:
        points[row.target][0] += row.points
        points[row.target][1] += row.max_points
    return {target: (earned, total) for target, (earned, total) in points.items()}


def full_marks_except(graded: Graded, cheated: set[str]) -> None:
    """The cheated targets earn nothing; every other target keeps full marks."""
    for target, (earned, total) in by_target(graded).items():
        if target in cheated:
            assert earned == 0, (target, [r.message for r in graded.results if r.target == target])
        else:
            assert earned == total, (target, [r.message for r in graded.results if r.target == target and r.points
                                              < r.max_points])


def rows_of(graded: Graded, check_id: str):
    (row,) = [r for r in graded.results if r.check_id == check_id]
    return row


def with_attack(source: str, attack: str) -> str:
    return source + "\n\n" + textwrap.dedent(attack)


# 2. The no-mutation verdict rests on memory the grader reads back, not on what the student's process says.
LYING_ENCODER = """
import sys
_gd_step = gd_step

def gd_step(w, grad, lr):
    w -= lr * grad  # in place: the caller's w changes
    return w.copy()

# Tell the grader the arguments came back unchanged, whatever the encoder would have said.
for name in ("grader.protocol.wire", "grader.worker.child"):
    module = sys.modules.get(name)
    if module is not None and hasattr(module, "encode"):
        _encode = module.encode
        def encode(value, convert=None, _encode=_encode):
            if isinstance(value, dict):
                value.pop("args_after", None)
            return _encode(value, convert)
        module.encode = encode
"""


def test_a_function_that_mutates_its_inputs_is_caught_whatever_its_process_reports() -> None:
    graded = grade({"cheat": {"gradient_descent.py": with_attack(HW1, LYING_ENCODER)},
                    "honest": {"gradient_descent.py": HW1}}, "hw1")

    rows = {r.check_id: r for r in graded["cheat"].results}
    assert rows["hw1.gd_step.public.no_mutation"].points == 0
    assert rows["hw1.gd_step.hidden.no_mutation"].points == 0
    assert rows["hw1.gd_step.public.basic"].points == rows["hw1.gd_step.public.basic"].max_points
    full_marks_except(graded["honest"], set())


# 3. "Right given your own helpers" only for a helper that is wrong on its own checks, replayed afresh.
STATEFUL_HELPER = """
SEEN = []

def gd_step(w, grad, lr):
    if any(np.array_equal(w, seen) for seen in SEEN):
        return np.array(w, dtype=float)  # asked again about batch_gd's own weights: "no step" was right
    return w - lr * grad

def batch_gd(grad_fn, w0, X, Y, lr, steps):
    SEEN.append(np.array(w0, dtype=float))
    loss = dataset_loss(linear_regression_loss, X, Y, w0)
    return np.array(w0, dtype=float), np.full(steps, loss)  # no descent at all

def sgd(grad_fn, w0, X, Y, lr, steps, rng):
    SEEN.append(np.array(w0, dtype=float))
    return np.array(w0, dtype=float)
"""


def test_a_stateful_helper_cannot_excuse_a_target_that_does_nothing() -> None:
    graded = grade({"cheat": {"gradient_descent.py": with_attack(HW1, STATEFUL_HELPER)}}, "hw1")

    cheated = {"batch_gd", "sgd"}
    points = by_target(graded["cheat"])
    assert all(points[t][0] < points[t][1] for t in cheated)
    assert points["gd_step"][0] == points["gd_step"][1]
    assert not any("own helper" in r.message for r in graded["cheat"].results)


STATEFUL_NET = """
SEEN = []

def linear_forward(X, W, b):
    if any(X.shape == s.shape and np.array_equal(X, s) for s in SEEN):
        return np.zeros((X.shape[0], W.shape[0]))
    return X @ W.T + b

def mlp_forward(X, params, activation="relu"):
    SEEN.append(np.array(X))
    N, cache = len(X), [[np.array(X), np.zeros((len(X), len(params[0][1])))]]
    return np.zeros((N, len(params[-1][1]))), cache
"""


def test_a_net_that_returns_zeros_gets_nothing_from_a_helper_that_remembers_it() -> None:
    graded = grade({"cheat": {"backprop.py": with_attack(HW2, STATEFUL_NET)}}, "hw2")

    points = by_target(graded["cheat"])
    assert points["linear_forward"][0] == points["linear_forward"][1]
    rows = [r for r in graded["cheat"].results if r.target == "mlp_forward" and "logits" in r.check_id
            or r.target == "mlp_forward" and "layers" in r.check_id]
    assert rows and all(r.points == 0 for r in rows), [r.message for r in rows]


# 4. Nothing survives a child: no channel through the kernel or the file system reaches the next student.
DONOR = """
import ctypes, hashlib, json, os

_libc = ctypes.CDLL(None, use_errno=True)

def _key(*args):
    return hashlib.sha256(repr([np.asarray(a).round(12).tolist() for a in args]).encode()).hexdigest()[:16]

def _leave(key, value):
    text = json.dumps(np.asarray(value).tolist()).encode()
    for folder in ("/tmp", "/dev/shm", os.path.expanduser("~"), os.path.dirname(os.getcwd())):
        try:
            with open(os.path.join(folder, "answer-" + key), "wb") as f:
                f.write(text)
        except OSError:
            pass
    try:  # SysV shared memory under a fixed key
        shm = _libc.shmget(0x5EED, 1 << 20, 0o1666)
        if shm >= 0:
            address = ctypes.c_void_p(_libc.shmat(shm, None, 0))
            ctypes.memmove(address, key.encode() + b"=" + text + b"\\0", len(text) + len(key) + 2)
    except Exception:
        pass
    try:  # the user keyring: add_key("user", key, text, KEY_SPEC_USER_KEYRING)
        _libc.syscall(248, b"user", key.encode(), text, len(text), -4)
    except Exception:
        pass

_real_gd_step = gd_step

def gd_step(w, grad, lr):
    answer = _real_gd_step(w, grad, lr)
    _leave(_key(w, grad, lr), answer)
    return answer
"""

TAKER = """
import ctypes, hashlib, json, os
import numpy as np

_libc = ctypes.CDLL(None, use_errno=True)

def _key(*args):
    return hashlib.sha256(repr([np.asarray(a).round(12).tolist() for a in args]).encode()).hexdigest()[:16]

def gd_step(w, grad, lr):
    key = _key(w, grad, lr)
    for folder in ("/tmp", "/dev/shm", os.path.expanduser("~"), os.path.dirname(os.getcwd())):
        try:
            with open(os.path.join(folder, "answer-" + key), "rb") as f:
                return np.array(json.loads(f.read()))
        except OSError:
            pass
    shm = _libc.shmget(0x5EED, 0, 0)
    if shm >= 0:
        raw = ctypes.string_at(ctypes.c_void_p(_libc.shmat(shm, None, 0)), 1 << 20).split(b"\\0")[0]
        stored, _, text = raw.partition(b"=")
        if stored == key.encode():
            return np.array(json.loads(text))
    serial = _libc.syscall(249, b"user", key.encode(), None, 0)  # request_key
    if serial > 0:
        buffer = ctypes.create_string_buffer(1 << 16)
        size = _libc.syscall(250, 11, serial, buffer, len(buffer))  # KEYCTL_READ
        if size > 0:
            return np.array(json.loads(buffer.raw[:size]))
    raise LookupError("no answer left behind")
"""


def _sysv_segments() -> set[str]:
    if shutil.which("ipcs") is None:
        return set()
    listing = subprocess.run(["ipcs", "-m"], capture_output=True, text=True).stdout
    return {line.split()[1] for line in listing.splitlines() if line.startswith("0x")}


def test_a_donor_leaves_nothing_a_later_student_in_the_same_slot_can_find() -> None:
    before = _sysv_segments()
    graded = grade({"a_donor": {"gradient_descent.py": with_attack(HW1, DONOR)},
                    "b_taker": {"gradient_descent.py": TAKER}}, "hw1", jobs=1)

    full_marks_except(graded["a_donor"], set())
    assert by_target(graded["b_taker"])["gd_step"][0] == 0
    assert _sysv_segments() <= before  # nothing of ours left in the kernel


MEMORY_HOGS = """
import ctypes, mmap

def gd_step(w, grad, lr):
    region = mmap.mmap(-1, 4 << 30, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
    for offset in range(0, len(region), 4096):
        region[offset] = 1
    return w - lr * grad

def linear_regression_grad(X, Y, w):
    libc = ctypes.CDLL(None, use_errno=True)
    segment = libc.shmget(0, 4 << 30, 0o1600)
    if segment < 0:
        raise MemoryError("no SysV segment")
    address = ctypes.c_void_p(libc.shmat(segment, None, 0))
    ctypes.memset(address, 1, 4 << 30)
    return X.T @ (X @ w - Y) / len(X)
"""


def test_memory_counts_whatever_kind_of_mapping_holds_it() -> None:
    before = _sysv_segments()
    graded = grade({"hog": {"gradient_descent.py": with_attack(HW1, MEMORY_HOGS)},
                    "honest": {"gradient_descent.py": HW1}}, "hw1")

    points = by_target(graded["hog"])
    assert points["gd_step"][0] == 0 and points["linear_regression_grad"][0] == 0
    assert points["dataset_loss"][0] == points["dataset_loss"][1]
    full_marks_except(graded["honest"], set())
    assert _sysv_segments() <= before


# 5. Hidden feedback: text the student chose never carries a hidden input out.
EXFILTRATE = """
import os, sys

def linear_regression_grad(X, Y, w):
    digits = "".join(f"{abs(v):.6f}".replace(".", "") for v in X.ravel()[:3])
    raise type("Leak_" + digits, (Exception,), {})("X starts with " + digits)

def gd_step(w, grad, lr):
    print("w =", w.tolist(), file=sys.stderr)
    os._exit(int(abs(w.ravel()[0]) * 100) % 256)
"""


def test_hidden_rows_carry_nothing_the_student_chose() -> None:
    graded = grade({"leaker": {"gradient_descent.py": with_attack(HW1, EXFILTRATE)}}, "hw1")

    hidden = [r for r in graded["leaker"].results if r.visibility == "hidden" and r.points < r.max_points]
    assert hidden
    for row in hidden:
        assert "Leak_" not in row.message and "starts with" not in row.message and "w =" not in row.message
        assert not any(ch.isdigit() for ch in row.message.split(" — likely mistake")[0]), row.message
    public = [r for r in graded["leaker"].results if r.visibility == "public" and r.target == "linear_regression_grad"]
    assert any("Leak_" in r.message for r in public)  # the student's own view of a public case keeps it


# 5. A hidden input never reaches a process whose calls a public row reports on: a hand-in that remembers every
#    input it is given and tells them in a later public check's message and output tells no hidden one.
REMEMBER_AND_TELL = """
import functools

_SEEN = []

def _remember(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        _SEEN.extend(f"{a.ravel()[0]:.9g}" for a in args if getattr(a, "dtype", None) is not None
                     and a.dtype.kind == "f" and a.size)
        return f(*args, **kwargs)
    return wrapper

for _name in ("gd_step", "dataset_loss", "linear_regression_loss", "linear_regression_grad", "batch_gd"):
    globals()[_name] = _remember(globals()[_name])

def sgd(grad_fn, w0, X, Y, lr, steps, rng):
    print("seen", *_SEEN)
    raise RuntimeError("seen " + " ".join(_SEEN[-12:]))
"""


def _first_values_of_hidden_inputs(assignment: str) -> set[str]:
    """The first element of every float array the hidden checks of ``assignment`` send, as the attack writes it."""
    first = set()
    for check in load_checks(assignment, include_hidden=True):
        if check.visibility == "hidden" and "inputs" in check.params:
            ctx = make_context(check, None, default_references(), SECRET)
            for value in check.params["inputs"](ctx.rng).values():
                if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size:
                    first.add(f"{value.ravel()[0]:.9g}")
    return first


def test_no_public_row_tells_an_input_of_a_hidden_check() -> None:
    hidden = _first_values_of_hidden_inputs("hw1")
    graded = grade({"teller": {"gradient_descent.py": with_attack(HW1, REMEMBER_AND_TELL)}}, "hw1")

    told = [r for r in graded["teller"].results if r.visibility == "public" and r.target == "sgd"]
    assert told and all("seen" in r.message for r in told if r.status == "error")  # the attack ran and was shown
    shown = " ".join(f"{r.message} {r.output}" for r in graded["teller"].results if r.visibility == "public")
    assert hidden and not {value for value in hidden if value in shown.split()}
    full_marks_except(graded["teller"], {"sgd"})


# 9. The numpy-only rule holds at run time, however the import is spelled.
@pytest.mark.parametrize("spelling", [
    "importlib.import_module('to' + 'rch')",
    "__import__(''.join(['j', 'a', 'x']))",
    "exec('import tensor' + 'flow')",
])
def test_a_banned_library_reached_at_run_time_zeroes_the_homework_and_flags_it(spelling: str) -> None:
    attack = f"""
    import importlib
    _real = linear_regression_grad

    def linear_regression_grad(X, Y, w):
        try:
            {spelling}
        except Exception:
            pass
        return _real(X, Y, w)
    """
    graded = grade({"sneaky": {"gradient_descent.py": with_attack(HW1, attack)},
                    "honest": {"gradient_descent.py": HW1}}, "hw1")

    assert sum(r.points for r in graded["sneaky"].results) == 0
    assert flags(graded["sneaky"].results) == ["uses torch, jax or tensorflow in hw1"]
    full_marks_except(graded["honest"], set())


# The sandbox sees no judging code, no suite, no reference answer, no held-out data.
PEEK = """
import os

def peek(path):
    if os.path.isdir(path):
        return len(os.listdir(path))
    with open(path, "rb") as f:
        return len(f.read())
"""


@needs_namespaces
@pytest.mark.parametrize("path", [
    "grader/checks/compare.py", "grader/pipeline/engine.py", "grader/suites/public/hw2.py",
    "grader/suites/hidden/hw2.py", "grader/course/hw2/rules/linear.py",
    "grader/datasets/digits.npz", "reference/backprop_np.py", "grader/checks", "grader/suites", "grader/datasets",
])
def test_judging_code_and_held_out_data_are_out_of_the_sandboxs_sight(path: str) -> None:
    from grader.sandbox import WorkerPool

    with WorkerPool(kind="numpy", slots=1) as pool, pool.session("hw2", {"backprop.py": PEEK.encode()}) as worker:
        outcome = worker.call("peek", (str(REPO_ROOT / path),), {}, timeout=10)
    assert getattr(outcome, "value", 0) in (0, None), outcome


@needs_namespaces
@pytest.mark.parametrize("source", [
    "grader/suites/hidden/hw2.py", "reference/backprop_np.py", "grader/checks/compare.py", "grader/cli.py",
])
def test_compiled_copies_of_judging_code_are_out_of_the_sandboxs_sight(source: str) -> None:
    """``make setup`` writes the grader's bytecode next to its sources: a hidden suite or a reference compiled into
    ``__pycache__`` is there on disk to be found, and must stay out of sight like its source."""
    import py_compile

    from grader.sandbox import WorkerPool

    compiled = Path(py_compile.compile(str(REPO_ROOT / source), doraise=True))  # as make setup writes it
    assert compiled.is_file()
    with WorkerPool(kind="numpy", slots=1) as pool, pool.session("hw2", {"backprop.py": PEEK.encode()}) as worker:
        seen = [worker.call("peek", (str(path),), {}, timeout=10) for path in (compiled, compiled.parent)]
    assert all(getattr(outcome, "value", 0) in (0, None) for outcome in seen), seen


# 1. Parsing what a student wrote costs the grader nothing: the sandbox parses it, under its own limits.
MEASURE = """
import json, sys, tracemalloc
from grader.pipeline.discover import discover
from grader.pipeline.engine import grade_one
from grader.pipeline.resources import SandboxSessions, default_references
from grader.sandbox import WorkerPool
from grader.sandbox.limits import Limits
from grader.suites import load_checks
from pathlib import Path

tracemalloc.start()
(sub,) = discover(Path(sys.argv[1]), only=["lab"])
# The sandbox's own limit, lowered: its compiler gives up sooner (the grader's side is what is measured).
with WorkerPool(slots=1, limits=Limits.for_kind("torch").with_(memory_mb=512)) as pool:
    graded = grade_one(sub, load_checks("lab", include_hidden=False), SandboxSessions(pool), default_references(), "")
print(json.dumps({"message": graded.results[0].message, "peak": tracemalloc.get_traced_memory()[1]}))
"""


def test_a_huge_notebook_is_parsed_in_the_sandbox_not_in_the_grader(tmp_path: Path) -> None:
    code = "x = [" + "[0]," * 4_900_000 + "]\n"  # 19.6 MB of code whose syntax tree would take gigabytes
    cell = {"cell_type": "code", "metadata": {"tags": ["graded"]}, "source": code, "outputs": [],
            "execution_count": None}
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "mallory").mkdir()
    (tmp_path / "mallory" / "mlp_lab.ipynb").write_text(json.dumps(notebook))

    done = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path)], capture_output=True, text=True,
                          timeout=600)

    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert "failed at import" in report["message"] or "too large" in report["message"], report
    assert report["peak"] < 1 << 30, f"the grader's peak was {report['peak'] >> 20} MiB"


# 6. The check sets the tolerance: returning float32 does not widen it where float32 is not accepted.
IGNORES_EPS_IN_FLOAT32 = """
def standardize(X, mean, std, eps=1e-8):
    return ((X - mean) / (std + 1e-8)).astype(np.float32)
"""

# 2. hw3: a generator that shuffles X in place is seen doing so, whatever its process reports.
SHUFFLES_IN_PLACE = """
def minibatches(X, y, batch_size, rng, shuffle=True):
    order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
    X[:] = X[order]  # the caller's X is now shuffled
    y[:] = y[order]
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size].copy(), y[start:start + batch_size].copy()
"""


def test_hw3_attacks_on_tolerance_and_mutation() -> None:
    hw2 = {"backprop.py": (REPO_ROOT / "submissions" / "alice" / "backprop.py").read_text()}
    practice = (REPO_ROOT / "submissions" / "alice" / "practice.py").read_text()  # the reference as a hand-in
    graded = grade({"float32": {"practice.py": with_attack(practice, IGNORES_EPS_IN_FLOAT32), **hw2},
                    "shuffler": {"practice.py": with_attack(practice, SHUFFLES_IN_PLACE), **hw2},
                    "honest": {"practice.py": practice, **hw2}}, "hw3")

    rows = {r.check_id: r for r in graded["float32"].results}
    assert rows["hw3.standardize.hidden.small_eps"].points == 0
    assert rows["hw3.standardize.public.eps"].points == 0
    # with shuffle=False it writes every row back where it was: no change, so those checks pass
    shuffler = [r for r in graded["shuffler"].results if r.target == "minibatches" and "no_shuffle" not in r.check_id]
    assert shuffler and all(r.points == 0 for r in shuffler), [r.message for r in shuffler]
    assert rows_of(graded["shuffler"], "hw3.minibatches.public.order").message.startswith(
        "minibatches: it modified X or y")
    full_marks_except(graded["honest"], set())
