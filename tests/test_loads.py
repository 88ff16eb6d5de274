"""What a graded session loads, as the grader reads it: imports are followed, and any way to reach a file by a
computed name makes every file count, so a hidden dependency never keeps a stale grade."""

from __future__ import annotations

import json

import pytest

from grader.pipeline.loads import loaded_files

HELPER = b"def relu(x):\n    return x * (x > 0)\n"
OTHERS = {"helper.py": HELPER, "gradient_descent.py": b"def gd_step(w, g, lr):\n    return w - lr * g\n"}


def loads(main_source: str, main: str = "backprop.py", others: dict[str, bytes] = OTHERS) -> set[str]:
    return set(loaded_files({main: main_source.encode(), **others}, main).digests)


def notebook(*cells: str, markdown: str = "") -> str:
    parts = [{"cell_type": "markdown", "metadata": {}, "source": [markdown]}] if markdown else []
    parts += [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
               "source": cell.splitlines(keepends=True)} for cell in cells]  # fmt: skip
    return json.dumps({"cells": parts, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


HIDDEN_DEPENDENCIES = {
    "importlib": "import importlib\nrelu = importlib.import_module('hel' + 'per').relu\n",
    "__import__": "relu = __import__('hel' + 'per').relu\n",
    "exec of its text": "exec(compile(open('helper.py').read(), 'x', 'exec'))\n",
    "numpy reads it": "import numpy as np\nW = np.loadtxt('helper.py', comments='#')\n",
    "numpy's loader imported by name": "from numpy import genfromtxt\nW = genfromtxt('helper.py')\n",
    "attribute by a computed name": "import numpy as np\nf = getattr(np, 'load' + 'txt')\n",
    "os": "import os\nTEXT = os.read(os.open('helper.py', 0), 100)\n",
    "interpreter internals": "F = ().__class__.__base__.__subclasses__()\n",
    "a private module": "import numpy as np\nF = np._core\n",
    "an annotation typing evaluates": (
        "import typing\ndef f(x: \"__import__('helper')\"): pass\nT = typing.get_type_hints(f)\n"
    ),
    "does not parse": "def relu(x:\n",
    "help imports by name": "help('hel' + 'per')\n",
}


@pytest.mark.parametrize("how", sorted(HIDDEN_DEPENDENCIES))
def test_a_file_reached_by_a_computed_name_makes_every_file_count(how: str) -> None:
    assert loads(HIDDEN_DEPENDENCIES[how]) == {"backprop.py", "helper.py", "gradient_descent.py"}


def test_only_the_files_imported_count() -> None:
    assert loads("import numpy as np\n\ndef f(x):\n    return np.exp(x)\n") == {"backprop.py"}
    assert loads("from helper import relu\n") == {"backprop.py", "helper.py"}
    assert loads("import helper as h\n") == {"backprop.py", "helper.py"}
    # followed file to file
    chain = {**OTHERS, "helper.py": b"from gradient_descent import gd_step\n"}
    assert loads("from helper import relu\n", others=chain) == {"backprop.py", "helper.py", "gradient_descent.py"}


def test_a_name_spelled_as_python_reads_it_is_seen() -> None:
    assert loads("import \uff48elper\n") == {"backprop.py", "helper.py"}  # fullwidth h: NFKC makes it helper
    # UTF-7 is plain ASCII on disk; Python decodes +AGg- as "h" before it reads any name.
    assert loads("# coding: utf-7\nimport +AGg-elper\n") == {"backprop.py", "helper.py"}


def test_data_files_count_and_docstrings_do_not() -> None:
    assert loads('"""Open the file, eval it, import os."""\n', others={**OTHERS, "w.npy": b"\x93NUMPY"}) == {
        "backprop.py", "w.npy"}  # fmt: skip


def test_a_notebook_counts_the_modules_its_import_lines_name() -> None:
    nb = notebook("import torch\nfrom helper import relu\n", "model.eval()\n", markdown="in practice, eval mode")
    assert loads(nb, main="mlp_lab.ipynb") == {"mlp_lab.ipynb", "helper.py"}
    quiet = notebook("import torch\n", markdown="the helper and gradient_descent, in eval mode")
    assert loads(quiet, main="mlp_lab.ipynb") == {"mlp_lab.ipynb"}
    continued = notebook("import torch, \\\n    helper\n")
    assert loads(continued, main="mlp_lab.ipynb") == {"mlp_lab.ipynb", "helper.py"}


def test_a_notebook_cannot_hide_a_name_behind_json_escapes() -> None:
    nb = notebook("from helper import relu\n").replace("helper", "\\u0068elper")
    assert "helper" not in nb
    assert loads(nb, main="mlp_lab.ipynb") == {"mlp_lab.ipynb", "helper.py"}
    astral = notebook("from helper import relu\n").replace("helper", "\\ud835\\udc21elper")  # bold h, NFKC h
    assert loads(astral, main="mlp_lab.ipynb") == {"mlp_lab.ipynb", "helper.py"}


@pytest.mark.parametrize("code", [
    "from torch.fx import graph_module as gm\ngm._exec_with_source('fr' + 'om helper im' + 'port relu', {})\n",
    "import torch\nf = torch . _C\n",
    "relu = eval('__imp' + 'ort__')('helper').relu\n",
    "import importlib\n",
    "f = eval\n",
    "import zipfile\n",
    "W = torch.load('helper.py')\n",
])  # fmt: skip
def test_a_notebook_that_may_load_by_name_counts_every_file(code: str) -> None:
    assert loads(notebook(code), main="mlp_lab.ipynb") == {"mlp_lab.ipynb", "helper.py", "gradient_descent.py"}


def test_the_reason_every_file_counts_is_given() -> None:
    found = loaded_files({"backprop.py": b"import os\n", "helper.py": HELPER}, "backprop.py")
    assert found.why_all == "backprop.py imports os" or "(os)" in found.why_all
    assert loaded_files({"backprop.py": b"X = 1\n", "helper.py": HELPER}, "backprop.py").why_all == ""


ODD_SOURCES = [
    "def f(x: 'np.ndarray', *a: int, k: \"list['os']\" = 1, **kw) -> 'str':\n    y: 'open' = 2\n    return x\n",
    "async def g():\n    async with a as (b, c):\n        [await d async for d in e]\n"
    "    return lambda p=1, /, q=2: p\n",
    "match v:\n    case {'k': [1, *rest]} | Point(x=0) if rest:\n        pass\n    case _:\n        f'{v!r:>{w}}'\n",
    "class C(B, metaclass=M):\n    @dec(1)\n    def m(self) -> None:\n        global G\n        del self.x[1:2, ...]\n",
    "try:\n    pass\nexcept (A, B) as e:\n    raise X from e\nfinally:\n    x = (yield)\n",
]


@pytest.mark.parametrize("source", ODD_SOURCES)
def test_the_tree_is_read_in_ast_walks_order(source):
    import ast

    from grader.pipeline.loads import _nodes

    tree = ast.parse(source)
    assert [id(n) for n in _nodes(tree)] == [id(n) for n in ast.walk(tree)]


def test_a_file_with_several_dynamic_words_is_reported_by_the_first_in_reading_order():
    from grader.pipeline.loads import _python_reading

    reading = _python_reading(b"def f(x: 'eval'):\n    return open(x)\nimport os\n")
    assert reading.why == "may load files by name (os)"  # the import, a top-level statement, comes first
    assert _python_reading(b"x = 'no code here'\ny = __import__\n").why == "may load files by name (__import__)"


def split_items(source: list[str]) -> str:
    """A one-cell notebook whose code is given as these list items, each on a JSON line of its own (as Jupyter
    saves with ``indent=1``): Python reads the items joined, whatever line of the file each is on."""
    cell = {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": source}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


@pytest.mark.parametrize("source", [
    ["from helper ", "import relu\n"],  # the module's name on a line of the file without "import"
    ["from hel", "per import relu\n"],  # the name itself split between two items
    ["relu = __imp", "ort__('helper').relu\n"],  # a way to load by name, split
    ["f = op", "en\n"],
])  # fmt: skip
def test_a_notebook_cannot_hide_a_name_by_splitting_a_line_between_source_items(source: list[str]) -> None:
    assert "helper.py" in loads(split_items(source), main="mlp_lab.ipynb")
    joined = notebook("".join(source))  # the same code, one item per line: read the same way
    assert loads(split_items(source), main="mlp_lab.ipynb") == loads(joined, main="mlp_lab.ipynb")


@pytest.mark.parametrize("data", [
    b'{"cells": ["' + b'\\"' * 20_000,  # a string never closed, full of escaped quotes
    b'{"cells": [{"source": ["' + b"a" * 1_000_000,
])  # fmt: skip
def test_a_string_left_open_is_read_to_the_end_once(data: bytes) -> None:
    """The grader reads a notebook's JSON as tokens, never parses it: a string never closed is one token running to
    the end (read once), not a search for its end from every quote in it."""
    from grader.pipeline import loads

    tokens = list(loads.json_tokens(data))
    assert tokens[-1].startswith(b'"') and sum(map(len, tokens)) == len(data) - data.count(b" ")
    assert loads._notebook_reading(data).why == ""


def test_json_nested_deeper_than_a_notebook_makes_every_file_count_without_holding_it() -> None:
    from grader.pipeline import loads

    reading = loads._notebook_reading(b"[" * 2_000_000)
    assert "nest" in reading.why and reading.words == frozenset()
    nb = notebook("from helper import relu\n").replace('"cells": [', '"cells": [' + "[" * 100, 1)
    assert loads_of(nb) == {"mlp_lab.ipynb", "helper.py", "gradient_descent.py"}


def loads_of(nb: str) -> set[str]:
    return loads(nb, main="mlp_lab.ipynb")


@pytest.mark.parametrize("filler", [
    "\ufdfa" * 1_000_000,  # one character NFKC turns into 18
    "import " + " ".join(f"w{i}" for i in range(300_000)),  # hundreds of thousands of distinct words on one line
])  # fmt: skip
def test_a_notebook_built_to_make_its_reading_costly_is_read_within_bounds(filler: str) -> None:
    """Reading a notebook in the grader's process is bounded: the reading kept is small, whatever the text holds
    (a notebook whose words are too many to follow makes every file count instead)."""
    from grader.pipeline.loads import MAX_WORDS, _notebook_reading

    nb = notebook("import torch\nfrom helper import relu\n", markdown=filler).encode()
    reading = _notebook_reading(nb)
    assert len(reading.words) <= MAX_WORDS
    assert sum(map(len, reading.words)) <= 64 * MAX_WORDS
    found = loads(nb.decode(), main="mlp_lab.ipynb")
    assert "helper.py" in found
