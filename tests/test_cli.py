"""The ``grader`` entry point: every verb is wired up and its help prints."""

from __future__ import annotations

import pytest

from grader.cli import VERBS, main


def test_top_level_help_lists_every_verb(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert all(verb in out for verb in VERBS)
    assert "100 %" in out  # a literal percent sign in a verb's help survives argparse's formatting


@pytest.mark.parametrize("verb", VERBS)
def test_each_verb_prints_its_help(verb, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([verb, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: grader {verb}" in capsys.readouterr().out


def test_an_unknown_verb_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_a_closed_pipe_ends_quietly():
    """``grader check | head -1``: no traceback when the reader stops early."""
    import subprocess
    import sys

    from grader.course.assignments import REPO_ROOT

    done = subprocess.run(
        f"{sys.executable} -m grader.cli check hw1 | head -c 1",
        shell=True, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert "Traceback" not in done.stderr
    assert "BrokenPipeError" not in done.stderr
