"""The course configuration, ``course.toml``: secret, weights, due dates, late policy, point overrides.

Layout (every table and key optional; a missing file gives the defaults)::

    [course]     name = "..."
    [grading]    secret_env = "GRADER_SECRET"   # or secret = "..." (the environment variable wins)
                 jobs = 4                       # default worker count for `grader grade`
    [late]       penalty_per_day = 0.10  cap = 0.50  grace_minutes = 15
    [assignments.hw2]  weight = 0.4  due = "2026-02-06T23:59:00+01:00"
                       check_timeout = 10  submission_timeout = 300  canvas_column = "Homework 2 (1234)"
    [assignments.hw2.points]  "hw2.linear_backward.public.basic" = 3
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, overload

from grader.checks.base import Check
from grader.course.assignments import ASSIGNMENTS, REPO_ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DAY = timedelta(days=1)


class ConfigError(ValueError):
    """course.toml is invalid; the message names the key and what is allowed."""


@dataclass(frozen=True)
class LatePolicy:
    """A late submission loses ``penalty_per_day`` of its score per started day past the deadline, at most
    ``cap``. Handing in within ``grace_minutes`` after the deadline counts as on time; past the grace,
    days count from the deadline itself: late_days = ceil((submitted - due) / 1 day)."""

    penalty_per_day: float = 0.0
    cap: float = 1.0
    grace_minutes: float = 0.0

    def late_days(self, submitted_at: datetime | None, due: datetime | None) -> int:
        if submitted_at is None or due is None:
            return 0
        late = submitted_at - due
        if late <= timedelta(minutes=self.grace_minutes):
            return 0
        return math.ceil(late / DAY)

    def penalty(self, late_days: int) -> float:
        """Fraction of the score lost, in [0, cap]."""
        return min(self.cap, self.penalty_per_day * late_days)


@dataclass(frozen=True)
class AssignmentConfig:
    key: str
    weight: float = 1.0
    due: datetime | None = None
    points: dict[str, float] = field(default_factory=dict)  # check id -> points override
    check_timeout: float | None = None  # seconds, replaces every check's own timeout
    submission_timeout: float | None = None  # seconds for the whole submission
    canvas_column: str | None = None  # column name in canvas.csv, e.g. "Homework 2 (1234)"


@dataclass(frozen=True)
class CourseConfig:
    name: str = "course"
    secret: str = ""
    jobs: int | None = None  # None: the engine picks (one per core)
    late: LatePolicy = field(default_factory=LatePolicy)
    assignments: dict[str, AssignmentConfig] = field(
        default_factory=lambda: {key: AssignmentConfig(key) for key in ASSIGNMENTS}
    )
    path: Path | None = None  # the file it was read from

    def assignment(self, key: str) -> AssignmentConfig:
        return self.assignments.get(key) or AssignmentConfig(key)


def default_config_path() -> Path:
    """``./course.toml`` if there is one, else the repository's."""
    here = Path.cwd() / "course.toml"
    return here if here.is_file() else REPO_ROOT / "course.toml"


def load_course_config(path: Path | None = None) -> CourseConfig:
    """Read and validate course.toml (default: see ``default_config_path``); a missing file gives defaults,
    except that an explicitly named file must exist."""
    explicit = path is not None
    path = Path(path) if path is not None else default_config_path()
    if not path.is_file():
        if explicit:
            raise ConfigError(f"{path}: no such course config file")
        return CourseConfig(secret=os.environ.get("GRADER_SECRET", ""))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_course_config(data, path)


def parse_course_config(data: dict[str, Any], path: Path | None = None) -> CourseConfig:
    where = f"{path}: " if path else ""
    _only(data, {"course", "grading", "late", "assignments"}, "top level", where)
    course = _table(data, "course", where)
    _only(course, {"name"}, "[course]", where)
    grading = _table(data, "grading", where)
    _only(grading, {"secret", "secret_env", "jobs"}, "[grading]", where)
    secret_env = _typed(grading, "secret_env", str, "[grading]", where, "GRADER_SECRET")
    secret = os.environ.get(secret_env) or _typed(grading, "secret", str, "[grading]", where, "")
    jobs = _typed(grading, "jobs", int, "[grading]", where, None)
    if jobs is not None and jobs < 1:
        raise ConfigError(f"{where}[grading] jobs = {jobs}: must be a whole number >= 1")
    late_table = _table(data, "late", where)
    _only(late_table, {"penalty_per_day", "cap", "grace_minutes"}, "[late]", where)
    late = LatePolicy(
        penalty_per_day=_fraction(late_table, "penalty_per_day", where, 0.0),
        cap=_fraction(late_table, "cap", where, 1.0),
        grace_minutes=_non_negative(late_table, "grace_minutes", "[late]", where, 0.0),
    )
    assignments = {key: AssignmentConfig(key) for key in ASSIGNMENTS}
    for key, table in _table(data, "assignments", where).items():
        if key not in ASSIGNMENTS:
            raise ConfigError(f"{where}[assignments.{key}]: unknown assignment; choose from {', '.join(ASSIGNMENTS)}")
        assignments[key] = _assignment(key, table, where)
    name = _typed(course, "name", str, "[course]", where, "course")
    return CourseConfig(name=name, secret=secret, jobs=jobs, late=late, assignments=assignments, path=path)


