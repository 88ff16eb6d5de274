"""The grader's processes keep freed memory for the next array (``grader.pipeline.heap``): a judge's arrays of a
few hundred kilobytes reuse memory instead of faulting in fresh pages each time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROUNDS = """
import resource, sys
import numpy as np
from grader.pipeline.heap import keep_freed_memory
if not keep_freed_memory():
    print("unsupported")
    sys.exit()
data = np.random.default_rng(0).normal(size=(1347, 64))  # a held-out set's size: 690 KB

def rounds():
    for _ in range(100):
        copy = data.copy()
        doubled = copy * 2.0
        del copy, doubled

rounds()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
rounds()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 100)
"""


def test_arrays_made_and_dropped_over_and_over_reuse_their_memory():
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", ROUNDS], env=env, capture_output=True, text=True, check=True).stdout
    if out.strip() == "unsupported":
        pytest.skip("this malloc has no mallopt (not glibc)")
    assert float(out) < 5  # fresh pages would be about 340 faults a round (two 690 KB arrays)
