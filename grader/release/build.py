"""Build the student repository (``grader release``) and the Gradescope autograder bundle.

The student repository holds the stubs and their READMEs, the lab notebook, the grader without hidden
checks, and the public checks with their reference answers recorded (``grader/suites/public/answers.npz``),
so that they run without reference code. Nothing of the instructor's goes with it: no reference code, no
hidden suite, no course.toml, no secret; a scan of every file written enforces that before the release
is moved into place.

What stays private (the Gradescope bundle, the hidden pack) is built by ``grader.release.bundles``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from grader.course.assignments import ASSIGNMENTS, REPO_ROOT

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

TEMPLATES = Path(__file__).parent / "templates"
MARKER = ".grader-release"  # marks a folder `grader release --force` may replace
RECORDED_ANSWERS = "grader/suites/public/answers.npz"
# Paths (relative to the repo root) that never reach a student: hidden checks, and the instructor's tools,
# which need reference code (samples.py even quotes it).
INSTRUCTOR_ONLY = frozenset(
    {
        "grader/suites/hidden",
        "grader/release",
        "grader/authoring",
        "grader/commands/release.py",
        "grader/commands/validate.py",
    }
)
JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info", ".DS_Store")
# Overlaps with reference code that were reviewed and accepted: (released file, reference function) -> why.
ACCEPTED_OVERLAPS = {
    ("grader/course/hw1/rules.py", "gradient_descent_np.sgd"): (
        "sgd re-run with the student's own gd_step (judging sgd on its own); the stub's docstring states these "
        "two lines (k = rng.integers(0, N), the gradient of sample k alone)"
    ),
    ("grader/course/hw2/rules/activations.py", "backprop_np.sigmoid_forward"): (
        "the overflow-safe sigmoid the mistake models use; the catalogue's overflow hint (not_stable) states it anyway"
    ),
}
TEMPLATE_FILES = {"README.md": "README.md", "Makefile": "Makefile", "gitignore": ".gitignore",
                  "autograde.yml": ".github/workflows/autograde.yml"}


class ReleaseError(RuntimeError):
    """The release cannot be built safely; the message says what to fix."""


@dataclass(frozen=True)
class Release:
    root: Path
    files: list[Path]


def copy_tree(src: Path, dest: Path, skip: frozenset[str] = frozenset()) -> None:
    """Copy ``src`` into ``dest`` without caches and without the repo-relative paths in ``skip``."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        rel_dir = Path(directory).resolve().relative_to(REPO_ROOT)
        return set(JUNK(directory, names)) | {n for n in names if (rel_dir / n).as_posix() in skip}

    shutil.copytree(src, dest, ignore=ignore, dirs_exist_ok=True)


STUDENT_EXTRAS = ("lab",)  # the optional dependencies a student installs (``pip install -e ".[lab]"``)
INSTRUCTOR_DEPENDENCIES = ("copydetect",)  # run-time dependencies of instructor verbs only (similar hand-ins)


def student_pyproject(text: str) -> str:
    """The instructor's pyproject cut to what a student installs: the grader package, its run-time
    dependencies (less ``INSTRUCTOR_DEPENDENCIES``), the lab extra and the ``grader`` command; no reference package,
    course tool settings (pytest, ruff) or instructor extras (dev, ...)."""
    try:
        project = tomllib.loads(text)["project"]
        extras = {name: project["optional-dependencies"][name] for name in STUDENT_EXTRAS}
        fields = {key: project[key] for key in ("version", "requires-python", "dependencies", "scripts")}
        data = tomllib.loads(text)["tool"]["setuptools"]["package-data"]
    except (tomllib.TOMLDecodeError, KeyError) as exc:
        raise ReleaseError(f"pyproject.toml: cannot make the student's from it ({type(exc).__name__}: {exc})") from None
    if "reference" in " ".join(project.get("scripts", {}).values()):
        raise ReleaseError("pyproject.toml: a script runs reference code, which a release does not ship")
    lines = ['[build-system]', 'requires = ["setuptools>=64"]', 'build-backend = "setuptools.build_meta"', "",
             "[project]", 'name = "backprop-homework"', f"version = {_toml(fields['version'])}",
             'description = "Homework of the gradient descent and backpropagation week, with its public checks"',
             'readme = "README.md"', f"requires-python = {_toml(fields['requires-python'])}",
             "dependencies = [",
             *(f"    {_toml(d)}," for d in fields["dependencies"] if not d.startswith(INSTRUCTOR_DEPENDENCIES)),
             "]",
             "", "[project.optional-dependencies]"]
    lines += [f"{name} = {_toml(deps)}" for name, deps in extras.items()]
    lines += ["", "[project.scripts]"] + [f"{name} = {_toml(entry)}" for name, entry in fields["scripts"].items()]
    lines += ["", "[tool.setuptools.packages.find]", 'include = ["grader*"]', "",
              "[tool.setuptools.package-data]"] + [f"{_toml(key)} = {_toml(v)}" for key, v in data.items()]
    return "\n".join(lines) + "\n"