def _assignment(key: str, table: Any, where: str) -> AssignmentConfig:
    section = f"[assignments.{key}]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}{section} must be a table")
    _only(table, {"weight", "due", "points", "check_timeout", "submission_timeout", "canvas_column"}, section, where)
    points = table.get("points", {})
    if not isinstance(points, dict):
        raise ConfigError(f"{where}{section} points must be a table of check id = points")
    for check_id, value in points.items():
        if not check_id.startswith(f"{key}."):
            raise ConfigError(f"{where}[assignments.{key}.points] {check_id!r}: a {key} check id starts with '{key}.'")
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"{where}[assignments.{key}.points] {check_id!r} = {value!r}: must be a number > 0")
    positive = {
        name: _non_negative(table, name, section, where, None) for name in ("check_timeout", "submission_timeout")
    }
    for name, value in positive.items():
        if value == 0:
            raise ConfigError(f"{where}{section} {name} = 0: must be a number of seconds > 0")
    return AssignmentConfig(
        key=key,
        weight=_non_negative(table, "weight", section, where, 1.0),
        due=_due(table.get("due"), section, where),
        points={k: float(v) for k, v in points.items()},
        canvas_column=_typed(table, "canvas_column", str, section, where, None),
        **positive,
    )


def _due(value: Any, section: str, where: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))  # Python 3.10 rejects "Z"
        except ValueError:
            value = None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ConfigError(
            f"{where}{section} due: must be an ISO 8601 date and time with a timezone, "
            'e.g. due = "2026-02-06T23:59:00+01:00"'
        )
    return value


def _only(table: dict, allowed: set[str], section: str, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"{where}{section}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")


def _table(data: dict, key: str, where: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}{key} must be a table, [{key}]")
    return value


def _typed(table: dict, key: str, kind: type, section: str, where: str, default: Any) -> Any:
    value = table.get(key, default)
    if value is not default and (isinstance(value, bool) or not isinstance(value, kind)):
        raise ConfigError(f"{where}{section} {key} = {value!r}: must be a {kind.__name__}")
    return value


@overload
def _non_negative(table: dict, key: str, section: str, where: str, default: float) -> float: ...


@overload
def _non_negative(table: dict, key: str, section: str, where: str, default: None) -> float | None: ...


def _non_negative(table: dict, key: str, section: str, where: str, default: float | None) -> float | None:
    value = table.get(key, default)
    if value is default:
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or not math.isfinite(value):
        raise ConfigError(f"{where}{section} {key} = {value!r}: must be a number >= 0")
    return float(value)


def _fraction(table: dict, key: str, where: str, default: float) -> float:
    value = _non_negative(table, key, "[late]", where, default)
    if value > 1:
        raise ConfigError(f"{where}[late] {key} = {value!r}: must be a fraction between 0 and 1 (0.1 = 10 %)")
    return value


def apply_overrides(checks: list[Check], config: CourseConfig) -> list[Check]:
    """The checks with course.toml's points and check_timeout applied. An override naming a check that is
    not in the suite is an error (a typo would otherwise silently keep the old points)."""
    out = []
    for check in checks:
        settings = config.assignment(check.assignment)
        points = settings.points.get(check.id, check.points)
        timeout = check.timeout if settings.check_timeout is None else settings.check_timeout
        changed = (points, timeout) != (check.points, check.timeout)
        out.append(replace(check, points=points, timeout=timeout) if changed else check)
    known = {check.id for check in checks}
    visibilities = {(c.assignment, c.visibility) for c in checks}
    for key in {c.assignment for c in checks}:
        for check_id in config.assignment(key).points:
            # Only judge ids of a visibility that was loaded: a student release has no hidden checks.
            visibility = check_id.split(".")[2] if check_id.count(".") >= 3 else ""
            if check_id not in known and (key, visibility) in visibilities:
                raise ConfigError(f"course.toml [assignments.{key}.points]: no check {check_id!r} in the {key} suite")
    return out
