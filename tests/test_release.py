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
from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

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
    render,
    student_pyproject,
)
from grader.release.bundles import build_gradescope_bundle, build_hidden_pack
from grader.release.leaks import hidden_check_ids

SECRET = "release-test-secret-5bq9x"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
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
    assert "[tool.pytest" not in (release / "pyproject.toml").read_text()


def test_release_holds_nothing_of_the_instructor(release):
    names = {p.relative_to(release).as_posix() for p in _files(release)}
    forbidden = ("reference/", "grader/suites/hidden/", "course.toml", "grader/authoring/", "grader/release/",
                 "grader/commands/release.py", "submissions/", "tests/", "mlp_lab_solved")
    assert [n for n in names if n.startswith(forbidden) or "mlp_lab_solved" in n] == []


def test_no_compiled_file_is_copied_into_a_release(tmp_path):
    """``make setup`` compiles the grader next to its sources: a compiled hidden suite or judging module must no
    more reach a student than its source (the release copies sources only)."""
    import py_compile

    from grader.release.build import copy_tree

    compiled = [Path(py_compile.compile(str(REPO_ROOT / "grader" / name), doraise=True))
                for name in ("suites/hidden/hw2.py", "suites/public/hw2.py", "checks/compare.py", "cli.py")]
    assert all(path.is_file() for path in compiled)
    copy_tree(REPO_ROOT / "grader", tmp_path / "grader")
    assert (tmp_path / "grader" / "suites" / "public" / "hw2.py").is_file()  # the sources were copied
    assert [p for p in (tmp_path / "grader").rglob("*") if p.suffix == ".pyc" or p.name == "__pycache__"] == []


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


def test_student_pyproject_holds_only_what_a_student_installs():
    course = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    student = tomllib.loads(student_pyproject((REPO_ROOT / "pyproject.toml").read_text()))
    assert student["tool"] == {"setuptools": {"packages": {"find": {"include": ["grader*"]}},
                                              "package-data": course["tool"]["setuptools"]["package-data"]}}
    assert set(student["project"]["optional-dependencies"]) == {"lab"}  # no dev extra, no pytest or ruff settings
    assert student["project"]["dependencies"] == [  # the instructor's similar hand-ins need copydetect; students not
        d for d in course["project"]["dependencies"] if not d.startswith("copydetect")
    ]
    assert any(d.startswith("copydetect") for d in course["project"]["dependencies"])
    assert not any(d.startswith("torch") for d in student["project"]["dependencies"])  # hw1-hw3 need no torch
    assert student["project"]["optional-dependencies"]["lab"] == course["project"]["optional-dependencies"]["lab"]
    assert student["project"]["scripts"] == {"grader": "grader.cli:main"}
    with pytest.raises(ReleaseError):
        student_pyproject("[project]\nname = 'x'\n")


def test_every_set_up_installs_the_pinned_cpu_torch_from_pytorchs_cpu_index(release):
    pin = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["lab"]
    assert pin == ["torch==2.13.0"]
    workflow = simple_yaml.load((release / WORKFLOW).read_text())
    assert workflow["env"]["TORCH_INDEX_URL"] == CPU_INDEX
    steps = {step.get("name", step.get("uses")): step for step in workflow["jobs"]["grade"]["steps"]}
    assert steps["actions/setup-python@v5"]["with"]["cache"] == "pip"  # pip's downloads kept between runs
    assert "torch" not in steps["Set up"]["run"] and "[lab]" not in steps["Set up"]["run"]
    lab = steps["Set up the lab (CPU PyTorch)"]
    assert lab["if"] == "contains(env.GRADED, 'lab')"  # only when the lab is graded
    assert lab["run"].startswith('.venv/bin/pip install "torch==2.13.0" --index-url "$TORCH_INDEX_URL" && ')
    assert '--only "$GRADED"' in steps["Grade"]["run"]
    lab_block = re.findall(r"```bash\n(.*?)```", (release / "README.md").read_text(), re.DOTALL)[1].strip()
    assert lab_block == lab["run"].replace('"$TORCH_INDEX_URL"', CPU_INDEX)  # the README says the same
    assert f'TORCH_INDEX_URL ?= {CPU_INDEX}' in (release / "Makefile").read_text()
    setup = render("gradescope/setup.sh")
    assert f'TORCH_INDEX_URL="${{TORCH_INDEX_URL:-{CPU_INDEX}}}"' in setup
    assert '.venv/bin/pip install -q "torch==2.13.0" --index-url "$TORCH_INDEX_URL"' in setup
    assert '.venv/bin/pip install -q -e ".[lab]"' in setup.split("--index-url")[1]  # after torch, never before


