"""What a release keeps private, built beside the student repository and never inside it: the Gradescope
autograder bundle (the full grader with hidden checks, references, course.toml and the secret) and the
hidden pack (hidden suites with their answers recorded under the secret, for a CI that grades them).
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from grader.course.assignments import ASSIGNMENTS, REPO_ROOT
from grader.release.build import ReleaseError, copy_tree, refuse_unreplayable, render, require_libraries


def private_dir(out_dir: Path, what: str) -> Path:
    """Where a private companion (``"gradescope"``, ``"hidden"``) of the release in ``out_dir`` goes: beside
    it, never inside, named so that nobody takes it for something to hand out."""
    out_dir = Path(out_dir).resolve()
    return out_dir.parent / f"{out_dir.name}-{what}-PRIVATE"


def build_hidden_pack(pack_dir: Path, secret: str, keys: list[str] | None = None) -> Path:
    """Write the hidden suites and their reference answers (recorded with ``secret``) into ``pack_dir``: what a
    student repository's CI grades hidden checks with when ``GRADER_HIDDEN_DIR`` names it (and
    ``GRADER_SECRET`` is set). PRIVATE: with the secret it reveals every hidden input and answer."""
    from grader.release.recording import record_answers
    from grader.suites import load_checks

    if not secret:
        raise ReleaseError("hidden checks are seeded by the course secret: set GRADER_SECRET first")
    pack_dir = Path(pack_dir).resolve()
    shutil.rmtree(pack_dir, ignore_errors=True)
    pack_dir.mkdir(parents=True)
    keys = list(ASSIGNMENTS) if keys is None else keys
    require_libraries(keys)
    hidden = [c for key in keys for c in load_checks(key, include_hidden=True) if c.visibility == "hidden"]
    refuse_unreplayable(record_answers(hidden, pack_dir / "answers.npz", secret))
    for key in keys:
        suite = REPO_ROOT / "grader" / "suites" / "hidden" / f"{key}.py"
        if suite.is_file():
            shutil.copyfile(suite, pack_dir / suite.name)
    return pack_dir


def build_gradescope_bundle(bundle_dir: Path, secret: str) -> Path:
    """Write Gradescope's autograder source (``setup.sh``, ``run_autograder``, the full grader, references,
    hidden checks, course.toml and the secret) and ``autograder.zip`` of it. Returns the zip's path."""
    if not secret:
        raise ReleaseError(
            "the Gradescope bundle grades hidden checks, which need the course secret: "
            "set GRADER_SECRET (or course.toml [grading] secret) first"
        )
    bundle_dir = Path(bundle_dir).resolve()
    shutil.rmtree(bundle_dir, ignore_errors=True)
    source = bundle_dir / "source"
    for package in ("grader", "reference"):
        copy_tree(REPO_ROOT / package, source / package)
    for name in ("pyproject.toml", "README.md", "course.toml"):
        if (REPO_ROOT / name).is_file():
            shutil.copyfile(REPO_ROOT / name, source / name)
    (source / "secret.txt").write_text(secret + "\n")
    for name in ("setup.sh", "run_autograder"):
        (source / name).write_text(render(f"gradescope/{name}"))
        (source / name).chmod(0o755)
    zip_path = bundle_dir / "autograder.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(source.rglob("*")):
            if path.is_file():  # Gradescope wants setup.sh and run_autograder at the zip's root
                info = zipfile.ZipInfo.from_file(path, path.relative_to(source).as_posix())
                bundle.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return zip_path
