"""The import graph shows the design: the sandboxed worker loads nothing of the grader but the protocol package
it shares (and the data sets), the protocol loads nothing else of the grader, the check library knows nothing
of the course or the pipeline, and no module reaches for another's private names.

Imports are read from the sources (every ``import`` statement, at any depth), so an import inside a function
counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

GRADER = Path(__file__).resolve().parent.parent / "grader"


def module_name(path: Path) -> str:
    parts = path.relative_to(GRADER.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import in ``path``, relative ones resolved."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(p for p in [*parts, base] if p)
            found.append((base, [alias.name for alias in node.names]))
    return found


def grader_imports(folder: str) -> dict[str, set[str]]:
    """Module -> the grader modules it imports (``from grader.x import y`` counts as ``grader.x.y`` where y is a
    module, else as ``grader.x``), for every module under ``grader/<folder>``."""
    graph = {}
    for path in sorted((GRADER / folder).rglob("*.py")):
        targets = set()
        for base, names in imports(path):
            for name in names or [""]:
                full = f"{base}.{name}" if name else base
                is_module = (GRADER.parent / Path(*full.split("."))).with_suffix(".py").is_file() or (
                    GRADER.parent / Path(*full.split(".")) / "__init__.py").is_file()
                target = full if is_module else base
                if target.split(".")[0] == "grader":
                    targets.add(target)
        graph[module_name(path)] = targets
    return graph


def outside(graph: dict[str, set[str]], allowed: tuple[str, ...]) -> dict[str, set[str]]:
    """The imports of each module that are not ``allowed`` (a module or anything below it)."""
    found = {}
    for module, targets in graph.items():
        bad = {t for t in targets if not any(t == a or t.startswith(f"{a}.") for a in allowed)}
        if bad:
            found[module] = bad
    return found


def test_the_sandboxed_worker_imports_nothing_of_the_grader_but_the_protocol_and_the_data():
    graph = grader_imports("worker")
    assert "grader.worker.child" in graph and "grader.worker.procedures" in graph
    assert outside(graph, ("grader.worker", "grader.protocol", "grader.data")) == {}


def test_the_protocol_imports_nothing_else_of_the_grader():
    graph = grader_imports("protocol")
    assert "grader.protocol.wire" in graph
    assert outside(graph, ("grader.protocol",)) == {}


def test_the_data_sets_module_imports_nothing_of_the_grader():
    assert {t for base, _ in imports(GRADER / "data.py") for t in [base] if t.startswith("grader")} == set()


def test_the_check_library_knows_nothing_of_the_course_the_suites_or_the_pipeline():
    """``grader.course.assignments`` is the table of the course's facts (which reference answers which
    assignment); it imports nothing of the grader at import time."""
    graph = grader_imports("checks")
    assert outside(graph, ("grader.checks", "grader.protocol", "grader.data", "grader.course.assignments")) == {}


def test_the_course_content_knows_nothing_of_the_suites_or_the_pipeline():
    graph = grader_imports("course")
    assert outside(graph, ("grader.course", "grader.checks", "grader.protocol", "grader.data")) == {}


@pytest.mark.parametrize("folder", sorted(p.name for p in GRADER.iterdir() if p.is_dir() and p.name != "__pycache__"))
def test_no_module_imports_a_private_name_of_another(folder):
    private = []
    for path in sorted((GRADER / folder).rglob("*.py")):
        for base, names in imports(path):
            if base.startswith("grader") and base != module_name(path):
                private += [f"{module_name(path)}: {base}.{n}" for n in names if n.startswith("_")]
    assert private == []


def test_errors_come_from_the_errors_module_not_the_command_line():
    users = [module_name(p) for p in (GRADER / "commands").rglob("*.py")
             if any(base == "grader.cli" for base, _ in imports(p))]
    assert users == []
