"""Which of a hand-in's files its graded session can load, decided by reading them here, never by asking the
student's process (which could say anything about itself).

A submission is regraded when a file it loads changes, so this errs on the side of "loads": a file counts
when the hand-in reaches it through ``import`` statements (followed file to file), every file that is not
Python counts, and anything that could reach a file another way makes every file count:

- a ``.py`` file is read with ``ast`` (bounded: ``discover`` caps a source at 256 kB; one that does not parse
  makes every file count). It may import the student's own modules and ``SAFE_MODULES`` only; any other
  import (``os``, ``importlib``, torch...), any name, attribute or word of a string in ``DYNAMIC`` (``open``,
  ``exec``, ``__import__``, ``getattr``, numpy's ``load``...) and any private attribute (``x._y``) is dynamic;
- a notebook is never parsed in the grader's process (only the sandbox parses it): its JSON is read as a stream
  of tokens, each array's strings joined (a cell's source items, however they split its lines), escapes undone,
  and each name NFKC-normalised (Python reads ``ｂackprop`` as ``backprop``). A word of an import statement
  naming a student module counts that module, and a ``DYNAMIC`` word used as code makes every file count. The
  reading is bounded (words followed, characters normalised): a notebook beyond the bounds makes every file count.

What "loads" means is what these rules allow, so a student cannot hide a dependency and keep a stale grade:
to load a file the rules do not see, the code must use a word that makes every file count.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
import keyword
import re
import sys
import unicodedata
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass

from grader.protocol.text import unicode_text

# Modules a hand-in may import without counting as dynamic: none of them reads a file by a computed name
# through any attribute that ``DYNAMIC`` does not list.
SAFE_MODULES = frozenset({
    "__future__", "numpy", "math", "cmath", "typing", "dataclasses", "functools", "itertools", "collections",
    "abc", "enum", "numbers", "random", "statistics", "time", "copy", "heapq", "bisect", "string", "torch",
})  # fmt: skip
# Words that can load code or read a file by a name computed at run time, or reach the interpreter's
# internals that can. Over-broad on purpose: a false alarm regrades, a miss keeps a stale grade.
DYNAMIC = frozenset({
    "__import__", "importlib", "import_module", "exec", "eval", "compile", "open", "getattr", "globals", "locals",
    "vars", "__builtins__", "builtins", "breakpoint", "runpy", "sys", "os", "io", "pathlib", "inspect",
    "linecache", "pkgutil", "zipimport", "imp", "ctypes", "pickle", "shelve", "marshal", "subprocess", "shutil",
    "tokenize", "codecs", "fileinput", "mmap", "tempfile", "glob", "ast", "code", "codeop", "warnings",
    "traceback", "get_type_hints", "ForwardRef", "load", "loads", "loadtxt", "genfromtxt", "fromfile",
    "fromregex", "memmap", "DataSource", "recfromtxt", "recfromcsv", "npyio", "lib", "ctypeslib", "f2py",
    "testing", "read_text", "read_bytes", "load_library", "load_inline", "load_url", "from_file", "FileOpener",
    "jit", "hub", "package", "serialization", "cpp_extension", "model_zoo", "datapipes", "__file__",
    "__loader__", "__spec__", "__dict__", "__globals__", "__subclasses__", "__code__", "__annotations__",
    "__path__", "__class__", "__base__", "__bases__", "__mro__", "__getattribute__", "__reduce__",
    "__reduce_ex__", "__self__", "__func__", "__closure__", "help", "fromtextfile",
    "runsource", "runcode", "InteractiveInterpreter", "InteractiveConsole", "interact", "compile_command",
})  # fmt: skip
# A notebook's imports are not read one by one, so naming any other standard module counts as dynamic; these
# read no file by a computed name. (``code`` is also a cell type: that JSON pair is removed before the scan.)
_NOTEBOOK_HARMLESS = SAFE_MODULES | {
    "this", "string", "array", "json", "html", "token", "keyword", "struct", "queue", "numbers", "decimal",
    "fractions", "calendar", "datetime", "pprint", "textwrap", "unicodedata",
}  # fmt: skip
_NOTEBOOK_DYNAMIC = DYNAMIC | (frozenset(sys.stdlib_module_names) - _NOTEBOOK_HARMLESS)
MAX_WORDS = 10_000  # words of a notebook's imports followed one by one; beyond, every file counts
MAX_WORD = 255  # characters: a longer word names no module (a file's name) and no DYNAMIC word
MAX_DISTINCT_NAMES = 200_000  # distinct non-ASCII words normalised; beyond, every file counts
_JSON_STRUCTURE = re.compile(rb'["\[\]{}:]')
_QUOTE_AFTER_BACKSLASHES = re.compile(rb'\\*"')
MAX_NESTING = 64  # JSON containers open at once: a notebook nests about six deep
_IMPORT_WORD = re.compile(r"(?<!\w)import(?!\w)")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_NAME = re.compile(r"[^\W\d]\w*")
# In a notebook ``model.eval()`` is torch's evaluation mode, never the builtin: allowed after a dot.
_METHODS_ALLOWED = frozenset({"eval"})
# A notebook's prose: a word followed on its line by another word that is not a keyword ("in eval mode",
# "the test set") is never Python code outside a string, and a string loads nothing by itself.
_PROSE_AFTER = re.compile(r"[ \t]+([^\W\d]\w*)")
_WORD = re.compile(r"(\.?)\s*([^\W\d]\w*)")
_JSON_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|(.))", re.DOTALL)
_JSON_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


@dataclass(frozen=True)
class Loaded:
    """The files a session loads, by name, each with a short digest; ``why_all`` says why every file counts
    ("" when they were followed one by one)."""

    digests: dict[str, str]
    why_all: str = ""


@dataclass(frozen=True)
class Reading:
    """What one file says, whatever is beside it: why it may load anything ("" if it cannot), the top-level
    modules it imports (a ``.py`` file's), and its words that could name a module."""

    why: str
    imports: tuple[str, ...]
    words: frozenset[str]


Readings = MutableMapping[str, Reading]  # by file kind and content digest (``reading_key``)


def loaded_files(files: dict[str, bytes], main: str, readings: Readings | None = None) -> Loaded:
    """The files of ``files`` (name -> bytes, as sent to the sandbox) that the session of ``main`` loads.
    ``readings`` remembers each file's ``Reading`` by content (reading a file costs milliseconds)."""
    readings = {} if readings is None else readings
    modules = {name[:-3]: name for name in files if name.endswith(".py") and name != main}
    reached = {name for name in files if not name.endswith(".py")} | {main}
    todo, why_all = [main], ""
    while todo and not why_all:
        name = todo.pop()
        key = reading_key(name, files[name])
        reading = readings.get(key)
        if reading is None:
            reading = _python_reading(files[name]) if name.endswith(".py") else _notebook_reading(files[name])
            readings[key] = reading
        unknown = [m for m in reading.imports if m not in SAFE_MODULES and m not in modules]
        why_all = f"{name} {reading.why}" if reading.why else f"{name} imports {unknown[0]}" if unknown else ""
        for word in sorted(reading.words & set(modules)):
            if modules[word] not in reached:
                reached.add(modules[word])
                todo.append(modules[word])
    names = set(files) if why_all else reached
    return Loaded({name: digest(files[name]) for name in sorted(names)}, why_all)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def reading_key(name: str, data: bytes) -> str:
    return ("py:" if name.endswith(".py") else "text:") + hashlib.sha256(data).hexdigest()


def _python_reading(data: bytes) -> Reading:
    try:
        tree = ast.parse(data)  # bytes: the coding cookie and NFKC names as Python reads them
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return Reading("does not parse", (), frozenset())
    words: set[str] = set()
    imports: list[str] = []
    nodes = _nodes(tree)
    annotations = _annotation_strings(nodes)
    for node in nodes:
        # A parsed tree's nodes are of the ast classes themselves, never subclasses: compared by type.
        found: list[str] = []
        if type(node) is ast.Name:
            found = [node.id]
        elif type(node) is ast.Attribute:
            if node.attr.startswith("_") and not _dunder(node.attr):
                return Reading(f"uses a private attribute ({node.attr})", (), frozenset())
            found = [node.attr]
        elif type(node) is ast.Constant:
            if type(node.value) is not str:
                continue
            # A string is code only as an annotation (typing evaluates it); elsewhere it may name a module.
            text_words = {m.group(2) for m in _WORD.finditer(unicodedata.normalize("NFKC", node.value))}
            if id(node) not in annotations:
                words |= text_words
                continue
            found = sorted(text_words)
        elif type(node) is ast.Import:
            found = [alias.name.split(".")[0] for alias in node.names]
            imports += found
        elif type(node) is ast.ImportFrom:
            top = (node.module or "").split(".")[0]
            found = [top] * bool(top) + [alias.name for alias in node.names]
            # ``from m import f`` imports m; a relative import names modules beside the file
            imports += found[:1] if node.level == 0 else found
        elif type(node) is ast.alias and node.asname:
            found = [node.asname]
        else:
            continue
        for word in found:
            if word in DYNAMIC:
                return Reading(f"may load files by name ({word})", (), frozenset())
        words.update(found)
    return Reading("", tuple(dict.fromkeys(m for m in imports if m)), frozenset(words))


def _nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of ``tree`` in ``ast.walk``'s order (breadth first), as one list: built once, read twice, about
    twice as fast as ``ast.walk``'s generators."""
    nodes = [tree]
    for node in nodes:  # the list grows while it is read: each node's children join its end
        for name in node._fields:
            value = getattr(node, name, None)
            if type(value) is list:
                nodes += [item for item in value if isinstance(item, ast.AST)]
            elif isinstance(value, ast.AST):
                nodes.append(value)
    return nodes


def _annotation_strings(nodes: list[ast.AST]) -> set[int]:
    """ids of the string constants written as (or inside) annotations, among ``nodes`` (a whole tree's)."""
    found: set[int] = set()
    for node in nodes:
        root: ast.expr | None
        if type(node) is ast.arg or type(node) is ast.AnnAssign:
            root = node.annotation
        elif type(node) is ast.FunctionDef or type(node) is ast.AsyncFunctionDef:
            root = node.returns
        else:
            continue
        if root is not None:
            found |= {id(n) for n in _nodes(root) if type(n) is ast.Constant and type(n.value) is str}
    return found


def _notebook_reading(data: bytes) -> Reading:
    """The words of a notebook's import statements (a line with ``import``, and the lines a backslash joins to
    it): the only way its code can load a module by name without a ``DYNAMIC`` word. The code is read as Python
    reads it: a cell's source items joined however they split its lines (``_json_texts``), JSON escapes undone,
    each name NFKC-normalised. Bounded whatever the notebook holds: a notebook with more words to follow than
    ``MAX_WORDS``, or whose names normalise to far more text than they are, makes every file count."""
    words: set[str] = set()
    names = _Names(budget=4 * len(data) + 2**20)
    try:
        for text in _json_texts(data):
            why = _dynamic_word(text, names)
            if why:
                return Reading(why, (), frozenset())
            for start, end in _import_statements(text):
                for match in _NAME.finditer(text, start, end):
                    word = names.read(match.group())
                    if word is not None and word.isidentifier():
                        words.add(word)
                        if len(words) > MAX_WORDS:
                            raise _Unreadable(f"names more than {MAX_WORDS} words in its imports")
            if names.exhausted:
                raise _Unreadable("holds names that normalise to far more text than they are")
    except _Unreadable as beyond:
        return Reading(str(beyond), (), frozenset())
    return Reading("", (), frozenset(words))


class _Names:
    """Words as Python reads a name (NFKC), each at most ``MAX_WORD`` characters (no module's or ``DYNAMIC``
    word is longer), normalised once each, within a budget of characters produced."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._seen: dict[str, str] = {}

    @property
    def exhausted(self) -> bool:
        return self.budget < 0 or len(self._seen) > MAX_DISTINCT_NAMES

    def read(self, word: str) -> str | None:
        if len(word) > MAX_WORD or self.exhausted:
            return None
        if word.isascii():
            return word
        name = self._seen.get(word)
        if name is None:
            name = self._seen[word] = unicodedata.normalize("NFKC", word)
            self.budget -= len(name)
        return name


def _dynamic_word(text: str, names: _Names) -> str:
    """Why ``text`` may load files by name: a private attribute (``x._y``), or its first ``DYNAMIC`` word used as
    code ("" if none). A word followed on its line by another word that is not a keyword ("open the file") is prose,
    and ``model.eval()`` torch's."""
    for match in _NAME.finditer(text):
        word = names.read(match.group())
        if word is not None and word[0] == "_" and not _dunder(word) and _after_dot(text, match):
            return f"uses a private attribute ({word})"  # as in a .py file: torch._C, module._exec_with_source...
        if word is None or word not in _NOTEBOOK_DYNAMIC or (word in _METHODS_ALLOWED and _after_dot(text, match)):
            continue
        prose = _PROSE_AFTER.match(text, match.end())
        following = names.read(prose.group(1)) if prose else None
        if following is None or keyword.iskeyword(following) or keyword.issoftkeyword(following):
            return f"may load files by name ({word})"
    return ""


def _after_dot(text: str, word: re.Match) -> bool:
    """Whether ``word`` is an attribute: a dot before it, spaces aside."""
    at = word.start() - 1
    while at >= 0 and text[at].isspace():
        at -= 1
    return at >= 0 and text[at] == "."


def _import_statements(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each logical line of ``text`` that holds the word ``import`` (Python refuses the keyword
    spelled in other characters): physical lines joined by a trailing backslash, as Python joins them. One pass."""
    start = here = 0
    for brk in itertools.chain(_LINE_BREAK.finditer(text), [None]):
        end = len(text) if brk is None else brk.start()
        joined = brk is not None and text[here:end].rstrip(" \t").endswith("\\")  # onto the next line
        here = len(text) if brk is None else brk.end()
        if joined:
            continue
        if _IMPORT_WORD.search(text, start, end):
            yield start, end
        start = here


def _json_texts(data: bytes) -> Iterator[str]:
    """A notebook's strings, read as a JSON token stream, never parsed: the strings of one array joined into one
    text (a cell's ``source`` list is its code, however the items split its lines), every other value on its own;
    keys, and the value of ``cell_type``, left out. Malformed JSON only makes other texts of it."""
    arrays: list[list[str] | None] = []  # per open container: an array's strings so far, or None for an object
    pending: str | None = None  # a string in an object: a key if ":" follows it, else a value
    key = ""
    for raw in json_tokens(data):
        if raw == b":":
            key, pending = pending or "", None
            continue
        if pending is not None:
            if key != "cell_type":
                yield pending
            pending = None
        if raw[:1] == b'"':
            text = _json_string(raw)
            if arrays and arrays[-1] is not None:
                arrays[-1].append(text)
            else:
                pending = text
        elif raw in (b"[", b"{"):
            if len(arrays) >= MAX_NESTING:
                raise _Unreadable(f"nests its JSON more than {MAX_NESTING} deep, as no notebook does")
            arrays.append([] if raw == b"[" else None)
        elif arrays and (arrays[-1] is not None) == (raw == b"]"):
            joined = arrays.pop()
            if joined:
                yield "".join(joined)
    if pending is not None and key != "cell_type":
        yield pending
    yield from ("".join(joined) for joined in arrays if joined)


def json_tokens(data: bytes) -> Iterator[bytes]:
    """JSON's strings (quotes included; one left open runs to the end) and brackets, braces and colons, in order, in
    one pass: no regex repetition that keeps a backtracking state per escape, no search again from every quote."""
    at = 0
    while (found := _JSON_STRUCTURE.search(data, at)) is not None:
        start = found.start()
        if data[start] != 0x22:  # not a quote
            yield found.group()
            at = found.end()
            continue
        at = start + 1
        while True:
            quote = _QUOTE_AFTER_BACKSLASHES.search(data, at)
            if quote is None:  # left open
                yield data[start:]
                return
            at = quote.end()
            if (quote.end() - quote.start() - 1) % 2 == 0:  # an even run of backslashes: the quote ends the string
                yield data[start:at]
                break


def _json_string(raw: bytes) -> str:
    """A JSON string token's text (one left open runs to the end): escapes undone, escaped surrogate pairs joined,
    bad bytes replaced."""
    inner = raw[1:-1] if len(raw) > 1 and raw.endswith(b'"') and not _escaped_end(raw) else raw[1:]
    if b"\\" not in inner:
        return inner.decode("utf-8", errors="replace")
    try:  # one string literal, decoded by the json module's C code: no notebook is parsed here
        return unicode_text(_STRING_DECODER.decode('"' + inner.decode("utf-8") + '"'))
    except ValueError:  # bad UTF-8 or a bad escape: undone one by one, within a bound
        if inner.count(b"\\") > MAX_ESCAPES:
            raise _Unreadable(f"holds a string with more than {MAX_ESCAPES} malformed escapes") from None
        return unicode_text(_JSON_ESCAPE.sub(_unescape, inner.decode("utf-8", errors="replace")))


class _Unreadable(Exception):
    """A notebook beyond what is read one name at a time (the message says how): every file counts."""


_STRING_DECODER = json.JSONDecoder(strict=False)
MAX_ESCAPES = 1_000_000


def _escaped_end(raw: bytes) -> bool:
    """Whether the last quote of a string token is escaped (an odd run of backslashes before it): left open."""
    body = raw[1:-1]
    return (len(body) - len(body.rstrip(b"\\"))) % 2 == 1


def _unescape(match: re.Match) -> str:
    if match.group(1) is not None:
        return chr(int(match.group(1), 16))
    char = match.group(2)
    return _JSON_SIMPLE.get(char, char)


def _dunder(word: str) -> bool:
    return word.startswith("__") and word.endswith("__") and len(word) > 4
