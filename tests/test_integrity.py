"""The numpy-only rule: static detection of torch, jax and tensorflow imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.pipeline.integrity import BANNED
from grader.worker.scan import banned_imports


@pytest.mark.parametrize(
    "source",
    [
        "import torch\n",
        "import numpy as np\nfrom torch import nn\n",
        "import tensorflow.keras as k\n",
        "def f():\n    import jax.numpy as jnp\n",
        "t = __import__('torch')\n",
        "import importlib\nt = importlib.import_module('torch.nn')\n",
    ],
)
def test_finds_banned_imports(source: str) -> None:
    assert banned_imports({"backprop.py": source.encode()}, "backprop.py", BANNED)


@pytest.mark.parametrize(
    "source",
    [
        "import numpy as np\n",
        '"""Do not use torch here."""\n# import torch\nx = "torch"\n',
        "from .torch import x\n",
        "def broken(:\n",
        "x = " + "-" * 200_000 + "1\n",  # within the source cap, but too deep for the parser
        "x = y" + ".a" * 100_000 + "\n",
    ],
)
def test_leaves_numpy_code_alone(source: str) -> None:
    assert banned_imports({"backprop.py": source.encode()}, "backprop.py", BANNED) == []


def test_follows_the_students_own_modules() -> None:
    files = {
        "backprop.py": b"from helpers import f\n",
        "helpers.py": b"import numpy\nimport torch\n",
        "unused.py": b"import jax\n",
    }
    assert banned_imports(files, "backprop.py", BANNED) == ["helpers.py line 2: torch"]


TRICKY = [
    "if False:\n    import torch\n", "while 0:\n    import jax\n", "if not __debug__:\n    import torch\n",
    "def f():\n    return\n    import torch\n", "x = 1 if 0 else __import__('torch')\n",
    "t = __import__('to' 'rch')\n", "t = __import__('\\x74orch.nn')\n", "import ｔｏｒｃｈ\n",
    "class A:\n    def f(self):\n        return [__import__('jax') for _ in ()]\n",
    "lam = lambda: importlib.import_module('tensorflow.keras')\n", '"""Unlike torch.nn.Linear, W is (out, in)."""\n',
    "def f():\n    await x\n", "x = (\n", "import helpers\n", "from helpers import g\n",
]


@pytest.mark.parametrize("source", TRICKY)
def test_the_quick_scan_finds_what_the_full_scan_finds(source):
    files = {"backprop.py": source.encode(), "helpers.py": b"import torch\n"}
    assert banned_imports(files, "backprop.py", BANNED) == banned_imports(files, "backprop.py", BANNED, quick=False)


def test_the_quick_scan_agrees_on_every_source_of_the_repository():
    root = Path(__file__).resolve().parent.parent
    sources = [p for folder in ("assignments", "reference", "tests", "grader", "submissions")
               for p in sorted((root / folder).rglob("*.py"))]
    assert len(sources) > 200
    for path in sources:
        files = {"backprop.py": path.read_bytes()}
        quick = banned_imports(files, "backprop.py", BANNED)
        assert quick == banned_imports(files, "backprop.py", BANNED, quick=False), path