def test_without_torch_a_release_is_refused_before_it_records_anything(tmp_path):
    code = "import sys; sys.modules['torch'] = None\nfrom grader.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    done = subprocess.run([sys.executable, "-c", code, "release", str(tmp_path / "out")], capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert done.returncode == 2 and "lab needs PyTorch" in done.stderr, done.stdout + done.stderr
    assert not (tmp_path / "out").exists()


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
# Without the lab extra first (no torch there), then the workflow's lab step with TORCH_INDEX_URL pointed at a
# local index that holds the torch wheel: pip reads no configuration of this machine for it, so torch can only
# come from the index the variable names.

PIP_SETTINGS = ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CONSTRAINT", "PIP_CONFIG_FILE",
                "PIP_NO_INDEX")


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "GRADER_SECRET", "GRADER_HIDDEN_DIR", "GITHUB_STEP_SUMMARY")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    if "PIP_CONFIG_FILE" in extra:  # pip sees these settings only
        env = {k: v for k, v in env.items() if k not in PIP_SETTINGS}
    return {**env, **extra}


def _sh(command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=_clean_env(**env), capture_output=True, text=True,
                          timeout=1200)


def _readme_commands(release: Path) -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (release / "README.md").read_text(), re.DOTALL).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def _workflow(release: Path) -> dict:
    workflow = simple_yaml.load((release / WORKFLOW).read_text())
    assert {"push", "pull_request"} <= set(workflow["on"])
    return workflow


def _run_steps(release: Path) -> list[str]:
    """The workflow's commands in order, as GitHub would run them with its ``env``: a step whose ``if`` asks
    for the lab runs when ``GRADED`` lists it."""
    workflow = _workflow(release)
    graded = workflow["env"]["GRADED"].split(",")
    steps = []
    for step in workflow["jobs"]["grade"]["steps"]:
        if "run" not in step:
            continue
        condition = step.get("if")
        assert condition in (None, "contains(env.GRADED, 'lab')"), condition  # the conditions this test evaluates
        if condition is None or "lab" in graded:
            steps.append(step["run"])
    return steps


def _local_index(folder: Path, *requirements: str) -> str:
    """A PEP 503 index in ``folder`` holding ``requirements`` and their dependencies, as pip downloads them here
    (torch from this machine's CPU wheel); its file: URL."""
    wheels = folder / "files"
    done = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "-d", str(wheels), *requirements],
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout + done.stderr
    for path in sorted(wheels.iterdir()):
        name = path.name.split("-")[0] if path.suffix == ".whl" else path.name.rsplit("-", 1)[0]
        page = folder / re.sub(r"[-_.]+", "-", name).lower() / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        with page.open("a") as html:
            html.write(f'<a href="{path.resolve().as_uri()}">{path.name}</a>\n')
    return folder.resolve().as_uri()


@pytest.fixture(scope="module")
def pip_offline(workspace) -> dict[str, str]:
    """The environment for the lab step: torch's index named by TORCH_INDEX_URL, everything else (setuptools,
    for the editable install) from another local index, and no pip configuration."""
    return {"TORCH_INDEX_URL": _local_index(workspace / "torch-index", "torch==2.13.0"),
            "PIP_INDEX_URL": _local_index(workspace / "build-index", "setuptools>=64"),
            "PIP_CONFIG_FILE": os.devnull}


