"""Calibrate the similarity flag: scores of independent correct solutions against disguised copies.

Independent: the hw1 and hw2 solutions under tests/data/similarity/ (written in different styles: loops,
einsum, matmul, masks, vectorised) and the reference, every pair. Disguised: each of them copied and hidden
the ways a student hides a copy: every local name renamed, the functions shuffled, the layout rewritten
(parsed and unparsed, so every line is re-wrapped and every comment dropped) and new comments added, 12 to 15
copies per original with different seeds. Prints both distributions, the size of the shared code, and the
gap a threshold must fall into; ``FLAG_THRESHOLD`` in grader/reports/similarity.py cites this output.
Also times the comparison of a class of 300 hand-ins.

    .venv/bin/python benchmarks/similarity_calibration.py
"""

from __future__ import annotations

import ast
import builtins
import itertools
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.authoring.samples import reference_submission  # noqa: E402
from grader.course.assignments import ASSIGNMENTS  # noqa: E402
from grader.reports import similarity  # noqa: E402

DATA = ROOT / "tests" / "data" / "similarity"
FILES = {"hw1": "gradient_descent.py", "hw2": "backprop.py"}
COPIES = {"hw1": 15, "hw2": 12}
KEEP = set(dir(builtins)) | {"np", "numpy", "self"}


class Rename(ast.NodeTransformer):
    """Every name a student chose (variables, arguments, helpers) to another; graded names and numpy stay."""

    def __init__(self, targets: tuple[str, ...], rng: random.Random) -> None:
        self.targets, self.rng, self.names = set(targets), rng, {}

    def new(self, name: str) -> str:
        if name in KEEP or name in self.targets:
            return name
        if name not in self.names:
            letters = "".join(self.rng.choice("abcdefghkmnpqrstuvwxyz") for _ in range(6))
            self.names[name] = f"{letters}_{len(self.names)}"
        return self.names[name]

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.new(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self.new(node.arg)
        node.annotation = None
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        node.name = self.new(node.name)
        node.returns = None
        if ast.get_docstring(node):
            node.body = node.body[1:] or [ast.Pass()]
        self.generic_visit(node)
        return node


def disguise(text: str, assignment: str, seed: int) -> str:
    """A copy of ``text`` with names, function order, layout and comments changed."""
    rng = random.Random(seed)
    tree = Rename(ASSIGNMENTS[assignment].targets, rng).visit(ast.parse(text))
    head = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    docstring = [n for n in tree.body[:1] if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)]
    rest = [n for n in tree.body if n not in head and n not in docstring]
    rng.shuffle(rest)
    tree.body = head + rest
    lines = ast.unparse(ast.fix_missing_locations(tree)).splitlines()
    out = []
    for line in lines:
        if line.startswith("def ") and rng.random() < 0.7:
            out.append(f"# my version of this part ({rng.randint(1, 99)})")
        out.append(line)
    return "\n".join(out) + "\n"


def solutions(assignment: str) -> dict[str, str]:
    texts = {p.stem: p.read_text() for p in sorted((DATA / assignment).glob("*.py")) if "copy" not in p.stem}
    texts["reference"] = reference_submission()[FILES[assignment]].decode()
    return texts


def score(assignment: str, a: str, b: str) -> tuple[float, int]:
    plate = similarity.boilerplate(assignment)
    fa, fb = similarity.fingerprint(a, plate), similarity.fingerprint(b, plate)
    match = similarity.compare(fa, fb)
    shared = similarity.shared_matrix([fa, fb])
    return match.score, int(max(shared[0, 1], shared[1, 0]))


def describe(name: str, values: list[float]) -> str:
    q = np.quantile(values, [0, 0.5, 1])
    return f"{name:>34}: n={len(values):3d}  min {q[0]:.3f}  median {q[1]:.3f}  max {q[2]:.3f}"


def main() -> None:
    worst_independent, best_copy = 0.0, 1.0
    for assignment in FILES:
        texts = solutions(assignment)
        independent = [score(assignment, texts[a], texts[b]) for a, b in itertools.combinations(texts, 2)]
        copies = [
            score(assignment, text, disguise(text, assignment, seed))
            for name, text in texts.items()
            for seed in range(COPIES[assignment])
        ]
        print(f"{assignment} ({len(texts)} independent solutions: {', '.join(texts)})")
        print(describe("independent pairs, score", [s for s, _ in independent]))
        print(describe("disguised copies, score", [s for s, _ in copies]))
        print(describe("disguised copies, shared characters", [n for _, n in copies]))
        worst_independent = max(worst_independent, max(s for s, _ in independent))
        best_copy = min(best_copy, min(s for s, _ in copies))
    print(f"\ngap: independent pairs score at most {worst_independent:.3f}, disguised copies at least {best_copy:.3f}")
    print(f"FLAG_THRESHOLD = {similarity.FLAG_THRESHOLD} (MIN_SHARED = {similarity.MIN_SHARED}): inside the gap, "
          f"{similarity.FLAG_THRESHOLD - worst_independent:.2f} above the highest independent pair and "
          f"{best_copy - similarity.FLAG_THRESHOLD:.2f} below the lowest copy")

    texts = list(solutions("hw2").values())
    plate = similarity.boilerplate("hw2")
    started = time.perf_counter()
    prints = [similarity.fingerprint(disguise(texts[i % len(texts)], "hw2", i), plate) for i in range(300)]
    fingerprinted = time.perf_counter()
    similarity.shared_matrix(prints)
    done = time.perf_counter()
    print(f"\na class of 300 hw2 hand-ins: tokenising and fingerprinting {fingerprinted - started:.1f} s "
          f"(done once per hand-in at grading time, the token stream kept in the gradebook), "
          f"comparing all {300 * 299 // 2} pairs {done - fingerprinted:.1f} s")


if __name__ == "__main__":
    main()
