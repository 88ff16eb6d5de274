"""``from grader import check; check()`` in a real Jupyter kernel (nbclient): it checks the lab notebook as saved,
prints the same table as ``grader check``, and says when the kernel ran code the saved file does not hold."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from grader.authoring.samples import reference_submission
from grader.course.assignments import REPO_ROOT

pytestmark = pytest.mark.slow  # a kernel, a torch worker and the lab's checks: about half a minute a run

CHECK_CELL = "from grader import check\ncheck()"


@pytest.fixture
def folder():
    # outside /tmp: the sandbox gives its workers a private /tmp (the notebook itself is sent as data, but the
    # folder is kept beside the repository like every other grader run in these tests)
    (REPO_ROOT / "build").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jupyter-test-", dir=REPO_ROOT / "build") as path:
        yield Path(path)


def _saved_lab(folder: Path) -> nbformat.NotebookNode:
    data = reference_submission()["mlp_lab.ipynb"]
    (folder / "mlp_lab.ipynb").write_bytes(data)
    notebook = nbformat.reads(data.decode(), as_version=4)
    notebook.cells = [c for c in notebook.cells if "graded" in c.metadata.get("tags", [])]  # no training loops
    return notebook


def _run(notebook: nbformat.NotebookNode, folder: Path, **env: str) -> str:
    """Execute ``notebook`` in a fresh kernel whose working folder is ``folder``; the last cell's printed text."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        NotebookClient(notebook, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
    return "".join(out.get("text", "") for out in notebook.cells[-1].outputs if out.get("output_type") == "stream")


def test_check_in_the_notebook_prints_the_table_of_the_saved_file(folder):
    notebook = _saved_lab(folder)
    notebook.cells.append(nbformat.v4.new_code_cell(CHECK_CELL))

    text = _run(notebook, folder)

    assert f"Checking {folder / 'mlp_lab.ipynb'} as saved at" in text
    assert "lab  " in text and "14.5/14.5 points (100 %)" in text
    assert "build_mlp" in text and "total: 14.5/14.5 points (100 %)" in text
    assert "differ" not in text  # what the kernel ran is what is saved


def test_check_says_when_the_kernel_ran_code_the_saved_file_does_not_hold(folder, tmp_path):
    notebook = _saved_lab(folder)
    elsewhere = tmp_path / "kernel-cwd"  # the notebook found through Jupyter's name for it, not the folder
    elsewhere.mkdir()
    notebook.cells.append(nbformat.v4.new_code_cell("def predict(model, X):\n    return model(X).argmin(dim=1)\n"))
    notebook.cells.append(nbformat.v4.new_code_cell(CHECK_CELL))

    text = _run(notebook, elsewhere, JPY_SESSION_NAME=str(folder / "mlp_lab.ipynb"))

    assert "Note: the saved file's predict differs from what this kernel last ran" in text
    assert "14.5/14.5 points (100 %)" in text  # the saved file is what was checked

