"""report.html opened in a real headless browser (Debian's chromium): it renders, its plots decode, and the
console stays clean. Skips, saying why, only when chromium is not installed."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest
from matplotlib import image
from test_reports import CONFIG, build_class, check_rows

from grader.pipeline.gradebook import Gradebook
from grader.reports import heatmap, plots, write_reports
from grader.reports.safe_text import one_line

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
    # The histograms' blue fills many pixels only if the embedded SVG rendered.
    blue = np.array([int(plots.HISTOGRAM[i : i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(pixels.astype(int) - blue).sum(axis=-1) <= 6).sum() > 2000


def test_report_dom_holds_every_section(report, tmp_path):
    done = chromium(tmp_path, "--dump-dom", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_errors(done.stderr) == []
    dom = done.stdout
    for heading in ("Score distribution", "Flagged submissions", "Checks most students fail",
                    "Pass rate per check", "Students × functions", "Item analysis", "Similar hand-ins",
                    "How accuracy thresholds were set"):  # fmt: skip
        assert f"<h2>{heading}" in dom
    assert dom.count('<img alt="') == 1
    assert "uses torch in hw2" in dom


def rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])


def test_heat_map_shows_three_states_in_three_colours(report, tmp_path):
    """zz_absent did not hand hw3 in (17 functions), zz_torch's hw2 is ungradable (25): grey, purple, and the
    red-to-green scale of graded cells, as rendered; each ungradable cell says why on hover."""
    shot = tmp_path / "report.png"
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1400,7000", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    pixels = (image.imread(shot)[..., :3] * 255).round().astype(int)

    def count(colour: str) -> int:
        return int((np.abs(pixels - rgb(colour)).sum(axis=-1) <= 3).sum())

    cell = 13 * 13  # a heat-map cell's inner area; the legend holds one swatch of each colour
    not_submitted = count(heatmap.STATE_COLOURS["not submitted"])
    ungradable = count(heatmap.STATE_COLOURS["ungradable"])
    assert not_submitted >= 17 * cell * 0.9 and ungradable >= 25 * cell * 0.9
    assert sum(count(colour) for colour in heatmap.SCALE) >= 100 * cell
    assert len({heatmap.STATE_COLOURS["not submitted"], heatmap.STATE_COLOURS["ungradable"], *heatmap.SCALE}) == 7
    dom = chromium(tmp_path, "--dump-dom", report.as_uri()).stdout
    assert dom.count('<td class="ug" title="hw2.') == 25 and dom.count('<td class="ns" title="hw3.') == 17
    assert 'title="hw2.linear_forward: ungradable: hw2 must be done in numpy only"' in dom
    assert "Rates over each assignment's graded hand-ins" in dom


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


# Names that would change a page built by string concatenation: a script, closed cells, a comment, a raw-text
# element, a style sheet, an attribute breakout, and text the math parser or a terminal would act on.
HOSTILE_NAMES = [
    "<script>document.body.innerHTML='pwned'</script>", "</td></tr></table><h1>injected</h1>", "<!--", "<plaintext>",
    "<style>body{display:none}</style>", "\"><img src=x onerror=alert(1)>", "<![CDATA[", "$\\foo$", "red\x1b[31m\x07",
    "bidi\u202eevil", "new\nline", "nul\x00byte", "&lt;b&gt;",
]  # fmt: skip


class Structure(HTMLParser):
    """A page's elements in order, each with its attribute names: everything but the text."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, tuple[str, ...]]] = []
        self.text = ""

    def handle_starttag(self, tag, attrs) -> None:
        self.elements.append((tag, tuple(sorted(name for name, _ in attrs))))

    def handle_data(self, data) -> None:
        self.text += data


def rendered(tmp_path, students: list[str]) -> Structure:
    """The DOM Chromium builds from the report of a class with these ids (the same outcomes, id for id)."""
    out = tmp_path / "out"
    with Gradebook(out) as book:
        for i, student in enumerate(students):
            message = f"failed at import: {students[0]}"

            def outcome(target, visibility, i=i, message=message):
                return ("error", 0, message, "") if i == 0 else ("pass" if i % 2 else "fail", i % 2, "", "")

            book.record(1, student, "hw1", "h", "S", None, check_rows(student, "hw1", outcome))
    write_reports(out, CONFIG)
    done = chromium(tmp_path, "--dump-dom", (out / "report.html").as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_errors(done.stderr) == []  # no script ran, nothing was refused
    dom = Structure()
    dom.feed(done.stdout)
    return dom


def test_names_change_nothing_in_the_dom_but_text(tmp_path):
    plain = rendered(tmp_path / "plain", [f"s{i:02d}" for i in range(len(HOSTILE_NAMES))])
    hostile = rendered(tmp_path / "hostile", HOSTILE_NAMES)
    assert hostile.elements == plain.elements
    for name in HOSTILE_NAMES:
        assert one_line(name) in hostile.text
