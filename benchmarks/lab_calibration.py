"""Held-out accuracy of the reference ``train`` under the lab's accuracy checks' own protocol, over many generators.

    python benchmarks/lab_calibration.py public|hidden [--runs 1000] [--out FILE.json]

Each run gives the check ``train.<suite>.spirals`` the generator ``np.random.default_rng([7919, i])`` and runs the
check's own ``trained_accuracy`` (data, split, the grader's initial weights and the seeds drawn as when grading)
with the reference in place of a student, in this process. It prints the mean, standard deviation, 1 % quantile
and worst accuracy, from which the suites' thresholds are set (worst minus 0.03).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core, as a grading worker has; set before numpy loads BLAS

import numpy as np  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", choices=["public", "hidden"])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--out", type=Path, help="also write every run's accuracy to this JSON file")
    args = parser.parse_args()

    import torch

    from grader.checks.base import Context
    from grader.checks.references import LiveReferences
    from grader.course.lab.kinds.training import trained_accuracy
    from grader.release.recording import ReferenceWorker

    torch.set_num_threads(1)
    suite = importlib.import_module(f"grader.suites.{args.suite}.lab")
    check = next(c for c in suite.CHECKS if c.id == f"lab.train.{args.suite}.spirals")
    live = LiveReferences()
    accuracies, start = [], time.perf_counter()
    for i in range(args.runs):
        ctx = Context(check, np.random.default_rng([7919, i]), ReferenceWorker("lab", live), live)
        acc = trained_accuracy(ctx, suite.SPIRALS, suite.HIDDEN, suite.TRAIN_KWARGS)
        if not isinstance(acc, float):
            raise SystemExit(f"run {i}: the reference got no accuracy: {acc}")
        accuracies.append(acc)
    acc = np.array(accuracies)
    print(f"{check.id}: {args.runs} runs in {time.perf_counter() - start:.0f} s; mean {acc.mean():.3f}, "
          f"sd {acc.std(ddof=1):.3f}, 1 % quantile {np.quantile(acc, 0.01):.3f}, worst {acc.min():.3f} "
          f"(runs below 0.9: {int(np.sum(acc < 0.9))})")
    if args.out:
        args.out.write_text(json.dumps({"check": check.id, "accuracies": accuracies}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
