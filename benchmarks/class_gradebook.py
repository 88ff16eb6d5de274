"""A gradebook for a large class without grading it: for timing the reports.

``copy_class(source_out, out, students)`` takes a graded gradebook (``grader grade``'s) and writes one of
``students`` students: each new student gets the rows of a graded student of the source, in turn, and a
hand-in text of its own for the similarity report: functions with random arithmetic, so that pairs score as
independent work does (near 0), except every tenth student, who hands in the previous student's code with
the names changed (a copy the report must flag). Texts are tokenised as grading does, in this process (they
are the benchmark's own, not a student's).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from grader.pipeline.gradebook import FILENAME, Gradebook
from grader.pipeline.loads import digest
from grader.reports.similarity import _normalise_trusted

OPS = ("+", "-", "*", "@")


def random_module(rng: np.random.Generator, functions: int = 14) -> str:
    """Python source of ``functions`` functions of a few random numpy statements each."""
    lines = ["import numpy as np", ""]
    for f in range(functions):
        args = [f"a{k}" for k in range(int(rng.integers(1, 4)))]
        lines.append(f"def f{f}({', '.join(args)}):")
        names = list(args)
        for s in range(int(rng.integers(2, 7))):
            left, right = rng.choice(names), rng.choice(names)
            call = rng.choice(["np.exp", "np.tanh", "np.maximum", "np.sum", "np.sqrt", ""])
            expression = f"{left} {rng.choice(OPS)} {right}"
            if call == "np.maximum":
                expression = f"np.maximum({expression}, {int(rng.integers(0, 9))})"
            elif call:
                expression = f"{call}({expression})"
            # a constant of its own in every statement: independent work shares structure, not constants
            if rng.random() < 0.3:
                lines.append(f"    for i in range({int(rng.integers(2, 200))}):")
                lines.append(f"        v{s} = {expression} / (i + {float(rng.uniform(1, 9)):.4f})")
            else:
                lines.append(f"    v{s} = {expression} * {float(rng.normal()):.4f}")
            names.append(f"v{s}")
        lines += [f"    return {names[-1]}", ""]
    return "\n".join(lines)


def copy_class(source_out: Path, out: Path, students: int, seed: int = 0) -> None:
    """Write ``out/gradebook.sqlite`` for ``students`` students from the graded ``source_out``."""
    rng = np.random.default_rng(seed)
    with Gradebook(out):  # the current schema
        pass
    with sqlite3.connect(source_out / FILENAME) as source:
        graded = [row[0] for row in source.execute("SELECT DISTINCT student FROM submissions ORDER BY student")]
        submissions = source.execute("SELECT * FROM submissions").fetchall()
        results = source.execute("SELECT * FROM results").fetchall()
        runs = source.execute("SELECT * FROM runs").fetchall()
    names = [f"s{i:04d}" for i in range(students)]
    template = {name: graded[i % len(graded)] for i, name in enumerate(names)}
    texts: dict[tuple[str, str], str] = {}
    for assignment in ("hw1", "hw2", "hw3"):
        for i, name in enumerate(names):
            if i % 10 == 9:  # a renamed copy of the previous student's hand-in
                texts[(name, assignment)] = texts[(names[i - 1], assignment)].replace("a0", "x").replace("v1", "y")
            else:
                texts[(name, assignment)] = random_module(rng)
    tokens = {key: _normalise_trusted(text) for key, text in texts.items()}
    with sqlite3.connect(out / FILENAME) as db:
        db.executemany(f"INSERT INTO runs VALUES ({','.join('?' * len(runs[0]))})", runs)
        for name in names:
            mine = template[name]
            db.executemany(
                f"INSERT INTO submissions VALUES ({','.join('?' * len(submissions[0]))})",
                [(name, *row[1:]) for row in submissions if row[0] == mine],
            )
            db.executemany(
                f"INSERT INTO results VALUES ({','.join('?' * len(results[0]))})",
                [(name, *row[1:]) for row in results if row[0] == mine],
            )
        rows = []
        for (name, assignment), text in texts.items():
            hashed = db.execute("SELECT content_hash FROM submissions WHERE student = ? AND assignment = ?",
                                (name, assignment)).fetchone()  # fmt: skip
            found = tokens[(name, assignment)]
            if hashed is None:
                continue
            # its own content hash, so the similarity cache sees a hand-in of its own
            own = digest(text.encode())
            db.execute("UPDATE submissions SET content_hash = ? WHERE student = ? AND assignment = ?",
                       (own, name, assignment))  # fmt: skip
            rows.append((name, assignment, own, text, found[0], found[1].tobytes()))
        db.executemany("INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?)", rows)
