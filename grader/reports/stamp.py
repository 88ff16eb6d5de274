"""What the reports' caches are keyed by besides their data: the grader's code and the versions of the libraries
that compute the reports, so a kept part is reused only when this grader would make it the same."""

from __future__ import annotations

import hashlib
from functools import lru_cache


@lru_cache(maxsize=1)
def code_stamp() -> str:
    """The grader's code and the versions of the libraries computing the reports."""
    from importlib.metadata import version

    from grader.pipeline.suite_cache import GRADER_DIR
    from grader.pipeline.suite_cache import code_stamp as stamp

    libraries = " ".join(f"{name}={version(name)}" for name in ("copydetect", "numpy", "pandas"))
    return hashlib.sha256(f"{stamp([GRADER_DIR])} {libraries}".encode()).hexdigest()
