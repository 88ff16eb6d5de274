"""The ``grader`` entry point: every verb is wired up and its help prints."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from grader.cli import VERBS, build_parser, main
from grader.course.assignments import REPO_ROOT


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


def test_version(capsys):
    import grader

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"grader {grader.__version__}"


def test_importing_grader_loads_neither_pandas_nor_torch():
    # the sandboxed worker and every notebook that uses grader.data import it; `check` is imported lazily
    code = "import sys, grader; from grader import check; print(sorted({'pandas', 'torch'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


@pytest.mark.parametrize("verb", VERBS)
def test_the_readme_command_table_names_every_option(verb):
    readme = (REPO_ROOT / "README.md").read_text()
    (row,) = [line for line in readme.splitlines() if re.match(rf"\| `grader {verb}[ `]", line)]
    parser = build_parser()._subparsers._group_actions[0].choices[verb]
    options = [max(a.option_strings, key=len) for a in parser._actions if a.option_strings and a.dest != "help"]
    assert [o for o in options if o not in row] == [], row
