"""The child imports a hand-in from the bytecode it compiled once for the banned-import scan, exactly as an import
would: same module attributes, same tracebacks, nothing left behind by a failed import."""

from __future__ import annotations

import sys
import traceback

import numpy as np
import pytest

from grader.worker.child import import_hand_in, prepare

SOURCE = (b'"""A hand-in."""\nimport numpy as np\n\n\ndef f(x):\n    return np.asarray(x) * 2\n\n\n'
          b'def g():\n    raise ValueError("no")\n')


def setup_for(name: str, source: bytes) -> dict:
    return {"files": {f"{name}.py": np.frombuffer(source, dtype=np.uint8)}, "module": name, "notebook": None}


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    return str(tmp_path)


def test_a_hand_in_imported_from_its_bytecode_is_the_module_an_import_gives(scratch):
    report, code = prepare(scratch, setup_for("handin_a", SOURCE), ["torch"])
    assert code is not None and report == {"origin": None, "banned": [], "error": "", "plots": False}
    module = import_hand_in("handin_a", scratch, code)
    try:
        assert sys.modules["handin_a"] is module and module.__name__ == "handin_a"
        assert module.__file__ == f"{scratch}/handin_a.py" and module.__doc__ == "A hand-in."
        assert module.f(3) == 6
        with pytest.raises(ValueError) as raised:
            module.g()
        last = traceback.extract_tb(raised.value.__traceback__)[-1]
        assert (last.filename, last.lineno, last.line) == (f"{scratch}/handin_a.py", 10, 'raise ValueError("no")')
    finally:
        sys.modules.pop("handin_a", None)


def test_a_hand_in_that_fails_at_import_is_not_left_in_sys_modules(scratch):
    _, code = prepare(scratch, setup_for("handin_b", b"x = 1\nraise RuntimeError('at import')\n"), [])
    with pytest.raises(RuntimeError, match="at import"):
        import_hand_in("handin_b", scratch, code)
    assert "handin_b" not in sys.modules


def test_a_hand_in_that_does_not_compile_raises_its_syntax_error_at_import(scratch):
    report, code = prepare(scratch, setup_for("handin_c", b"def broken(:\n"), ["torch"])
    assert code is None and report["banned"] == []
    with pytest.raises(SyntaxError):
        import_hand_in("handin_c", scratch, code)


def test_banned_imports_are_found_from_the_same_bytecode(scratch):
    report, _ = prepare(scratch, setup_for("handin_d", b"import numpy\nimport torch.nn as nn\n"), ["torch"])
    assert report["banned"] == ["handin_d.py line 2: torch"]
