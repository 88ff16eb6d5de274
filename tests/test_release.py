"""``grader release``: what the student repository holds and never holds, the Gradescope bundle, and the
release at work in a fresh virtual environment: installed with its README's command, ``grader check``,
and its CI workflow's steps run in order in a fresh clone, as a CI runner would."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import jsonschema
import pytest
import simple_yaml
from test_exports import GRADESCOPE_SCHEMA

from grader.authoring.samples import reference_submission
from grader.cli import main
from grader.course.assignments import ASSIGNMENTS, REPO_ROOT
from grader.exports.github import function_lines
from grader.release.build import (
    ACCEPTED_OVERLAPS,
    MARKER,
    RECORDED_ANSWERS,
    ReleaseError,
    build_release,
    leaks_in,
    student_pyproject,
)
from grader.release.bundles import build_gradescope_bundle, build_hidden_pack
from grader.release.leaks import hidden_check_ids

SECRET = "release-test-secret-5bq9x"
WORKFLOW = ".github/workflows/autograde.yml"

pytestmark = pytest.mark.slow  # building a release runs every public check against the reference


@pytest.fixture(scope="module")
def workspace() -> Path:
    """A scratch folder outside /tmp: sandboxed workers get a private /tmp, so a grader installed under
    /tmp would be invisible to them."""
    (REPO_ROOT / "build").mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="release-test-", dir=REPO_ROOT / "build"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def release(workspace) -> Path:
    return build_release(workspace / "student", secret=SECRET).root


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts]


def test_release_holds_the_student_material(release):
    for assignment in ASSIGNMENTS.values():
        shipped = release / "assignments" / assignment.folder
        assert (shipped / assignment.filename).read_bytes() == assignment.stub_path.read_bytes()
        assert (shipped / "README.md").is_file()
    for path in ("README.md", WORKFLOW, RECORDED_ANSWERS, "grader/suites/public/hw2.py", "grader/commands/ci.py"):
        assert (release / path).is_file(), path
    assert 'include = ["grader*"]' in (release / "pyproject.toml").read_text()


def test_release_holds_nothing_of_the_instructor(release):
    names = {p.relative_to(release).as_posix() for p in _files(release)}
    forbidden = ("reference/", "grader/suites/hidden/", "course.toml", "grader/authoring/", "grader/release/",
                 "grader/commands/release.py", "submissions/", "tests/", "mlp_lab_solved")
    assert [n for n in names if n.startswith(forbidden) or "mlp_lab_solved" in n] == []


def _reference_bodies() -> dict[str, list[str]]:
    """Each reference function's body (no docstring) as its code lines longer than a few characters."""
    bodies = {}
    for path in (REPO_ROOT / "reference").glob("*.py"):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef):
                body = node.body[1:] if ast.get_docstring(node) else node.body
                segment = "\n".join(ast.get_source_segment(source, n) or "" for n in body)
                code = (line.split("  #")[0].strip() for line in segment.splitlines())
                lines = [line for line in code if len(line) > 12]
                if lines:
                    bodies[f"{path.stem}.{node.name}"] = lines
    return bodies


def test_no_file_of_the_release_carries_reference_code_hidden_checks_or_the_secret(release):
    bodies = _reference_bodies()
    hidden_ids = hidden_check_ids()
    assert len(bodies) > 50 and len(hidden_ids) > 50
    texts = {p: p.read_bytes().decode("utf-8", "replace") for p in _files(release)}
    with np_load(release / RECORDED_ANSWERS) as answers:  # the recording's keys and index are text too
        texts[release / RECORDED_ANSWERS] += "\n".join(str(answers[k]) for k in answers.files if k == "__index__")
    for path, text in texts.items():
        lines = {line.strip() for line in text.splitlines()}
        for name, body in bodies.items():
            # a copied function brings its body: all of its one or two long lines, or half of a longer body
            shared = [line for line in body if line in lines]
            if (path.relative_to(release).as_posix(), name) in ACCEPTED_OVERLAPS:
                continue
            enough = len(body) if len(body) <= 2 else (len(body) + 1) // 2
            assert len(shared) < enough, f"{path}: code of {name}: {shared}"
        assert [i for i in hidden_ids if i in text] == [], path
        assert SECRET not in text, path


def np_load(path: Path):
    import numpy as np

    return np.load(path, allow_pickle=False)


