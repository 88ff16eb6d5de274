"""Notebook to module source: tagged cells, the untagged fallback, IPython syntax, broken files."""

from __future__ import annotations

import nbformat
import pytest

from grader.worker.notebook import NotebookError, notebook_to_source, strip_ipython


def make_notebook(*cells: str | tuple[str, list[str]]) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# The lab")]
    for cell in cells:
        source, tags = cell if isinstance(cell, tuple) else (cell, [])
        nb.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": tags}))
    return nbformat.writes(nb)


def namespace(source: str) -> dict:
    """Run the extracted module (our own test text, not student code) and return its globals."""
    ns: dict = {}
    exec(compile(source, "mlp_lab.py", "exec"), ns)
    return ns


def test_only_tagged_cells_are_taken_when_any_cell_is_tagged():
    text = make_notebook(("def f():\n    return 1", ["graded"]), "def g():\n    return 2", ("h = 3", ["graded", "x"]))
    result = notebook_to_source(text)
    ns = namespace(result.source)
    assert result.tagged
    assert ns["f"]() == 1 and ns["h"] == 3 and "g" not in ns


def test_untagged_notebooks_keep_definitions_and_drop_exploration():
    text = make_notebook(
        "import math\nimport not_a_real_module\nN = 3\nSCALE = math.pi\n",
        "def f(x):\n    return x * N\n\nfor i in range(10**12):\n    pass\nresult = f(2)",
        "while True:\n    pass",
        "raise RuntimeError('an exploratory cell that fails')",
        "@staticmethod\ndef g():\n    return 'decorated'\nclass Model:\n    size = N",
        "def broken(:\n    pass",
    )
    ns = namespace(notebook_to_source(text).source)
    assert ns["f"](2) == 6 and ns["SCALE"] > 3 and ns["Model"].size == 3
    assert "result" not in ns and "broken" not in ns and "g" in ns


@pytest.mark.parametrize(
    "cell, kept, dropped",
    [
        ("%matplotlib inline\nimport math", "import math", "%matplotlib"),
        ("!pip install torch\nx = 1", "x = 1", "pip"),
        ("files = !ls\ny = 2", "y = 2", "!ls"),
        ("get_ipython().run_line_magic('time', '')\nz = 3", "z = 3", "get_ipython"),
        ("%%time\nw = 4", "w = 4", "%%time"),
    ],
)
def test_ipython_syntax_is_stripped(cell, kept, dropped):
    out = strip_ipython(cell)
    assert kept in out and dropped not in out
    assert len(out.splitlines()) == len(cell.splitlines())  # line numbers still match the cell


def test_cell_magics_with_foreign_bodies_drop_the_cell():
    assert strip_ipython("%%bash\nrm -rf /") == ""


def test_graded_cells_keep_magic_free_code_and_a_map_to_cell_numbers():
    text = make_notebook("x = 0", ("%matplotlib inline\ndef f():\n    return 1 / 0", ["graded"]))
    result = notebook_to_source(text)
    assert "%matplotlib" not in result.source
    line = result.source.splitlines().index("    return 1 / 0") + 1
    assert result.cell(line) == 3  # markdown is cell 1, "x = 0" cell 2
    assert result.cell(10_000) is None and result.where(line) == "cell 3, line 3"


@pytest.mark.parametrize("data", [b"{not json", b"", b"[1, 2]", b'{"cells": 5}', b"\xff\xfe\x00garbage"])
def test_unreadable_notebooks_raise_a_clear_error(data):
    with pytest.raises(NotebookError, match="re-save it from Jupyter"):
        notebook_to_source(data)
