"""report.html opened in a real headless browser (Debian's chromium): it renders, its plots decode, and the
console stays clean. Skips, saying why, only when chromium is not installed."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from matplotlib import image
from test_reports import CONFIG, build_class

from grader.reports import plots, write_reports

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium): report.html cannot be rendered"
)
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--v=0",
]  # fmt: skip


def chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    command = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


def console_errors(stderr: str) -> list[str]:
    """Console lines: the report runs no script, so any message there (an uncaught error, a refused load)
    is a fault. Chromium logs them as ``INFO:CONSOLE`` whatever their level."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser")
    build_class(out)
    write_reports(out, CONFIG)
    return out / "report.html"


def test_report_renders_with_its_plots(report, tmp_path):
    shot = tmp_path / "report.png"
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_errors(done.stderr) == []
    pixels = (image.imread(shot)[..., :3] * 255).round().astype(np.uint8)
    assert pixels.shape[:2] == (2000, 1280)
    colours, counts = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
    assert len(colours) > 200  # text, tables and plots, not a blank or error page
    assert counts.max() < 0.9 * counts.sum()
    # The histograms' blue fills many pixels only if the embedded PNGs decoded.
    blue = np.array([int(plots.HISTOGRAM[i : i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(pixels.astype(int) - blue).sum(axis=-1) <= 6).sum() > 2000


def test_report_dom_holds_every_section(report, tmp_path):
    done = chromium(tmp_path, "--dump-dom", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_errors(done.stderr) == []
    dom = done.stdout
    for heading in ("Score distribution", "Flagged submissions", "Checks most students fail",
                    "Pass rate per check", "Students × functions", "How accuracy thresholds were set"):  # fmt: skip
        assert f"<h2>{heading}" in dom
    assert dom.count('<img alt="') == 3
    assert "uses torch in hw2" in dom


def test_the_checks_can_fail(tmp_path):
    """A blank page has a handful of colours; a page whose script throws shows on the console."""
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body><script>throw new Error('boom')</script></body></html>")
    shot = tmp_path / "blank.png"
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=320,200", blank.as_uri())
    assert done.returncode == 0
    assert any("boom" in line for line in console_errors(done.stderr))
    pixels = image.imread(shot)[..., :3].reshape(-1, 3)
    assert len(np.unique(pixels, axis=0)) < 200