@pytest.mark.parametrize(
    ("planted", "what"),
    [
        ("def f(X, W):\n    return X @ W.T\n", ""),  # a bit of math alone is no leak
        ((REPO_ROOT / "reference" / "backprop_np.py").read_text(), "reference code"),
        ("NOTES = '{hidden_id}'\n", "hidden check id"),
        (f"TOKEN = '{SECRET}'\n", "secret"),
    ],
    ids=["clean", "reference", "hidden-id", "secret"],
)
def test_the_leak_scan_finds_what_is_planted(release, tmp_path, planted, what):
    copy = tmp_path / "copy"
    shutil.copytree(release / "grader", copy / "grader")
    (copy / "grader" / "notes.py").write_text(planted.replace("{hidden_id}", hidden_check_ids()[0]))
    found = [line for line in leaks_in(copy, SECRET) if line.startswith("grader/notes.py")]
    assert (found == []) if not what else any(what in line for line in found), found


def test_an_existing_folder_is_replaced_only_when_it_is_a_release(release, tmp_path):
    with pytest.raises(ReleaseError, match="not empty"):
        build_release(release)
    other = tmp_path / "mine"
    other.mkdir()
    (other / "thesis.tex").write_text("precious")
    with pytest.raises(ReleaseError, match="not made by `grader release`"):
        build_release(other, force=True)
    assert (other / "thesis.tex").read_text() == "precious"
    assert (release / MARKER).is_file()


def test_the_command_refuses_to_overwrite_and_needs_a_secret_for_private_parts(release, monkeypatch, capsys):
    monkeypatch.delenv("GRADER_SECRET", raising=False)
    assert main(["release", str(release)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["release", str(release / "elsewhere"), "--gradescope"]) == 2
    assert "secret" in capsys.readouterr().err and not (release / "elsewhere").exists()


def test_student_pyproject_drops_the_reference_package():
    text = student_pyproject((REPO_ROOT / "pyproject.toml").read_text())
    assert 'include = ["grader*"]' in text and "reference" not in text.split("[tool.setuptools.packages.find]")[1]
    with pytest.raises(ReleaseError):
        student_pyproject("[project]\nname = 'x'\n")


def test_gradescope_bundle_runs_as_gradescope_runs_it(workspace, monkeypatch):
    tmp_path = workspace / "gradescope"
    zip_path = build_gradescope_bundle(tmp_path / "bundle", SECRET)
    with zipfile.ZipFile(zip_path) as bundle:
        names = set(bundle.namelist())
        modes = {n: bundle.getinfo(n).external_attr >> 16 for n in ("setup.sh", "run_autograder")}
        bundle.extractall(tmp_path / "autograder" / "source")
    assert {"setup.sh", "run_autograder", "secret.txt", "grader/suites/hidden/hw1.py"} <= names
    assert all(mode & 0o111 for mode in modes.values()), modes  # executable at the zip's root
    root = tmp_path / "autograder"
    (root / "source" / ".venv").symlink_to(Path(sys.executable).parent.parent)  # stands in for setup.sh's venv
    (root / "submission").mkdir()
    (root / "submission" / "gradient_descent.py").write_bytes(reference_submission()["gradient_descent.py"])
    for os_var in ("GRADER_SECRET", "GRADER_HIDDEN_DIR", "PYTHONPATH"):
        monkeypatch.delenv(os_var, raising=False)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "GRADER_ONLY": "hw1,hw2"}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(document, GRADESCOPE_SCHEMA)
    hw1 = [t for t in document["tests"] if t["number"].startswith("hw1.")]
    assert {t["visibility"] for t in hw1 if ".hidden." in t["number"]} == {"after_published"}
    assert all(t["status"] == "passed" for t in hw1)  # hidden checks graded with the bundled secret
    assert all(t["score"] == 0 for t in document["tests"] if t["number"].startswith("hw2."))  # not submitted


# --- the release at work: a fresh venv, the README's commands, the workflow in a fresh clone ---------


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "GRADER_SECRET", "GRADER_HIDDEN_DIR", "GITHUB_STEP_SUMMARY")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    return {**env, **extra}


def _sh(command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=_clean_env(**env), capture_output=True, text=True,
                          timeout=1200)


def _readme_commands(release: Path) -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (release / "README.md").read_text(), re.DOTALL).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def _run_steps(release: Path) -> list[str]:
    workflow = simple_yaml.load((release / WORKFLOW).read_text())
    assert {"push", "pull_request"} <= set(workflow["on"])
    return [step["run"] for step in workflow["jobs"]["grade"]["steps"] if "run" in step]


