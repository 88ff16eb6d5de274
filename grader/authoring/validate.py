"""The instructor's sanity check (``grader validate``): the course is consistent before students see it.

- course.toml is valid, and its point overrides name checks that exist;
- every target has a stub (raising ``NotImplementedError``), a reference with the same signature, a rule with
  at least two catalogued mistakes, and at least one public and one hidden check; every check targets a
  graded function; check ids are unique; every check record names a kind of check that takes its
  parameters, which are data (no lambda or closure: a record pickles and fingerprints);
- the references, laid out as a student's hand-in and graded through the real engine and sandbox, score
  100 % on every check, public and hidden;
- the stubs, graded the same way, score 0 on every check and break nothing (no internal grader error).

A value check compares the student's answer with the reference's, so graded against itself a wrong
reference still scores full marks there; it shows where a check has an oracle of its own (finite
differences, properties, statistics, accuracy). The numpy references are held to the torch ones by the
reference tests (tests/test_reference_*.py).
"""

from __future__ import annotations

import inspect
import os
import pickle
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from grader.authoring.parity import parity_problems
from grader.checks.base import Check
from grader.checks.fingerprint import NotData
from grader.course.assignments import ASSIGNMENTS
from grader.course.kinds import KINDS
from grader.course.rules import RULES
from grader.pipeline.config import ConfigError, CourseConfig, apply_overrides, load_course_config
from grader.pipeline.discover import discover
from grader.pipeline.engine import DEFAULT_SUBMISSION_TIMEOUT, grade_many
from grader.pipeline.results import CheckResult
from grader.suites import load_checks

VALIDATION_SECRET = "grader-validate"  # seeds hidden checks when no course secret is set
INTERNAL_ERROR = "internal grader error"

Report = Callable[[str], None]


def config_problems() -> tuple[CourseConfig | None, list[str]]:
    """The course config, or the reason it is invalid."""
    try:
        return load_course_config(), []
    except ConfigError as exc:
        return None, [f"course.toml: {exc}"]


def load_suites(keys: Iterable[str]) -> tuple[dict[str, list[Check]], list[str]]:
    """Every check (public and hidden) of each assignment, or why a suite does not load."""
    suites, problems = {}, []
    for key in keys:
        try:
            suites[key] = load_checks(key, include_hidden=True)
        except Exception as exc:  # noqa: BLE001 - a broken suite is a finding, not a crash
            problems.append(f"{key}: the check suites do not load ({type(exc).__name__}: {exc})")
    return suites, problems


def suite_problems(suites: dict[str, list[Check]], config: CourseConfig | None) -> list[str]:
    """Duplicate ids, checks of unknown targets, targets without a public or a hidden check, bad overrides."""
    problems = []
    counts = Counter(c.id for checks in suites.values() for c in checks)
    problems += [f"{check_id}: check id used {n} times; ids must be unique" for check_id, n in counts.items() if n > 1]
    for key, checks in suites.items():
        targets = ASSIGNMENTS[key].targets
        problems += [f"{c.id}: targets {c.target!r}, which is not a graded function of {key}"
                     for c in checks if c.target not in targets]
        for target in targets:
            for visibility in ("public", "hidden"):
                if not any(c.target == target and c.visibility == visibility for c in checks):
                    problems.append(f"{key}.{target}: no {visibility} check")
        if config is not None:
            try:
                apply_overrides(checks, config)
            except ConfigError as exc:
                problems.append(str(exc))
    return problems


def record_problems(checks: Iterable[Check]) -> list[str]:
    """Records that cannot run as written: an unknown kind, parameters its procedure does not take or lacks,
    a parameter that is not data, a record that does not pickle."""
    from grader.suites.runner import fingerprint

    problems = []
    for check in checks:
        kind = KINDS.get(check.kind)
        if kind is None:
            problems.append(f"{check.id} ({check.defined_at}): no kind of check named {check.kind!r}; "
                            f"choose one of {', '.join(KINDS)}")
            continue
        try:
            inspect.signature(kind.run).bind(None, **check.params)
        except TypeError as exc:
            problems.append(f"{check.id} ({check.defined_at}): its parameters do not fit the kind {check.kind!r}: "
                            f"{exc}")
        try:
            fingerprint(check)
            pickle.dumps(check)
        except (NotData, pickle.PicklingError, AttributeError, TypeError) as exc:
            problems.append(f"{check.id} ({check.defined_at}): {exc}")
    return problems


