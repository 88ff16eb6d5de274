"""Matplotlib's font list reaches a torch worker read-only from this machine's cache (``grader.sandbox.fonts``):
only a plain file of this user's, never a link or one others could have written, and the worker cannot change it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.sandbox import WorkerPool, isolation
from grader.sandbox.fonts import MAX_BYTES, bwrap_binds, font_lists, host_cache_dir

PROBE_FONT = "Grader Probe Sans"


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    folder = tmp_path / "mpl-cache"
    folder.mkdir()
    return folder


def test_only_plain_font_lists_of_this_user_are_shown(cache, tmp_path):
    good = cache / "fontlist-v3.11.0.json"
    good.write_text("{}")
    secret = tmp_path / "secret.txt"
    secret.write_text("not a font list")
    (cache / "fontlist-v9.9.9.json").symlink_to(secret)  # a link: it could lead anywhere on the host
    writable = cache / "fontlist-v1.0.0.json"
    writable.write_text("{}")
    writable.chmod(0o666)  # anyone could have written it
    (cache / "fontlist-v2.0.0.json").write_text("")  # empty
    (cache / "fontlist-v4.0.0.json").write_bytes(b" " * (MAX_BYTES + 1))  # far too large
    (cache / "other.json").write_text("{}")  # not a font list
    assert font_lists(cache) == [good]
    assert bwrap_binds(cache) == ["--ro-bind", str(good), "/etc/matplotlib-fonts/fontlist-v3.11.0.json"]


def test_a_missing_cache_shows_nothing(tmp_path):
    assert font_lists(tmp_path / "nowhere") == []


@pytest.mark.parametrize(("variables", "expected"), [
    ({"MPLCONFIGDIR": "/x/config"}, "/x/config"),
    ({"XDG_CACHE_HOME": "/x/cache"}, "/x/cache/matplotlib"),
    ({}, str(Path.home() / ".cache" / "matplotlib")),
])
def test_the_cache_is_found_where_matplotlib_keeps_it(monkeypatch, variables, expected):
    for name in ("MPLCONFIGDIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert host_cache_dir() == Path(expected)


def build_font_list(folder: Path) -> Path:
    """A font list made by matplotlib itself in ``folder``, with one more font in it to recognise it by."""
    env = {**os.environ, "MPLCONFIGDIR": str(folder), "MPLBACKEND": "Agg"}
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, check=True, capture_output=True)
    (path,) = folder.glob("fontlist-v*.json")
    listed = json.loads(path.read_text())
    probe = dict(listed["ttflist"][0], name=PROBE_FONT)
    listed["ttflist"].append(probe)
    path.write_text(json.dumps(listed))
    path.chmod(0o644)
    return path


HAND_IN = b'''
def fonts(name):
    import matplotlib.font_manager as fm
    names = sorted({f.name for f in fm.fontManager.ttflist})
    def write():
        with open("/etc/matplotlib-fonts/" + name, "w") as f:
            f.write("{}")
        return "written"
    try:
        wrote = write()
    except OSError as exc:
        wrote = type(exc).__name__
    return [names, wrote]
'''


def test_a_torch_worker_reads_the_hosts_font_list_and_cannot_change_it(cache, monkeypatch):
    """The worker's matplotlib takes the list it is shown (a font only that list names is known to a hand-in), and
    a hand-in that tries to overwrite it is refused: the host's file is unchanged."""
    if not isolation.works("bwrap"):
        pytest.skip("bwrap is not usable on this machine")
    path = build_font_list(cache)
    before = path.read_bytes()
    monkeypatch.setenv("MPLCONFIGDIR", str(cache))
    with WorkerPool(kind="torch", slots=1, level="bwrap") as pool, pool.session("hw2", {"backprop.py": HAND_IN}) as w:
        first = w.call("fonts", (path.name,), {}, timeout=30).value
        w.restart()  # the next child, after the first one's scratch area was wiped
        second = w.call("fonts", (path.name,), {}, timeout=30).value
    for names, wrote in (first, second):
        assert PROBE_FONT in names
        assert wrote in ("PermissionError", "OSError")
    assert path.read_bytes() == before


def test_a_machine_without_a_font_list_gets_one_built_once(cache, monkeypatch):
    """No list in matplotlib's cache yet (a fresh machine): the grader has matplotlib build it, then shows it."""
    import grader.sandbox.fonts as fonts

    monkeypatch.setenv("MPLCONFIGDIR", str(cache))
    monkeypatch.setattr(fonts, "_built", False)
    binds = fonts.bwrap_binds()
    (path,) = cache.glob("fontlist-v*.json")
    assert binds == ["--ro-bind", str(path), f"/etc/matplotlib-fonts/{path.name}"]
    assert "ttflist" in json.loads(path.read_text())


def test_building_the_font_list_runs_no_code_from_the_folder_it_is_started_in(cache, tmp_path, monkeypatch):
    """The grader may run in a student's repository (CI on push): a ``matplotlib`` package planted there must not be
    what the grader's own process imports to build the font list, outside any sandbox."""
    import grader.sandbox.fonts as fonts

    repo = tmp_path / "student-repo"
    (repo / "matplotlib").mkdir(parents=True)
    marker = tmp_path / "ran-on-the-host"
    (repo / "matplotlib" / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('pwned')\n")
    (repo / "matplotlib" / "font_manager.py").write_text("")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("MPLCONFIGDIR", str(cache))
    monkeypatch.setenv("PYTHONPATH", str(repo))  # nor through the environment
    monkeypatch.setattr(fonts, "_built", False)
    fonts.build_font_list()
    assert not marker.exists()
    assert list(cache.glob("fontlist-v*.json"))  # the real matplotlib built it