@dataclass
class Clone:
    root: Path
    without_lab: dict[str, subprocess.CompletedProcess]  # what ran before the lab step
    lab_step: subprocess.CompletedProcess


@pytest.fixture(scope="module")
def clone(release, workspace, pip_offline) -> Clone:
    """A fresh clone of the release committed to git, set up by the workflow's first step (the README's); what
    runs there without the lab extra; then the workflow's lab step."""
    git = "git -c user.name=t -c user.email=t@example.org"
    done = _sh(f"git init -q && git add -A && {git} commit -q -m Homework", release)
    assert done.returncode == 0, done.stderr
    target = workspace / "clone"
    assert _sh(f"git clone -q {release} {target}", release).returncode == 0
    setup, lab_step = _run_steps(target)[:2]
    done = _sh(setup, target)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    without_lab = {
        "torch": _sh(".venv/bin/python -c 'import importlib.util as u; print(u.find_spec(\"torch\"))'", target),
        "hw1-hw3": _sh(".venv/bin/grader check hw1 hw2 hw3", target),
        "lab": _sh(".venv/bin/grader check lab", target),
    }
    return Clone(target, without_lab, _sh(lab_step, target, **pip_offline))


def test_readme_setup_is_what_the_workflow_runs(release):
    readme = _readme_commands(release)
    steps = _run_steps(release)
    assert readme[0] == steps[0] and readme[0].endswith("pip install -e .")
    assert readme[1].startswith(".venv/bin/grader check") and steps[-1].startswith(".venv/bin/grader ci")


def test_fresh_install_has_no_reference_code(clone):
    done = _sh(".venv/bin/python -c 'import importlib.util as u, grader.suites as s; "
               "print(u.find_spec(\"reference\"), s.hidden_available())'", clone.root)
    assert done.stdout.split() == ["None", "False"], done.stdout + done.stderr


def test_without_the_lab_extra_there_is_no_torch_and_hw1_to_hw3_are_checked(clone):
    assert clone.without_lab["torch"].stdout.strip() == "None"
    checked = clone.without_lab["hw1-hw3"]
    assert checked.returncode == 1, checked.stdout + checked.stderr  # the stubs: nothing passes yet
    heads = [line.split()[0] for line in checked.stdout.splitlines() if line.startswith(("hw", "lab"))]
    assert heads == ["hw1", "hw2", "hw3"], checked.stdout
    assert "not implemented yet" in checked.stdout and "internal grader error" not in checked.stdout
    lab = clone.without_lab["lab"]
    assert lab.returncode == 2 and "lab needs PyTorch" in lab.stderr and '".[lab]"' in lab.stderr


def test_the_lab_step_installs_the_cpu_build_from_the_index_the_variable_names(clone, pip_offline):
    step = clone.lab_step
    assert step.returncode == 0, step.stdout[-3000:] + step.stderr[-3000:]
    assert f"Looking in indexes: {pip_offline['TORCH_INDEX_URL']}" in step.stdout
    done = _sh(".venv/bin/python -c 'import torch; print(torch.__version__)'", clone.root)
    assert done.stdout.strip() == "2.13.0+cpu", done.stdout + done.stderr


def test_grader_check_on_the_stubs_scores_zero_in_few_lines(clone):
    done = _sh(_readme_commands(clone.root)[1], clone.root)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.rstrip().splitlines()
    assert len(lines) <= 60, done.stdout
    heads = [line.split() for line in lines if line.startswith(("hw", "lab"))]
    assert [h[0] for h in heads] == list(ASSIGNMENTS) and all(h[2].startswith("0/") for h in heads), done.stdout
    assert lines[-1].startswith("total: 0/") and "internal grader error" not in done.stdout


