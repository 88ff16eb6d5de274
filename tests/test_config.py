"""course.toml: defaults, validation messages, the secret, late-policy arithmetic and point overrides."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from grader.checks.base import Check
from grader.course.assignments import REPO_ROOT
from grader.pipeline.config import (
    ConfigError,
    CourseConfig,
    LatePolicy,
    apply_overrides,
    load_course_config,
    parse_course_config,
)

DUE = datetime(2027, 1, 29, 23, 59, tzinfo=timezone(timedelta(hours=1)))


def make_check(check_id: str = "hw2.linear_backward.public.basic", points: float = 2.0) -> Check:
    return Check(check_id, "value", points)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "course.toml"
    path.write_text(text)
    return path


def test_repo_course_toml_is_the_real_course(monkeypatch):
    monkeypatch.setenv("GRADER_SECRET", "s3cret")
    config = load_course_config(REPO_ROOT / "course.toml")
    assert set(config.assignments) == {"hw1", "hw2", "hw3", "lab"}
    assert all(a.due is not None and a.weight > 0 for a in config.assignments.values())
    assert (config.late.penalty_per_day, config.late.cap) == (0.10, 0.50)
    assert config.secret == "s3cret"


def test_missing_default_file_gives_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("grader.pipeline.config.REPO_ROOT", tmp_path)
    monkeypatch.delenv("GRADER_SECRET", raising=False)
    config = load_course_config()
    assert config == CourseConfig()
    assert config.secret == ""


def test_missing_explicit_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="no such course config"):
        load_course_config(tmp_path / "nope.toml")


def test_current_directory_course_toml_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "[assignments.hw1]\nweight = 7\n")
    assert load_course_config().assignment("hw1").weight == 7.0


@pytest.mark.parametrize(
    ("env", "toml", "expected"),
    [
        ("from-env", 'secret = "literal"', "from-env"),
        (None, 'secret = "literal"', "literal"),
        (None, "", ""),
    ],
)
def test_secret_environment_variable_wins(tmp_path, monkeypatch, env, toml, expected):
    monkeypatch.delenv("MY_SECRET", raising=False)
    if env is not None:
        monkeypatch.setenv("MY_SECRET", env)
    path = write(tmp_path, f'[grading]\nsecret_env = "MY_SECRET"\n{toml}\n')
    assert load_course_config(path).secret == expected


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("[gradin]\n", "'gradin'"),
        ("[assignments.hw4]\nweight = 1\n", "hw4"),
        ("[assignments.hw1]\nweight = -1\n", "weight"),
        ("[assignments.hw1]\nwieght = 1\n", "wieght"),
        ('[assignments.hw1]\ndue = "next friday"\n', "due"),
        ('[assignments.hw1]\ndue = "2027-01-22T23:59:00"\n', "timezone"),
        ("[late]\npenalty_per_day = 10\n", "penalty_per_day"),
        ("[late]\ncap = -0.1\n", "cap"),
        ("[grading]\njobs = 0\n", "jobs"),
        ('[assignments.hw1.points]\n"hw1.gd_step.public.basic" = 0\n', "hw1.gd_step.public.basic"),
        ('[assignments.hw1.points]\n"hw2.linear_forward.public.basic" = 1\n', "starts with 'hw1.'"),
        ("[assignments.hw1]\ncheck_timeout = 0\n", "check_timeout"),
        ("not toml [", "not valid TOML"),
    ],
)
def test_invalid_config_names_the_key(tmp_path, text, names):
    with pytest.raises(ConfigError) as info:
        load_course_config(write(tmp_path, text))
    assert names in str(info.value)


@pytest.mark.parametrize("due", [DUE, "2027-01-29T23:59:00+01:00", "2027-01-29T22:59:00Z"])
def test_due_accepts_toml_datetimes_and_iso_strings(due):
    config = parse_course_config({"assignments": {"hw2": {"due": due}}})
    assert config.assignment("hw2").due == DUE


@pytest.mark.parametrize(
    ("late_by", "grace", "days", "penalty"),
    [
        (timedelta(hours=-3), 0, 0, 0.0),  # on time
        (timedelta(0), 0, 0, 0.0),  # exactly at the deadline
        (timedelta(minutes=1), 0, 1, 0.1),  # a minute late, no grace
        (timedelta(minutes=1), 15, 0, 0.0),  # a minute late, within the grace
        (timedelta(minutes=16), 15, 1, 0.1),  # past the grace: days count from the deadline
        (timedelta(days=1), 0, 1, 0.1),  # exactly one day
        (timedelta(days=1, seconds=1), 0, 2, 0.2),
        (timedelta(days=9, hours=2), 0, 10, 0.5),  # capped
        (timedelta(days=40), 15, 40, 0.5),
    ],
)
def test_late_policy_arithmetic(late_by, grace, days, penalty):
    policy = LatePolicy(penalty_per_day=0.1, cap=0.5, grace_minutes=grace)
    submitted = (DUE + late_by).astimezone(timezone.utc)  # another timezone, same instant
    assert policy.late_days(submitted, DUE) == days
    assert policy.penalty(days) == pytest.approx(penalty)


def test_no_due_date_or_no_submission_time_is_never_late():
    policy = LatePolicy(penalty_per_day=0.1)
    assert policy.late_days(None, DUE) == 0
    assert policy.late_days(DUE + timedelta(days=3), None) == 0


def test_overrides_change_points_and_timeouts():
    config = parse_course_config(
        {"assignments": {"hw2": {"check_timeout": 3, "points": {"hw2.linear_backward.public.basic": 5}}}}
    )
    basic, other = apply_overrides([make_check(), make_check("hw2.linear_backward.public.batch")], config)
    assert (basic.points, basic.timeout) == (5.0, 3.0)
    assert (other.points, other.timeout) == (2.0, 3.0)


def test_override_of_unknown_check_is_an_error():
    config = parse_course_config({"assignments": {"hw2": {"points": {"hw2.linear_backward.public.typo": 5}}}})
    with pytest.raises(ConfigError, match="hw2.linear_backward.public.typo"):
        apply_overrides([make_check()], config)


def test_override_of_hidden_check_is_ignored_without_hidden_suite():
    config = parse_course_config({"assignments": {"hw2": {"points": {"hw2.linear_backward.hidden.ties": 5}}}})
    check = make_check()
    assert apply_overrides([check], config) == [check]