def _toml(value: str | list[str]) -> str:
    """A TOML string or list of strings (JSON's escapes are TOML's for these)."""
    import json

    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"


def _prepare(out_dir: Path, force: bool) -> None:
    out_dir = out_dir.resolve()
    for package in ("grader", "assignments", "reference"):
        if out_dir.is_relative_to(REPO_ROOT / package):
            raise ReleaseError(f"{out_dir} is inside {package}/; choose a folder outside it")
    if not out_dir.exists() or not any(out_dir.iterdir()):
        return
    if not force:
        raise ReleaseError(f"{out_dir} is not empty; choose a new folder, or pass --force to replace a release")
    if not (out_dir / MARKER).is_file():
        raise ReleaseError(f"{out_dir} was not made by `grader release` (no {MARKER}); refusing to replace it")
    for entry in out_dir.iterdir():
        if entry.name != ".git":  # keep the history of a student repository being updated
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()


def require_libraries(keys: list[str]) -> None:
    """Stop before recording answers that need a library missing here (the lab's need torch)."""
    from grader.pipeline.requirements import missing_requirement

    missing = [message for key in keys if (message := missing_requirement(key))]
    if missing:
        raise ReleaseError(f"recording the answers of the public and hidden checks needs every assignment's "
                           f"libraries: {missing[0]}")


def _stage(stage: Path) -> None:
    """Write the release's files into ``stage``."""
    from grader.release.recording import record_answers
    from grader.suites import load_checks

    require_libraries(list(ASSIGNMENTS))

    copy_tree(REPO_ROOT / "assignments", stage / "assignments")
    copy_tree(REPO_ROOT / "grader", stage / "grader", INSTRUCTOR_ONLY)
    public = [c for key in ASSIGNMENTS for c in load_checks(key, include_hidden=False)]
    refuse_unreplayable(record_answers(public, stage / RECORDED_ANSWERS))
    (stage / "pyproject.toml").write_text(student_pyproject((REPO_ROOT / "pyproject.toml").read_text()))
    for name, dest in TEMPLATE_FILES.items():
        (stage / dest).parent.mkdir(parents=True, exist_ok=True)
        (stage / dest).write_text(render(name))
    (stage / MARKER).write_text("Made by `grader release`; `grader release --force` may replace this folder.\n")


def render(template: str) -> str:
    """A template with ``@TORCH@`` replaced by the lab extra's torch requirement (``torch==2.13.0``): the pin
    is stated once, in pyproject.toml, and the set-up commands install exactly that from PyTorch's CPU index."""
    lab = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["lab"]
    torch = [r for r in lab if r.replace(" ", "").startswith("torch==")]
    if len(torch) != 1:
        raise ReleaseError('pyproject.toml: the lab extra must pin torch exactly once ("torch==X.Y.Z")')
    return (TEMPLATES / template).read_text().replace("@TORCH@", torch[0])


def refuse_unreplayable(broken: list[str]) -> None:
    """Stop a release whose recording cannot answer the checks ``broken`` (see ``grader.release.recording``)."""
    if broken:
        raise ReleaseError(
            "these checks ask the reference about the student's own answer, so a release cannot replay them: "
            f"{', '.join(broken)}; make their reference calls depend on their inputs only"
        )


def leaks_in(root: Path, secret: str) -> list[str]:
    """What of the instructor's ``root`` carries (reference code, hidden checks, the secret), as messages."""
    from grader.release.leaks import code_fingerprints, hidden_check_ids, hidden_suite_fingerprints, scan

    found = scan(
        root,
        reference=code_fingerprints((REPO_ROOT / "reference").glob("*.py"), functions_only=True),
        hidden_code=hidden_suite_fingerprints(REPO_ROOT / "grader" / "suites"),
        hidden_ids=hidden_check_ids(),
        secrets=[secret],
    )
    return [str(leak) for leak in found if (leak.path.as_posix(), leak.origin) not in ACCEPTED_OVERLAPS]


def build_release(out_dir: Path, *, secret: str = "", force: bool = False) -> Release:
    """Write the student repository into ``out_dir`` (new or empty; a previous release with ``force``).

    It is built beside ``out_dir``, scanned for ``secret`` and everything else of the instructor's, and
    moved into place only when clean.
    """
    out_dir = Path(out_dir).resolve()
    _prepare(out_dir, force)
    stage = out_dir.parent / f".{out_dir.name}.partial"
    shutil.rmtree(stage, ignore_errors=True)
    try:
        _stage(stage)
        leaks = leaks_in(stage, secret)
        if leaks:
            raise ReleaseError("the release would leak instructor material:\n  " + "\n  ".join(leaks))
        out_dir.mkdir(parents=True, exist_ok=True)
        for entry in stage.iterdir():
            os.replace(entry, out_dir / entry.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    files = sorted(p for p in out_dir.rglob("*") if p.is_file() and ".git" not in p.relative_to(out_dir).parts)
    return Release(out_dir, files)
