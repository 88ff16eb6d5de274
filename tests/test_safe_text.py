"""The escaping rules of ``grader.reports.safe_text``, one format at a time."""

from __future__ import annotations

import re

import pytest
from html_text import Tags

from grader.reports.safe_text import csv_cell, file_stem, html, markdown, multi_line, one_line

CONTROLS = {
    "\x1b": "\\x1b",  # ESC: starts every terminal escape sequence
    "\x07": "\\x07",  # BEL
    "\x00": "\\x00",
    "\x08": "\\x08",  # backspace: rubs out what came before on a terminal
    "\x7f": "\\x7f",  # DEL
    "\x85": "\\x85",  # C1 next line
    "\x9b": "\\x9b",  # C1 CSI: an escape sequence without ESC
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\u202a": "\\u202a",  # left-to-right embedding
    "\u202e": "\\u202e",  # right-to-left override
    "\u2066": "\\u2066",  # left-to-right isolate
    "\u2069": "\\u2069",  # pop directional isolate
    "\u200f": "\\u200f",  # right-to-left mark
    "\u2028": "\\u2028",  # line separator
    "\udcff": "\\udcff",  # a file name byte that is not UTF-8 (surrogateescape)
}
PLAIN = ["alice", "O'Neil", 'say "hi"', "José Ñúñez", "张伟", "emoji 🎉", "a=b", "x-1", "5 % of 2 × 3", ""]
HOSTILE = [
    "=cmd|' /C calc'!A0", "+1", "-2", "@SUM(1)", "$x$", "$\\frac{a}{b}$", "red\x1b[31mX\x07", "q\"uo'te",
    "<script>alert(1)</script>", "new\nline", "bidi\u202eevil", "../../etc/passwd", ".hidden", "-rf", "con",
    "a/b", "nul\x00byte", "\udcff\udcfe", " ", "..", "Alice", "ALICE", "a b", "a_b", "a\tb",
]  # fmt: skip


@pytest.mark.parametrize(("char", "shown"), CONTROLS.items())
def test_one_line_shows_every_control_character_as_an_escape(char, shown):
    assert one_line(f"a{char}b") == f"a{shown}b"


@pytest.mark.parametrize("text", PLAIN)
def test_one_line_leaves_ordinary_text_alone(text):
    assert one_line(text) == text


@pytest.mark.parametrize(("char", "shown"), CONTROLS.items())
def test_multi_line_keeps_newlines_and_tabs_only(char, shown):
    assert multi_line(f"a{char}b") == (f"a{char}b" if char in "\n\t" else f"a{shown}b")


def test_multi_line_reads_crlf_as_one_newline():
    assert multi_line("one\r\ntwo\rthree") == "one\ntwo\\rthree"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2", "-bob", "@SUM(1)", "=cmd|' /C calc'!A0", "-1.5", "=x"])
def test_csv_text_that_starts_like_a_formula_gets_a_quote(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize(("text", "cell"), [("\t=1", "\\t=1"), ("\r=1", "\\r=1"), ("\x1b=1", "\\x1b=1")])
def test_csv_tab_and_carriage_return_never_start_a_cell(text, cell):
    assert csv_cell(text) == cell  # shown as escapes: the cell starts with a backslash, not a formula


@pytest.mark.parametrize("value", [-2, -0.5, 3.0, 0, None])
def test_csv_numbers_stay_numbers(value):
    assert csv_cell(value) is value


@pytest.mark.parametrize("text", PLAIN)
def test_csv_ordinary_text_is_left_alone(text):
    assert csv_cell(text) == text


def test_csv_cells_are_one_line():
    assert csv_cell("a\nb\r\x1b") == "a\\nb\\r\\x1b"


def commonmark_text(escaped: str) -> str:
    """What a CommonMark renderer shows for text holding only backslash escapes and inert underscores."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", escaped)


@pytest.mark.parametrize(
    "text",
    ["|", "`code`", "**bold**", "*em*", "_em_", "__strong__", "~~gone~~", "[click](http://evil.example)",
     "![img](http://evil.example/x.png)", "<script>alert(1)</script>", "<http://evil.example>", "&lt;b&gt;", "$x$",
     "$$\\frac{a}{b}$$", "# heading", "a \\| b", "trailing \\"],
)  # fmt: skip
def test_markdown_syntax_is_escaped_and_reads_back_as_the_text(text):
    escaped = markdown(text)
    assert commonmark_text(escaped) == text
    unescaped = re.sub(r"\\[!-/:-@\[-`{-~]", "", escaped)  # what is left once every escape is taken out
    assert not re.search(r"[`*\[\]<>|&~$#\\]", unescaped), escaped
    assert "_" not in unescaped or re.fullmatch(r"(?:[^_]|(?<=[^\W_])_+(?=[^\W_]))*", unescaped)


@pytest.mark.parametrize("text", ["linear_backward", "hw2.linear_backward.public.basic", "a__b", "transposed_dW"])
def test_markdown_leaves_underscores_inside_words(text):
    assert markdown(text) == text  # between letters an underscore never starts emphasis


@pytest.mark.parametrize("text", ["_x", "x_", "_x_", "a _b_ c", "(_x_)"])
def test_markdown_escapes_underscores_that_could_start_emphasis(text):
    assert commonmark_text(markdown(text)) == text and markdown(text).count("\\_") == text.count("_")


@pytest.mark.parametrize(("char", "shown"), CONTROLS.items())
def test_markdown_is_one_line_with_escapes_shown(char, shown):
    assert markdown(f"a{char}b") == "a\\" + shown + "b"  # the escape's backslash itself escaped


@pytest.mark.parametrize("text", HOSTILE + PLAIN + ["<img src=x onerror=alert(1)>", "&amp;", "\"><b>x</b>"])
def test_html_is_text_only(text):
    parser = Tags()
    parser.feed(f'<p title="{html(text)}">{html(text)}</p>')
    parser.close()
    assert parser.tags == ["p"] and parser.text == one_line(text)


def test_html_shows_control_characters_as_escapes():
    assert html("a\x1b[31m<b>") == "a\\x1b[31m&lt;b&gt;"


@pytest.mark.parametrize("name", ["alice", "s1234", "zz_torch", "student.01", "a-b", "_x"])
def test_file_stem_keeps_plain_lower_case_names(name):
    assert file_stem(name) == name


@pytest.mark.parametrize("name", HOSTILE)
def test_file_stem_is_a_safe_file_name(name):
    stem = file_stem(name)
    assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._~-]{0,80}", stem), stem
    assert stem.split(".")[0].lower() not in {"con", "prn", "aux", "nul"}
    assert file_stem(name) == stem  # the same on every run


def test_file_stems_never_collide_even_ignoring_case():
    names = HOSTILE + PLAIN + [file_stem(n) for n in HOSTILE]  # an id chosen to look like another's stem
    distinct = sorted(set(names))
    stems = [file_stem(n).casefold() for n in distinct]
    assert len(set(stems)) == len(distinct)


def test_file_stem_shows_what_it_can_of_the_name():
    assert file_stem("Erin Example_48213").startswith("Erin_Example_48213~")
    assert file_stem("José").startswith("Jose~")
