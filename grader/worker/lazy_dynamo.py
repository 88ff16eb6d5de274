"""``torch._dynamo`` loaded only when something uses it, not at every optimizer's first step.

torch's optimizers import ``torch._dynamo`` (torch's compiler: about 2 s of CPU here, as much as ``import torch``)
for two things that do nothing outside ``torch.compile``: ``graph_break()``, a function with an empty body, called
around every ``step``; and ``disable(fn)``, on the first call of each function decorated ``torch._disable_dynamo``
(``add_param_group``, ``zero_grad``...), a wrapper that only matters while the compiler traces. ``install()`` puts a
stand-in in its place that serves these two and loads the real module at the first use of anything else
(``torch.compile``, ``torch._dynamo.config``, ``import torch._dynamo.<submodule>``); from then on every name
resolves to the real module, and a wrapper the stand-in's ``disable`` made calls through the real ``disable``.

So a worker that preloads torch does not pay for the compiler at its start (nor does a child, unless its code
compiles), and a student's training computes exactly what it computes with the real module
(``tests/test_lazy_dynamo.py``).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import os
import sys
import types
from collections.abc import Callable, Sequence
from typing import Any

NAME = "torch._dynamo"


def _real() -> types.ModuleType | None:
    """The real ``torch._dynamo`` if it is loaded (or loading), else None."""
    module = sys.modules.get(NAME)
    return None if module is None or isinstance(module, LazyDynamo) else module


class LazyDynamo(types.ModuleType):
    """Stands for ``torch._dynamo`` until a name other than ``graph_break`` and ``disable`` is asked of it."""

    @staticmethod
    def graph_break(msg: str = "") -> None:
        """Nothing, as the real one outside ``torch.compile``."""
        real = _real()
        if real is not None:
            real.graph_break(msg)

    @staticmethod
    def disable(fn: Callable | None = None, recursive: bool = True, *, reason: str | None = None,
                wrapping: bool = True) -> Any:
        """``fn`` called as it is while the compiler is not loaded; through the real ``disable`` once it is."""
        if fn is None:
            return lambda f: LazyDynamo.disable(f, recursive, reason=reason, wrapping=wrapping)
        through_real: Callable | None = None

        def call(*args: Any, **kwargs: Any) -> Any:
            nonlocal through_real
            real = _real()
            if real is None:
                return fn(*args, **kwargs)
            if through_real is None:
                through_real = real.disable(fn, recursive, reason=reason, wrapping=wrapping)
            return through_real(*args, **kwargs)

        return call

    def __getattr__(self, name: str) -> Any:
        return getattr(load(), name)


def load() -> types.ModuleType:
    """The real ``torch._dynamo``, imported now if it is not yet (the stand-in, if any, leaves ``sys.modules``)."""
    real = _real()
    if real is not None:
        return real
    stand_in = sys.modules.pop(NAME, None)
    torch = sys.modules["torch"]
    if stand_in is not None and torch.__dict__.get("_dynamo") is stand_in:
        del torch._dynamo
    return importlib.import_module(NAME)  # binds itself in sys.modules and as torch._dynamo


class _Existing(importlib.abc.Loader):
    """Loads a module that is already in ``sys.modules`` as itself (the real package imported it on loading)."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return sys.modules[spec.name]

    def exec_module(self, module: types.ModuleType) -> None:
        pass


class _SubmodulesLoadTheReal(importlib.abc.MetaPathFinder):
    """``import torch._dynamo.<submodule>`` while the stand-in is in place: the real package is loaded first, as
    Python loads a package before its submodules (its own ``__init__`` may import that submodule already)."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(NAME + ".") or _real() is not None:
            return None
        load()
        if fullname in sys.modules:
            return importlib.machinery.ModuleSpec(fullname, _Existing())
        return None  # the usual finders find it, in the real package's folder


def install() -> bool:
    """Put the stand-in in place of ``torch._dynamo`` (torch imported, the compiler not yet); whether it was."""
    torch = sys.modules.get("torch")
    if torch is None or NAME in sys.modules:
        return False
    stand_in = LazyDynamo(NAME, "Stands for torch._dynamo until it is used (grader.worker.lazy_dynamo).")
    stand_in.__path__ = [os.path.join(folder, "_dynamo") for folder in torch.__path__]  # where its submodules are
    sys.modules[NAME] = stand_in
    torch._dynamo = stand_in  # type: ignore[attr-defined]
    sys.meta_path.insert(0, _SubmodulesLoadTheReal())
    return True