def _grade_step(clone: Path, summary: Path, **env: str) -> subprocess.CompletedProcess:
    workflow_env = _workflow(clone)["env"]
    for command in _run_steps(clone)[1:]:
        done = _sh(command, clone, **{**workflow_env, **env}, GITHUB_STEP_SUMMARY=str(summary),
                   GITHUB_ACTIONS="true")
        if done.returncode:
            return done
    return done


def test_workflow_on_the_stubs_fails_with_a_summary_and_ten_annotations(clone, tmp_path, pip_offline):
    summary = tmp_path / "summary.md"
    done = _grade_step(clone.root, summary, **pip_offline)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert summary.read_text().startswith("## Public checks: 0 / ")
    assert "**Failed:** the score is under the 100 %" in summary.read_text()
    errors = [line for line in done.stdout.splitlines() if line.startswith("::error ")]
    notices = [line for line in done.stdout.splitlines() if line.startswith("::notice ")]
    assert len(errors) == 10 and len(notices) == 1, done.stdout
    hw3 = ASSIGNMENTS["hw3"]
    stub = clone.root / "assignments" / hw3.folder / hw3.filename
    line = function_lines(stub.read_text())["train_classifier"]  # 7 points: the worst, annotated first
    assert errors[0].startswith(f"::error file=assignments/{hw3.folder}/{hw3.filename},line={line},"
                                "title=hw3 train_classifier")
    results = clone.root / "grading-results"
    jsonschema.validate(json.loads((results / "results.json").read_text()), GRADESCOPE_SCHEMA)
    assert len(ET.parse(results / "junit.xml").getroot().findall("testsuite")) == len(ASSIGNMENTS)


def _hand_in(clone: Path, keys: tuple[str, ...] = tuple(ASSIGNMENTS)) -> None:
    """The reference solutions, each in its own folder as the release lays them out (no copies beside)."""
    solutions = reference_submission()
    for key in keys:
        assignment = ASSIGNMENTS[key]
        (clone / "assignments" / assignment.folder / assignment.filename).write_bytes(solutions[assignment.filename])


def test_a_correct_hw3_copied_into_the_release_scores_full_marks(clone):
    _hand_in(clone.root, ("hw2", "hw3"))  # practice.py imports backprop.py, which sits in hw2's folder
    assert b"from backprop import" in reference_submission()["practice.py"]

    done = _sh(".venv/bin/grader check hw3", clone.root)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "hw3  assignments/hw3_practice/practice.py  34/34 points (100 %)" in done.stdout


def test_workflow_on_the_reference_solutions_passes_with_full_public_marks(clone, tmp_path, pip_offline):
    _hand_in(clone.root)
    summary = tmp_path / "summary.md"
    done = _grade_step(clone.root, summary, **pip_offline)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    earned, total = re.match(r"## Public checks: (\S+) / (\S+) points \(100.0 %\)", summary.read_text()).groups()
    assert float(earned) == float(total) > 0
    assert "::error" not in done.stdout and "::notice" not in done.stdout


def test_ci_grades_hidden_checks_from_a_private_pack(clone, workspace):
    pack = build_hidden_pack(workspace / "hidden-pack", SECRET, keys=["hw1", "hw2"])
    assert not pack.is_relative_to(clone.root)  # the pack lives apart from the student repository
    _hand_in(clone.root)

    done = _sh(".venv/bin/grader ci --only hw1,hw2 --fail-under 100 --results-dir hidden-results", clone.root,
               GRADER_HIDDEN_DIR=str(pack), GRADER_SECRET=SECRET)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    tests = json.loads((clone.root / "hidden-results" / "results.json").read_text())["tests"]
    hidden = [t for t in tests if ".hidden." in t["number"]]
    assert {t["number"].split(".")[0] for t in hidden} == {"hw1", "hw2"}
    assert all(t["status"] == "passed" and t["visibility"] == "after_published" for t in hidden)
