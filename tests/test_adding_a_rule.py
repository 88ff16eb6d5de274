"""docs/adding-a-rule.md, followed to the letter in a copy of the repository: every "Append to `path`:" block is
appended to its file, in order; then ``grader validate`` must pass there, the new rule's checks must be listed,
each new mutant must lose points on the new rule only with its mistake named, and no more than six files may
have changed.

The copy sits under the repository's build/ folder, not /tmp (sandboxed workers get a private /tmp), and runs
with this venv, the copy first on PYTHONPATH: the sandbox finds the grader package through ``grader.__file__``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader.course.assignments import REPO_ROOT

GUIDE = REPO_ROOT / "docs" / "adding-a-rule.md"
STEP = re.compile(r"^Append to `([^`]+)`:\n\n```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
COPIED = ("grader", "reference", "assignments", "tests/data/mutants/hw2", "tests/inprocess_worker.py", "course.toml",
          "pyproject.toml")
MAX_FILES = 6
GRADE_MUTANTS = """
import json, sys
from pathlib import Path
from inprocess_worker import InProcessWorker
from grader.checks.references import LiveReferences
from grader.course.assignments import get_assignment
from grader.suites import load_checks
from grader.suites.runner import run_suite

checks, targets = load_checks("hw2", include_hidden=True), get_assignment("hw2").targets
found = {}
for path in sys.argv[1:]:
    verdicts = run_suite(checks, InProcessWorker(Path(path)), LiveReferences(), "a-secret", targets)
    failing = [(c, v) for c, (v, _) in zip(checks, verdicts) if v.fraction < 1]
    found[Path(path).stem] = {"targets": sorted({c.target for c, _ in failing}),
                              "mistakes": sorted({v.mistake for _, v in failing}),
                              "messages": [v.message for _, v in failing]}
print(json.dumps(found))
"""


def steps() -> list[tuple[str, str]]:
    return STEP.findall(GUIDE.read_text(encoding="utf-8"))


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def run(root: Path, *args: str, path: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), path]))}
    env.pop("GRADER_SECRET", None)
    return subprocess.run([sys.executable, *args], cwd=root, env=env, capture_output=True, text=True, timeout=1200)


@pytest.fixture
def copy() -> Path:
    (REPO_ROOT / "build").mkdir(exist_ok=True)
    top = Path(tempfile.mkdtemp(prefix="add-a-rule-", dir=REPO_ROOT / "build"))
    root = top / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in COPIED:
        source, target = REPO_ROOT / name, root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, target, ignore=ignore) if source.is_dir() else shutil.copyfile(source, target)
    yield root
    shutil.rmtree(top, ignore_errors=True)


def test_the_guide_has_the_steps_this_test_follows():
    assert [path for path, _ in steps()] == [
        "assignments/hw2_backprop/backprop.py", "reference/backprop_np.py", "reference/backprop_torch.py",
        "grader/course/hw2/rules/activations.py", "tests/data/mutants/hw2/leaky_relu_backward_no_leak.py",
        "tests/data/mutants/hw2/leaky_relu_backward_forgot_dZ.py"]


def test_following_the_guide_adds_a_rule_in_six_files(copy: Path):
    before = files(copy)
    for path, code in steps():
        with open(copy / path, "a", encoding="utf-8") as f:
            f.write(code)
    after = files(copy)
    changed = sorted(p for p in after if before.get(p) != after[p])
    assert len(changed) <= MAX_FILES, changed

    done = run(copy, "-m", "grader.cli", "validate", "--only", "hw2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all good" in done.stdout

    listed = run(copy, "-m", "grader.cli", "checks", "hw2", "--hidden", "--format", "csv")
    new = [line for line in listed.stdout.splitlines() if line.startswith("hw2.leaky_relu_backward.")]
    assert {line.split(",")[0] for line in new} >= {"hw2.leaky_relu_backward.public.values",
                                                    "hw2.leaky_relu_backward.public.gradcheck",
                                                    "hw2.leaky_relu_backward.hidden.values",
                                                    "hw2.leaky_relu_backward.hidden.gradcheck"}
    assert all("grader/course/hw2/rules/activations.py:" in line for line in new)

    mutants = [str(copy / path) for path in changed if path.startswith("tests/data/mutants/")]
    graded = run(copy, "-c", GRADE_MUTANTS, *mutants, path=str(copy / "tests"))
    assert graded.returncode == 0, graded.stderr
    found = json.loads(graded.stdout)
    assert found["leaky_relu_backward_no_leak"]["mistakes"] == ["leaky_relu_leak_ignored"]
    assert found["leaky_relu_backward_forgot_dZ"]["mistakes"] == ["forgot_dY"]
    for result in found.values():
        assert result["targets"] == ["leaky_relu_backward"]
        assert all("likely mistake" in message for message in result["messages"])
