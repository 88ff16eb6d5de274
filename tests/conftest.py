"""Shared fixtures: a fixed course secret for hidden checks, a fresh output folder, torch on one thread."""

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


@pytest.fixture(scope="module")
def one_torch_thread():
    """torch on one thread for a module's tests, as in the sandbox's workers (a module asks for it with
    ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``)."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
