"""The numpy-only rule: static detection of torch, jax and tensorflow imports."""

from __future__ import annotations

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
