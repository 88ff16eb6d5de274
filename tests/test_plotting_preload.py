"""A torch worker loads matplotlib only once a hand-in's graded source imports it (``Zygote.load_plotting``): the
child that found the import, before any student code ran, is ended, and that hand-in and every later one are
served by children forked with matplotlib loaded."""

from __future__ import annotations

import importlib.util

import nbformat
import numpy as np
import pytest

from grader.sandbox import WorkerPool
from grader.worker.child import prepare

needs_matplotlib = pytest.mark.skipif(not all(map(importlib.util.find_spec, ("torch", "matplotlib"))),
                                      reason="the lab extra (torch, matplotlib) is not installed")

# A class body runs at import: it records whether pyplot was loaded before the notebook's own imports (without
# naming matplotlib: a source that names it, even in a string, may import it).
SEEN = ("import sys\n\n\nclass Seen:\n    before = any(m.endswith('.pyplot') for m in sys.modules)\n\n\n"
        "def seen():\n    return Seen.before\n")
PLOTS = "import matplotlib.pyplot as plt\n"


def notebook(graded: str, ungraded: str = "") -> dict[str, bytes]:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(ungraded), nbformat.v4.new_code_cell(graded, metadata={"tags": ["graded"]})]
    return {"mlp_lab.ipynb": nbformat.writes(nb).encode()}


def seen(pool: WorkerPool, files: dict[str, bytes]) -> bool:
    with pool.session("lab", files) as worker:
        outcome = worker.call("seen", (), {}, timeout=30)
    assert outcome.__class__.__name__ == "Returned", outcome
    return bool(outcome.value)


@pytest.mark.slow
@needs_matplotlib
def test_a_torch_worker_loads_matplotlib_once_a_graded_cell_imports_it():
    with WorkerPool(kind="torch", slots=1) as pool:
        assert seen(pool, notebook(SEEN)) is False  # not at the start
        assert seen(pool, notebook(SEEN, ungraded=PLOTS)) is False  # an ungraded cell does not run
        (worker,) = pool._workers.values()
        assert worker.plotting is None
        assert seen(pool, notebook(PLOTS + SEEN)) is True  # loaded before this hand-in's own code ran
        assert worker.plotting is True
        assert seen(pool, notebook(SEEN)) is True  # and for every child after


@pytest.mark.slow
@needs_matplotlib
def test_the_worker_is_asked_once(monkeypatch):
    from grader.sandbox.process import WorkerProcess

    asked = []
    load = WorkerProcess.load_plotting
    monkeypatch.setattr(WorkerProcess, "load_plotting", lambda self: asked.append(1) or load(self))
    with WorkerPool(kind="torch", slots=1) as pool:
        assert [seen(pool, notebook(PLOTS + SEEN)) for _ in range(3)] == [True] * 3
    assert asked == [1]


@pytest.mark.parametrize(("source", "plots"), [
    (PLOTS, True),
    ("def f():\n    from matplotlib import pyplot\n", True),  # inside a function: when it is called
    ("import importlib\nplt = importlib.import_module('matplotlib.pyplot')\n", True),
    ("import numpy as np\n", False),
    ("x = 'a matplotlib-free plot'\n", False),
])
def test_the_child_reports_a_source_that_may_import_matplotlib_before_running_it(tmp_path, source, plots):
    setup = {"files": {"h.py": np.frombuffer(source.encode(), dtype=np.uint8)}, "module": "h", "notebook": None}
    assert prepare(str(tmp_path), setup, [], plotting=True)[0]["plots"] is plots
    assert prepare(str(tmp_path), setup, [], plotting=False)[0]["plots"] is False  # a numpy worker's: never asked
