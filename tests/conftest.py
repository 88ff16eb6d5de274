"""Shared fixtures: a fixed course secret for hidden checks, and a fresh output folder."""

from __future__ import annotations

from pathlib import Path

import pytest

TEST_SECRET = "test-secret-never-used-for-a-course"


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    """Sets GRADER_SECRET for the test, so hidden checks can be seeded."""
    monkeypatch.setenv("GRADER_SECRET", TEST_SECRET)
    return TEST_SECRET


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "out"
