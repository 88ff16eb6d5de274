"""The instructor flags that graded rows carry, for tests: ``["uses torch in hw1"]``, each once, sorted."""

from __future__ import annotations

from collections.abc import Iterable

from grader.pipeline.integrity import FLAG_PREFIX
from grader.pipeline.results import CheckResult


def flags(results: Iterable[CheckResult]) -> list[str]:
    return sorted({r.mistake[len(FLAG_PREFIX) :] for r in results if r.mistake.startswith(FLAG_PREFIX)})
