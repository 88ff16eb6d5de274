"""Student-controlled text made safe for the format it lands in.

Student ids are folder names (anything a file name can hold: newlines, ESC, bidi overrides, ``=``, ``$``,
``<``), and check messages quote what a student's code raised or printed. Every writer of a report, an
export or a console line passes such text through one rule here:

- ``one_line`` / ``multi_line``: control characters (C0, DEL, C1, so every ESC or CSI sequence), bidi
  controls and Unicode line separators shown as escapes (``\\x1b``, ``\\u202e``); nothing can recolour or
  move the cursor of a terminal, reorder what a reader sees or start a line the format did not expect.
  ``multi_line`` keeps newlines and tabs, for formats that show a block of text (JUnit, Gradescope).
- ``csv_cell``: one line, and a text cell a spreadsheet would run as a formula gets a leading ``'``.
- ``markdown``: one line with Markdown's syntax characters backslash-escaped, so it stays plain text.
- ``html``: one line, HTML-escaped; ``html_block``: the same with newlines and tabs kept (code in ``<pre>``).
- ``file_stem``: a file name that stays in its folder and never collides with another id's.
"""

from __future__ import annotations

import hashlib
import html as _html
import re
import unicodedata

# Cc (C0, DEL, C1), the bidi marks, embeddings, overrides and isolates (they reorder what is shown, so
# "evil\u202etxt.exe" reads as "evilexe.txt"), the line and paragraph separators (line breaks to some
# readers) and lone surrogates (a file name that is not UTF-8; no UTF-8 file can hold them).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

# OWASP's formula triggers. Tab and carriage return never reach a cell (one_line escapes them); the check
# keeps the rule whole should that change.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Backslash-escapable in CommonMark: code spans, emphasis, links and images, raw HTML and entities,
# table cells, strikethrough, headings' closing hashes, GitHub's math. Underscores are handled apart.
_MARKDOWN = re.compile(r"[\\`*\[\]<>|&~#$]|_+")

_PLAIN_FILE = re.compile(r"[a-z0-9_][a-z0-9_.-]{0,63}")
_WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{port}{i}" for port in ("com", "lpt") for i in range(10)]
)


def _escape(char: str) -> str:
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def one_line(text: str) -> str:
    """``text`` with every control character, newline and tab included, shown as an escape."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(lambda m: _escape(m.group()), text)


def multi_line(text: str) -> str:
    """Like ``one_line``, but newlines (``\\r\\n`` counts as one) and tabs stay."""
    text = text.replace("\r\n", "\n")
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(lambda m: m.group() if m.group() in "\n\t" else _escape(m.group()), text)


def csv_cell(value: object) -> object:
    """A cell as a spreadsheet may safely read it: text on one line, with a ``'`` before a text that starts
    like a formula (OWASP). Text that looks like a number (an id ``-2``) is still text, so it is guarded too;
    numbers themselves (int, float) are left alone, so a negative score stays a number."""
    if not isinstance(value, str):
        return value
    text = one_line(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def markdown(text: str) -> str:
    """``text`` as one line of literal Markdown text: no code span, emphasis, link, image, HTML, entity,
    math or table cell boundary can start inside it."""

    def escape(match: re.Match[str]) -> str:
        found = match.group()
        if found[0] != "_":
            return "\\" + found
        # Underscores between letters or digits never start emphasis (CommonMark's flanking rules), so
        # snake_case names stay readable in the Markdown source.
        start, end = match.span()
        inner = 0 < start and end < len(line) and line[start - 1].isalnum() and line[end].isalnum()
        return found if inner else found.replace("_", "\\_")

    line = one_line(text)
    return _MARKDOWN.sub(escape, line)


def html(text: str) -> str:
    """``text`` as one line of HTML text (also safe inside a quoted attribute value)."""
    return _html.escape(one_line(text), quote=True)


def html_block(text: str) -> str:
    """``text`` as HTML text for a ``<pre>`` block: newlines and tabs kept, everything else as ``html``."""
    return _html.escape(multi_line(text), quote=True)


def file_stem(name: str) -> str:
    """A file name (without its extension) for ``name``, the same on every run.

    A plain lower-case name (``alice``, ``s1234``, ``zz_torch``) is used as it is. Anything else becomes its
    ASCII letters, digits, ``.``, ``_`` and ``-`` (others as ``_``, accents dropped), then ``~`` and a hash
    of the whole name: ``Erin Example`` -> ``Erin_Example~3f0c…``. So a stem never holds ``/``, NUL or a
    control character, never starts with ``.`` or ``-``, is no Windows device name, and two distinct names
    never share a stem, even on a case-insensitive file system: only hashed stems hold ``~``, and their
    hashes differ.
    """
    if _PLAIN_FILE.fullmatch(name) and name.split(".")[0] not in _WINDOWS_DEVICES:
        return name
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", folded).strip("._-")[:48]
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{readable or '_'}~{digest}"
