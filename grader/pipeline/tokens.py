"""Tokenise student sources for the similarity report in a process of their own, under limits.

Pygments reads the text (nothing is imported, evaluated or run), but it still works through text a student
wrote, so it never does so in the grader's process: ``normalise_many`` hands a batch of texts to
``python -m grader.pipeline.tokens`` with an address-space limit, a CPU-time limit and a wall-clock timeout.
A batch that fails (a pathological text, a killed process) yields None for every text in it, and those
hand-ins are simply left out of the similarity report.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import numpy as np

MEMORY_BYTES = 2 << 30
CPU_SECONDS_BASE, CPU_SECONDS_PER_TEXT = 20, 2
BATCH = 200


def _limits(cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))


def normalise_many(texts: list[str]) -> list[tuple[str, np.ndarray] | None]:
    """copydetect's filtered token stream and (n, 2) int64 offsets of each text; None where it failed."""
    found: list[tuple[str, np.ndarray] | None] = []
    for start in range(0, len(texts), BATCH):
        found += _batch(texts[start : start + BATCH])
    return found


def _batch(texts: list[str]) -> list[tuple[str, np.ndarray] | None]:
    cpu = CPU_SECONDS_BASE + CPU_SECONDS_PER_TEXT * len(texts)
    try:
        done = subprocess.run([sys.executable, "-I", "-m", "grader.pipeline.tokens"], input=json.dumps(texts),
                              capture_output=True, text=True, timeout=2 * cpu,
                              preexec_fn=lambda: _limits(cpu))  # noqa: PLW1509 - a fresh process, no threads yet
        results = json.loads(done.stdout) if done.returncode == 0 else None
    except (subprocess.TimeoutExpired, ValueError, OSError):
        results = None
    if not isinstance(results, list) or len(results) != len(texts):
        return [None] * len(texts)
    out: list[tuple[str, np.ndarray] | None] = []
    for item in results:
        if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str):
            out.append((item[0], np.asarray(item[1], dtype=np.int64).reshape(-1, 2)))
        else:
            out.append(None)
    return out


def _main() -> None:
    from copydetect.utils import filter_code

    results: list[list | None] = []
    for text in json.loads(sys.stdin.read()):
        try:
            filtered, offsets = filter_code(text, "hand_in.py", language="python")
            results.append([filtered, np.asarray(offsets, dtype=np.int64).reshape(-1).tolist()])
        except Exception:  # noqa: BLE001 - one text that cannot be read costs that text only
            results.append(None)
    sys.stdout.write(json.dumps(results))


if __name__ == "__main__":
    _main()
