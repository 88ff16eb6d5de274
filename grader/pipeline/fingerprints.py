"""Fingerprints of what decides a grade besides the submission: the suite (``suite_hash``) and the course
secret (``secret_fingerprint``). The gradebook records both per row, so a gradebook whose rows were graded
with different suites or secrets says so (``grader.pipeline.consistency``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import grader
from grader.checks.base import Check
from grader.pipeline.config import CourseConfig

# A slow, salted hash: the fingerprint is stored in every row of a gradebook that may be shared with TAs,
# and a course secret is a pass phrase a person chose. 48 bits tell two secrets apart; they do not make a
# dictionary attack on the secret cheap.
_FINGERPRINT_SALT = b"backprop-grader secret fingerprint v1"
_FINGERPRINT_ROUNDS = 200_000
WORKER_MODULES = ("grader.worker.zygote", "grader.worker.child", "grader.worker.procedures")  # run every call


def secret_fingerprint(secret: str) -> str:
    """12 hex digits that tell two course secrets apart without revealing either; "" for no secret."""
    if not secret:
        return ""
    key = hashlib.pbkdf2_hmac("sha256", secret.encode(), _FINGERPRINT_SALT, _FINGERPRINT_ROUNDS)
    return key[:6].hex()


def suite_hash(checks: Sequence[Check], config: CourseConfig) -> str:
    """Fingerprint of everything that decides a grade besides the submission: each check's record (its
    fingerprint, after course.toml overrides; see ``grader.checks.fingerprint``), the grader version, the
    course's overrides and timeouts, the code every call runs through (the assignments' references and the
    worker, with what they import), and (hashed) the course secret that seeds hidden checks.
    A change to any of them makes the recorded rows stale."""
    from grader.checks.fingerprint import module_digest
    from grader.course.assignments import ASSIGNMENTS
    from grader.suites.runner import fingerprint

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
    assignments = [ASSIGNMENTS[k] for k in keys if k in ASSIGNMENTS]
    references = sorted({m for a in assignments for m in (a.reference, a.answers_module)})
    code = module_digest([*references, *WORKER_MODULES])
    material = json.dumps(
        [grader.__version__, sorted(map(fingerprint, checks)), settings, code,
         hashlib.sha256(config.secret.encode()).hexdigest()]
    )  # fmt: skip
    return hashlib.sha256(material.encode()).hexdigest()[:16]
