"""A reader for the small YAML subset our workflow template uses (PyYAML is not a dependency): block
mappings and ``- `` lists by indentation, ``[a, b]`` flow lists, quoted or plain scalars, ``#`` comments.
Anything else (anchors, multi-line strings, flow mappings) is a ``ValueError``, so the template stays simple.
"""

from __future__ import annotations

import re
from typing import Any

_KEY = re.compile(r"^([A-Za-z_][\w-]*|\"[^\"]*\"|'[^']*'):(?:\s+(.*))?$")


def _strip_comment(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):
        if ch in "\"'" and quote in (None, ch):
            quote = None if quote else ch
        elif ch == "#" and quote is None and (i == 0 or line[i - 1] == " "):
            return line[:i].rstrip()
    return line.rstrip()


def _scalar(text: str) -> Any:
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        return [_scalar(part) for part in text[1:-1].split(",") if part.strip()]
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    if text[:1] in "{&*|>!" or text.startswith("- "):
        raise ValueError(f"unsupported YAML: {text!r}")
    return {"true": True, "false": False, "null": None, "": None}.get(text, text)


def _parse(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[Any, int]:
    if lines[i][1].startswith("- "):
        items = []
        while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
            rest = lines[i][1][2:]
            if _KEY.match(rest):  # "- key: value" opens a mapping at the item's inner indent
                lines[i] = (indent + 2, rest)
                value, i = _parse(lines, i, indent + 2)
            else:
                value, i = _scalar(rest), i + 1
            items.append(value)
        return items, i
    mapping: dict[str, Any] = {}
    while i < len(lines) and lines[i][0] == indent:
        match = _KEY.match(lines[i][1])
        if not match:
            raise ValueError(f"unsupported YAML line: {lines[i][1]!r}")
        key, rest = _scalar(match.group(1)), match.group(2)
        if rest:
            mapping[key], i = _scalar(rest), i + 1
        elif i + 1 < len(lines) and lines[i + 1][0] > indent:
            mapping[key], i = _parse(lines, i + 1, lines[i + 1][0])
        elif i + 1 < len(lines) and lines[i + 1][0] == indent and lines[i + 1][1].startswith("- "):
            mapping[key], i = _parse(lines, i + 1, indent)
        else:
            mapping[key], i = None, i + 1
    if i < len(lines) and lines[i][0] > indent:
        raise ValueError(f"bad indentation at {lines[i][1]!r}")
    return mapping, i


def load(text: str) -> Any:
    """The document in ``text``."""
    lines = []
    for raw in text.splitlines():
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise ValueError("tabs in indentation")
        line = _strip_comment(raw)
        if line.strip():
            lines.append((len(line) - len(line.lstrip()), line.strip()))
    if not lines:
        return None
    value, end = _parse(lines, 0, lines[0][0])
    if end != len(lines):
        raise ValueError(f"could not read from {lines[end][1]!r}")
    return value
