"""The grader grades on one OpenBLAS thread (grader/pipeline/blas.py): set while grading, set back after, and the
products a check computes agree either way, far below any check's tolerance (bit for bit on some CPUs; on others,
AMD's among them, OpenBLAS sums a product's terms in another order on two threads)."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from types import SimpleNamespace

import numpy as np
import pytest

from grader.checks.base import Check, Kind, Verdict
from grader.checks.compare import DEFAULT_RTOL
from grader.course.kinds import KINDS
from grader.pipeline import blas
from grader.pipeline.blas import blas_threads, one_blas_thread, set_blas_threads
from grader.pipeline.discover import Submission, content_hash
from grader.pipeline.engine import grade_many

if not blas_threads():
    pytest.skip("numpy's BLAS here is not an OpenBLAS this process can switch", allow_module_level=True)


@pytest.fixture
def many_threads():
    """OpenBLAS on two threads during the test (a one-core machine would start with one), as before after it."""
    before = blas_threads()
    set_blas_threads(2)
    yield
    for threads in set(before):
        set_blas_threads(threads)


def test_one_thread_inside_the_block_and_the_earlier_number_after(many_threads) -> None:
    with one_blas_thread():
        assert set(blas_threads()) == {1}
    assert set(blas_threads()) == {2}


def test_the_number_is_set_back_when_the_block_raises(many_threads) -> None:
    with pytest.raises(RuntimeError), one_blas_thread():
        raise RuntimeError("a grading error")
    assert set(blas_threads()) == {2}


def test_products_the_checks_compute_agree_on_one_thread(many_threads) -> None:
    rng = np.random.default_rng(0)
    # a held-out set through a 64-64 MLP's first layer, a batch through a wide layer, a matrix-vector product
    cases = [(rng.standard_normal((600, 64)), rng.standard_normal((64, 64)).T),
             (rng.standard_normal((256, 300)), rng.standard_normal((300, 200))),
             (rng.standard_normal((500, 400)), rng.standard_normal(400))]
    on_two = [a @ b for a, b in cases]
    with one_blas_thread():
        on_one = [a @ b for a, b in cases]
    # apart by a millionth of the tightest tolerance a check compares with (DEFAULT_RTOL), relative to the product
    assert all(np.abs(x - y).max() <= DEFAULT_RTOL * 1e-6 * np.abs(y).max()
               for x, y in zip(on_two, on_one, strict=True))


def test_checks_run_on_one_thread_while_grade_many_grades(many_threads, monkeypatch) -> None:
    seen: list[list[int]] = []

    def record(ctx, **params) -> Verdict:
        seen.append(blas_threads())
        return Verdict.ok()

    monkeypatch.setitem(KINDS, "test_blas_threads", Kind(record, "value", "a test's own kind"))
    checks = [Check("hw1.gd_step.public.threads", "test_blas_threads", 1.0, {})]

    @contextmanager
    def open_session(assignment, files):
        yield SimpleNamespace(banned=[], import_error=None, student_seconds=0.0)

    files = {"gradient_descent.py": b""}
    subs = [Submission(name, "hw1", files, content_hash(files), "2026-01-01T00:00:00+00:00", "")
            for name in ("amy", "ben", "cat")]
    graded = list(grade_many(subs, lambda key: checks, open_session, lambda *a: None, "", jobs=2, progress=False))

    assert [r.status for g in graded for r in g.results] == ["pass"] * 3
    assert seen and all(set(threads) == {1} for threads in seen)
    assert set(blas_threads()) == {2}  # grading over: as before


def test_a_process_that_has_not_loaded_numpy_starts_its_blas_on_one_thread() -> None:
    """``grader check`` asks before its imports; a process with numpy loaded keeps its environment."""
    script = (
        "import os, sys\n"
        "from grader.pipeline.blas import ENVIRONMENT, blas_threads, one_thread_from_the_start\n"
        "one_thread_from_the_start()\n"
        "print([os.environ.get(name) for name in ENVIRONMENT], set(blas_threads()) <= {1})\n"
    )
    environment = {k: v for k, v in os.environ.items() if k not in blas.ENVIRONMENT}
    fresh = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment,
                           check=True, timeout=60)
    assert fresh.stdout.strip() == "['1', '1', '1'] True"

    loaded = subprocess.run([sys.executable, "-c", "import numpy\n" + script], capture_output=True, text=True,
                            env=environment, check=True, timeout=60)
    assert loaded.stdout.strip().startswith("[None, None, None]")
