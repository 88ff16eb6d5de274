"""What a warm worker loads once so that each child costs a fork, not an interpreter start-up."""

from __future__ import annotations

import fnmatch
import os
import shutil
import warnings
from typing import Any

# Where the sandbox shows this machine's matplotlib font lists, read-only (grader.sandbox.fonts): copied into the
# worker's MPLCONFIGDIR before matplotlib's import, which then reads one instead of building it (about 0.2 s).
FONT_LISTS_DIR = "/etc/matplotlib-fonts"
FONT_LIST_NAMES = "fontlist-v*.json"  # what matplotlib names its font lists (one per version of the format)


def preload(kind: str) -> tuple[dict, dict]:
    """Import what every child needs, so a child costs a fork, not an interpreter start-up."""
    import numpy  # noqa: F401
    import numpy.linalg  # noqa: F401

    if kind == "torch":
        import torch

        from grader.worker.lazy_dynamo import install

        install()  # torch's compiler is imported when a child uses it, not by every optimizer (2 s of CPU)
        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
        import torch.nn  # noqa: F401
        import torch.nn.functional  # noqa: F401
        import torch.optim  # noqa: F401
        import torch.optim.lr_scheduler  # noqa: F401
        import torch.utils.data  # noqa: F401

        _warm_up_torch(torch)
        from grader.worker.lab_procedures import keep_own_functions

        keep_own_functions()  # before any notebook could replace them
        # matplotlib (about 0.4 s) only once a hand-in's source imports it: load_plotting
    import grader.data  # noqa: F401
    import grader.worker.child  # noqa: F401
    from grader.protocol.builtins import BUILTINS
    from grader.worker.procedures import PROCEDURES

    return BUILTINS, PROCEDURES


def load_plotting() -> bool:
    """``matplotlib.pyplot`` on the Agg backend, imported by a torch worker (between children) once a hand-in's
    source imports matplotlib, so that the children forked after it find it loaded; False if it cannot be."""
    try:
        copy_font_lists()
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
    except Exception:  # noqa: BLE001 - notebooks that plot only lose the preload
        return False
    return True


def copy_font_lists(source: str = FONT_LISTS_DIR) -> None:
    """The font lists the sandbox shows, copied into ``MPLCONFIGDIR`` (by the worker, between children, just before
    it imports matplotlib; the next child's end wipes them with the rest of the scratch area, once matplotlib has
    read them)."""
    target = os.environ.get("MPLCONFIGDIR")
    if not target or not os.path.isdir(source):
        return
    os.makedirs(target, exist_ok=True)
    for name in os.listdir(source):
        if fnmatch.fnmatchcase(name, FONT_LIST_NAMES):
            shutil.copyfile(os.path.join(source, name), os.path.join(target, name))


def _warm_up_torch(torch: Any) -> None:
    """One tiny training step with each common optimizer and a schedule: what their first use loads and sets up,
    every child would otherwise pay again. Single-threaded, so forking afterwards is safe."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Dropout(0.1),
                                    torch.nn.Linear(4, 3))
        for optimizer in (torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4),
                          torch.optim.Adam(model.parameters(), lr=1e-3)):
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)
            loss = torch.nn.functional.cross_entropy(model(torch.randn(5, 2)), torch.zeros(5, dtype=torch.long))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        with torch.no_grad():
            model.eval()
            model(torch.randn(5, 2)).argmax(dim=1).numpy()