@pytest.fixture(scope="module")
def clone(release, workspace) -> Path:
    """A fresh clone of the release committed to git, set up by the workflow's first step (the README's)."""
    git = "git -c user.name=t -c user.email=t@example.org"
    done = _sh(f"git init -q && git add -A && {git} commit -q -m Homework", release)
    assert done.returncode == 0, done.stderr
    target = workspace / "clone"
    assert _sh(f"git clone -q {release} {target}", release).returncode == 0
    setup = _run_steps(target)[0]
    done = _sh(setup, target)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return target


def test_readme_setup_is_what_the_workflow_runs(release):
    readme = _readme_commands(release)
    steps = _run_steps(release)
    assert readme[0] == steps[0] and "pip install -e ." in readme[0]
    assert readme[1].startswith(".venv/bin/grader check") and steps[1].startswith(".venv/bin/grader ci")


def test_fresh_install_has_no_reference_code(clone):
    done = _sh(".venv/bin/python -c 'import importlib.util as u, grader.suites as s; "
               "print(u.find_spec(\"reference\"), s.hidden_available())'", clone)
    assert done.stdout.split() == ["None", "False"], done.stdout + done.stderr


def test_grader_check_on_the_stubs_scores_zero(clone):
    done = _sh(_readme_commands(clone)[1], clone)
    assert done.returncode == 1, done.stdout + done.stderr
    totals = re.findall(r"total (\S+)/(\S+) points", done.stdout)
    assert len(totals) == len(ASSIGNMENTS) and all(float(got) == 0 < float(of) for got, of in totals), done.stdout
    assert "internal grader error" not in done.stdout and "not implemented yet" in done.stdout


def _grade_step(clone: Path, summary: Path) -> subprocess.CompletedProcess:
    for command in _run_steps(clone)[1:]:
        done = _sh(command, clone, GITHUB_STEP_SUMMARY=str(summary), GITHUB_ACTIONS="true")
        if done.returncode:
            return done
    return done


def test_workflow_on_the_stubs_fails_with_a_summary_and_annotations(clone, tmp_path):
    summary = tmp_path / "summary.md"
    done = _grade_step(clone, summary)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert summary.read_text().startswith("## Grade: 0 / ")
    hw2 = ASSIGNMENTS["hw2"]
    stub = clone / "assignments" / hw2.folder / hw2.filename
    line = function_lines(stub.read_text())["linear_backward"]
    assert f"::error file=assignments/{hw2.folder}/{hw2.filename},line={line},title=hw2 linear_backward" in done.stdout
    results = clone / "grading-results"
    jsonschema.validate(json.loads((results / "results.json").read_text()), GRADESCOPE_SCHEMA)
    assert len(ET.parse(results / "junit.xml").getroot().findall("testsuite")) == len(ASSIGNMENTS)


def _hand_in_the_references(clone: Path) -> None:
    solutions = reference_submission()
    for assignment in ASSIGNMENTS.values():
        folder = clone / "assignments" / assignment.folder
        (folder / assignment.filename).write_bytes(solutions[assignment.filename])
    hw3 = clone / "assignments" / ASSIGNMENTS["hw3"].folder  # practice.py imports backprop.py beside it
    (hw3 / "backprop.py").write_bytes(solutions["backprop.py"])


def test_workflow_on_the_reference_solutions_passes_with_full_public_marks(clone, tmp_path):
    _hand_in_the_references(clone)
    summary = tmp_path / "summary.md"
    done = _grade_step(clone, summary)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    earned, total = re.match(r"## Grade: (\S+) / (\S+)", summary.read_text()).groups()
    assert float(earned) == float(total) > 0
    assert "::error" not in done.stdout


def test_ci_grades_hidden_checks_from_a_private_pack(clone, workspace):
    pack = build_hidden_pack(workspace / "hidden-pack", SECRET, keys=["hw1", "hw2"])
    assert not pack.is_relative_to(clone)  # the pack lives apart from the student repository
    _hand_in_the_references(clone)

    done = _sh(".venv/bin/grader ci --only hw1,hw2 --fail-under 100 --results-dir hidden-results", clone,
               GRADER_HIDDEN_DIR=str(pack), GRADER_SECRET=SECRET)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    tests = json.loads((clone / "hidden-results" / "results.json").read_text())["tests"]
    hidden = [t for t in tests if ".hidden." in t["number"]]
    assert {t["number"].split(".")[0] for t in hidden} == {"hw1", "hw2"}
    assert all(t["status"] == "passed" and t["visibility"] == "after_published" for t in hidden)
