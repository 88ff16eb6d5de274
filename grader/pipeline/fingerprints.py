"""Fingerprints of what decides a grade besides the submission: the suite (``suite_hash``) and the course
secret (``secret_fingerprint``). The gradebook records both per row, so a gradebook whose rows were graded
with different suites or secrets says so (``grader.pipeline.consistency``).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import grader
from grader.checks.base import Check
from grader.pipeline.config import CourseConfig

# A slow, salted hash: the fingerprint is stored in every row of a gradebook that may be shared with TAs,
# and a course secret is a pass phrase a person chose. 48 bits tell two secrets apart; they do not make a
# dictionary attack on the secret cheap.
_FINGERPRINT_SALT = b"backprop-grader secret fingerprint v1"
_FINGERPRINT_ROUNDS = 200_000


def secret_fingerprint(secret: str) -> str:
    """12 hex digits that tell two course secrets apart without revealing either; "" for no secret."""
    if not secret:
        return ""
    key = hashlib.pbkdf2_hmac("sha256", secret.encode(), _FINGERPRINT_SALT, _FINGERPRINT_ROUNDS)
    return key[:6].hex()


def suite_hash(checks: Sequence[Check], config: CourseConfig) -> str:
    """Fingerprint of everything that decides a grade besides the submission: each check's id, points,
    kind, visibility and timeout (after course.toml overrides), the grader version, the course's overrides
    and timeouts, the source of the suite modules and of the code that judges (``grader/checks``,
    ``grader/course``, ``grader/protocol``, ``grader/worker``, the reference solutions), and (hashed) the
    course secret that seeds hidden checks.
    A change to any of them makes the recorded rows stale."""
    described = sorted((c.id, float(c.points), c.kind, c.visibility, float(c.timeout)) for c in checks)
    keys = sorted({c.assignment for c in checks})
    settings = [
        (
            k,
            sorted(config.assignment(k).points.items()),
            config.assignment(k).check_timeout,
            config.assignment(k).submission_timeout,
        )
        for k in keys
    ]
    modules = {getattr(getattr(c.run, "func", c.run), "__module__", "") for c in checks}  # func: a partial
    modules |= {f"grader.suites.{c.visibility}.{c.assignment}" for c in checks}
    sources = sorted(filter(None, map(_source_digest, modules))) + [_judging_code_digest()]
    material = json.dumps(
        [grader.__version__, described, settings, sources, hashlib.sha256(config.secret.encode()).hexdigest()]
    )
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def _judging_code_digest(root: Path | None = None) -> str:
    """Hash of every source file that computes inputs, expected answers or verdicts (a student release
    has no reference/ folder; its recorded answers file stands in). ``root``: the grader package."""
    root = root or Path(grader.__file__).resolve().parent
    folders = [root / "checks", root / "course", root / "protocol", root / "worker", root.parent / "reference"]
    files = sorted(p for folder in folders if folder.is_dir() for p in folder.rglob("*") if p.suffix in (".py", ".npz"))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root.parent).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _source_digest(module_name: str) -> str | None:
    """Hash of a loaded module's source file, so editing a check or a suite regrades; None if unknown."""
    path = getattr(sys.modules.get(module_name), "__file__", None)
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None
    except OSError:
        return None
