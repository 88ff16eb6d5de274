"""Suite hashes and the secret's fingerprint are recalled only while nothing they come from has changed."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from grader.pipeline.config import CourseConfig
from grader.pipeline.fingerprints import secret_fingerprint, suite_hash
from grader.pipeline.suite_cache import SuiteCache, code_stamp
from grader.suites import load_checks


def test_a_file_edited_with_its_time_put_back_still_changes_the_stamp(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("A = 1\n")
    before = code_stamp([tmp_path])
    info = os.stat(tmp_path / "a.py")
    (tmp_path / "a.py").write_text("A = 2\n")
    os.utime(tmp_path / "a.py", ns=(info.st_atime_ns, info.st_mtime_ns))  # same size, same mtime
    assert code_stamp([tmp_path]) != before


def test_hashes_are_measured_once_and_recalled_until_the_config_or_secret_changes(tmp_path: Path) -> None:
    loads: list[str] = []

    def load(key: str):
        loads.append(key)
        return load_checks(key, include_hidden=False)

    config = CourseConfig(secret="one")
    first = SuiteCache(tmp_path, config, False, load)
    assert first.hash("hw1") == suite_hash(load_checks("hw1", include_hidden=False), config)
    assert first.secret_fingerprint() == secret_fingerprint("one")
    assert loads == ["hw1"] and not first.cached

    again = SuiteCache(tmp_path, config, False, load)
    assert again.hash("hw1") == first.hash("hw1") and again.cached and loads == ["hw1"]
    assert again.hash("hw1", measure=True) == first.hash("hw1") and loads == ["hw1", "hw1"]

    other = SuiteCache(tmp_path, replace(config, secret="two"), False, load)
    assert other.hash("hw1") != first.hash("hw1") and not other.cached
    assert other.secret_fingerprint() == secret_fingerprint("two")