def rule_problems(keys: Iterable[str]) -> list[str]:
    """Rules that know fewer than two of their classic mistakes."""
    return [f"{key}.{rule.target} ({rule.defined_at}): the rule catalogues {len(rule.mistakes)} mistake(s); "
            "give it the two or more that students make most" for key in keys for rule in RULES.get(key, ())
            if len({m.id for m in rule.mistakes}) < 2]


def score_problems(rows: Iterable[CheckResult], who: str, full: bool) -> list[str]:
    """Rows that are not what ``who`` must score: full points everywhere (``full``) or none anywhere."""
    problems = []
    for r in rows:
        if INTERNAL_ERROR in r.message:
            problems.append(f"{r.check_id}: the {who} trip the grader: {r.message}")
        elif full and (r.status != "pass" or r.points < r.max_points):
            problems.append(f"{r.check_id}: the {who} score {r.points:g}/{r.max_points:g} ({r.status}): {r.message}")
        elif not full and r.points > 0:
            problems.append(f"{r.check_id}: the {who} earn {r.points:g}/{r.max_points:g} points")
    return problems


def grade_folder(folder: Path, suites: dict[str, list[Check]], secret: str, config: CourseConfig) -> list[CheckResult]:
    """Grade every student folder under ``folder`` through the engine and the sandbox, with live references."""
    from grader.checks.references import LiveReferences
    from grader.pipeline.resources import sandbox_sessions

    submissions = discover(folder, list(suites))
    jobs = max(1, min(len(submissions), os.cpu_count() or 1))
    rows: list[CheckResult] = []
    with sandbox_sessions(slots=jobs) as open_session:
        for graded in grade_many(
            submissions, suites.__getitem__, open_session, LiveReferences(), secret, jobs=jobs, progress=False,
            budget_for=lambda key: config.assignment(key).submission_timeout or DEFAULT_SUBMISSION_TIMEOUT,
        ):
            rows += graded.results
    return rows


def _lay_out(folder: Path, keys: list[str]) -> None:
    """``folder/references/`` (the references as a hand-in) and ``folder/stubs/`` (the stubs as handed out)."""
    from grader.authoring.samples import reference_submission, write_submission

    names = {ASSIGNMENTS[k].filename for k in keys}
    refs = reference_submission()
    helpers = {n: d for n, d in refs.items() if n.endswith(".py")}  # practice.py imports backprop.py
    write_submission(folder / "references", {n: d for n, d in refs.items() if n in names} | helpers)
    write_submission(folder / "stubs", {ASSIGNMENTS[k].filename: ASSIGNMENTS[k].stub_path.read_bytes() for k in keys})


def validate(keys: list[str], report: Report = print) -> list[str]:
    """Every problem found with the assignments ``keys``; ``report`` hears of each stage as it ends."""
    config, problems = config_problems()
    report(f"course config: {'ok' if not problems else 'INVALID'}")
    for key in keys:
        problems += parity_problems(ASSIGNMENTS[key])
    suites, broken = load_suites(keys)
    problems += broken + suite_problems(suites, config) + rule_problems(keys)
    problems += record_problems(c for checks in suites.values() for c in checks)
    report(f"stubs, references and check suites: {len(problems)} problem(s) so far")
    if not suites or config is None:
        return problems
    secret = config.secret or VALIDATION_SECRET
    if not config.secret:
        report("note: no course secret set; hidden checks are seeded with a stand-in for this run")
    with tempfile.TemporaryDirectory(prefix="grader-validate-") as tmp:
        _lay_out(Path(tmp), list(suites))
        rows = grade_folder(Path(tmp), suites, secret, config)
    by_student = {who: [r for r in rows if r.student == who] for who in ("references", "stubs")}
    found = score_problems(by_student["references"], "references", full=True)
    report(f"references: {sum(r.status == 'pass' for r in by_student['references'])} of "
           f"{len(by_student['references'])} checks pass")
    found += score_problems(by_student["stubs"], "stubs", full=False)
    report(f"stubs: {sum(r.points for r in by_student['stubs']):g} points on {len(by_student['stubs'])} checks")
    return problems + found
