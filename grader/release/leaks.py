"""What must never reach a student, and a scan of a folder for it: the reference functions' code, the
hidden checks (their ids and their suites' code), the course secret.

Code is matched by fingerprints, whitespace trimmed, comments and docstrings left out: every two
consecutive lines of a function body (or of a hidden suite), and the one line of a one-line function body
when it has at least ``MIN_LINE`` characters. A single common line (``optimizer.zero_grad()``) may appear
in the grader's own worker code, but a copied body always brings a pair of lines, or its one telling line.
"""

from __future__ import annotations

import ast
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MIN_LINE = 16
Fingerprint = tuple[str, ...]


@dataclass(frozen=True)
class Leak:
    path: Path
    what: str  # "reference code", "hidden suite code", "hidden check id", "secret"
    detail: str
    origin: str = ""  # the reference function or hidden suite the code comes from

    def __str__(self) -> str:
        return f"{self.path}: {self.what} {self.detail!r}" + (f" (from {self.origin})" if self.origin else "")


_SAYS_NOTHING = re.compile(r"^(#|import |from \S+ import |[\w.]+\(\)$|return$|pass$|[)\]}]+,?$)")


_TRAILING_COMMENT = re.compile(r"\s+#[^'\"]*$")


def _code_lines(lines: Iterable[str]) -> list[str]:
    """Lines that carry code: stripped, without comments, imports or bare calls like ``optimizer.step()``."""
    stripped = (_TRAILING_COMMENT.sub("", line).strip() for line in lines)
    return [line for line in stripped if line and not _SAYS_NOTHING.match(line)]


def _pairs(lines: list[str]) -> set[Fingerprint]:
    return set(zip(lines, lines[1:], strict=False))


def _docstring_lines(tree: ast.AST) -> set[int]:
    """Line numbers taken by docstrings (of the module, classes and functions)."""
    taken: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if ast.get_docstring(node) is not None and first is not None:
                taken.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return taken


def code_fingerprints(paths: Iterable[Path], *, functions_only: bool) -> dict[Fingerprint, str]:
    """Fingerprints of the given Python files -> where each comes from (``module.function`` or ``module``):
    of each function body (``functions_only``), or of the whole file."""
    found: dict[Fingerprint, str] = {}
    for path in sorted(paths):
        source = Path(path).read_text(encoding="utf-8")
        text = source.splitlines()
        tree = ast.parse(source)
        skip = _docstring_lines(tree)

        def lines(start: int, end: int) -> list[str]:
            return _code_lines(text[n - 1] for n in range(start, end + 1) if n not in skip)  # noqa: B023

        if not functions_only:
            for fingerprint in _pairs(lines(1, len(text))):
                found.setdefault(fingerprint, Path(path).stem)
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = lines(node.body[0].lineno, node.end_lineno or node.lineno)
                prints = _pairs(body)
                if len(body) == 1 and len(body[0]) >= MIN_LINE:
                    prints.add((body[0],))
                for fingerprint in prints:
                    found.setdefault(fingerprint, f"{Path(path).stem}.{node.name}")
    return found


def hidden_suite_fingerprints(suites_dir: Path) -> dict[Fingerprint, str]:
    """Fingerprints of ``suites_dir/hidden/*.py`` that the public suites do not share (their common
    boilerplate is public by definition)."""
    hidden = code_fingerprints((suites_dir / "hidden").glob("*.py"), functions_only=False)
    public = code_fingerprints((suites_dir / "public").glob("*.py"), functions_only=False)
    return {f: where for f, where in hidden.items() if f not in public}


def hidden_check_ids() -> list[str]:
    """The id of every hidden check of every assignment (instructor repo only)."""
    from grader.course.assignments import ASSIGNMENTS
    from grader.suites import load_checks

    checks = (c for key in ASSIGNMENTS for c in load_checks(key, include_hidden=True))
    return sorted(c.id for c in checks if c.visibility == "hidden")


def _texts(path: Path) -> Iterator[str]:
    """The text a file carries: itself, or for an archive (``.npz``, ``.zip``) each member's."""
    data = path.read_bytes()
    if path.suffix == ".npz":
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            for name in archive.files:
                array = archive[name]
                yield name + ("\n" + "\n".join(map(str, array.ravel())) if array.dtype.kind == "U" else "")
        return
    if path.suffix == ".zip":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                yield name + "\n" + archive.read(name).decode("utf-8", errors="replace")
        return
    text = data.decode("utf-8", errors="replace")
    yield text
    if path.suffix == ".ipynb":  # a notebook's cells are JSON strings: scan them as the code they hold
        try:
            cells = json.loads(text).get("cells", [])
        except (json.JSONDecodeError, AttributeError):
            return
        yield "\n".join("".join(c.get("source", "")) for c in cells if isinstance(c, dict))


def scan(
    root: Path,
    *,
    reference: dict[Fingerprint, str],
    hidden_code: dict[Fingerprint, str],
    hidden_ids: Iterable[str],
    secrets: Iterable[str],
) -> list[Leak]:
    """Every leak in the files under ``root`` (all of them, hidden files included; ``.git`` left out)."""
    hidden_ids = [i for i in hidden_ids if i]
    secrets = [s for s in secrets if s]
    leaks: set[Leak] = set()
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts):
        rel = path.relative_to(root)
        for text in _texts(path):
            lines = _code_lines(text.splitlines())
            prints = {(line,) for line in lines} | _pairs(lines)
            for what, known in (("reference code", reference), ("hidden suite code", hidden_code)):
                leaks.update(Leak(rel, what, " / ".join(f), known[f]) for f in prints & known.keys())
            leaks.update(Leak(rel, "hidden check id", i) for i in hidden_ids if i in text)
            leaks.update(Leak(rel, "secret", s[:2] + "...") for s in secrets if s in text)
    return sorted(leaks, key=str)
