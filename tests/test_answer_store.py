"""Slow reference answers kept on disk (``grader.pipeline.answer_store``): read back as they were computed, shared by
other processes and later runs, never a damaged or outdated one, and a judge that finds them never imports torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from slow_training import SLOW_TRAINING

from grader.course.assignments import REPO_ROOT
from grader.pipeline import answer_store
from grader.pipeline.answer_store import AnswerStore
from grader.pipeline.resources import CachedReferences
from grader.protocol.markers import Rng

ANSWER = [[np.arange(6.0).reshape(2, 3), np.array([1, 2], dtype=np.int64)], {"loss": 0.25, "epochs": 3,
          "name": "sgd", "none": None, "nan": float("nan"), "flags": np.array([True, False])}, -1.5e-300]


class Slow:
    """A reference whose every answer counts as slow; raises once told it must not be asked."""

    def __init__(self) -> None:
        self.calls = 0
        self.forbidden = False

    def __call__(self, assignment, function, args, kwargs):
        if self.forbidden:
            raise AssertionError("computed although it was stored")
        self.calls += 1
        return [np.asarray(args[0]) * 2, {"seed": args[1].seed}]


def cached(inner, folder: Path) -> CachedReferences:
    references = CachedReferences(inner, answers=folder)
    references.SLOW_SECONDS = references.STORED_SECONDS = -1.0  # every answer counts as slow enough to store
    return references


def same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    return type(a) is type(b) and a == b


def test_an_answer_reads_back_exactly_as_it_was_stored(tmp_path) -> None:
    store = AnswerStore(tmp_path)
    assert store.get("lab", "fit_layers", "k1") == (False, None)
    store.put("lab", "fit_layers", "k1", ANSWER)

    found, answer = AnswerStore(tmp_path).get("lab", "fit_layers", "k1")  # another process's store

    assert found and same(answer, ANSWER)
    assert [p.suffix for p in tmp_path.iterdir()] == [".npz"]  # no temporary file left behind


def test_another_process_reads_a_slow_answer_instead_of_computing_it(tmp_path) -> None:
    first, inner = Slow(), Slow()
    computed = cached(first, tmp_path)("lab", "fit_layers", (np.ones(3), Rng(4)), {})
    inner.forbidden = True

    again = cached(inner, tmp_path)("lab", "fit_layers", (np.ones(3), Rng(4)), {})

    assert first.calls == 1 and same(again, computed)
    with pytest.raises(AssertionError, match="computed although"):  # other arguments: not stored, computed
        cached(inner, tmp_path)("lab", "fit_layers", (np.ones(3), Rng(5)), {})


def test_fast_answers_stay_in_memory(tmp_path) -> None:
    references = CachedReferences(Slow(), answers=tmp_path)  # Slow answers in microseconds

    references("lab", "fit_layers", (np.ones(3), Rng(4)), {})

    assert not any(tmp_path.glob("*.npz"))


@pytest.mark.parametrize("damage", [b"", b"not a zip file", b"PK\x03\x04" + bytes(100)])
def test_a_damaged_file_is_computed_again_and_replaced(tmp_path, damage) -> None:
    store = AnswerStore(tmp_path)
    store.put("lab", "fit_layers", "k1", ANSWER)
    stored, = tmp_path.glob("*.npz")
    stored.write_bytes(damage)
    inner = Slow()

    answer = cached(inner, tmp_path)("lab", "fit_layers", (np.ones(3), Rng(4)), {})
    assert store.get("lab", "fit_layers", "k1") == (False, None) and inner.calls == 1
    assert same(answer, [np.full(3, 2.0), {"seed": 4}])


def test_a_file_that_needs_pickle_is_never_unpickled(tmp_path) -> None:
    store = AnswerStore(tmp_path)
    store.put("lab", "fit_layers", "k1", ANSWER)
    stored, = tmp_path.glob("*.npz")
    with stored.open("wb") as file:  # an object array can only load through pickle
        np.savez(file, __index__=np.array(json.dumps({"answer": {"__array__": "a0"}})),
                 a0=np.array([object()], dtype=object))

    assert store.get("lab", "fit_layers", "k1") == (False, None)


def test_an_answer_of_other_reference_code_or_library_versions_is_not_used(tmp_path, monkeypatch) -> None:
    AnswerStore(tmp_path).put("lab", "fit_layers", "k1", ANSWER)

    monkeypatch.setattr("grader.checks.fingerprint.module_digest", lambda names: "edited reference code")
    assert AnswerStore(tmp_path).get("lab", "fit_layers", "k1") == (False, None)
    monkeypatch.undo()
    version = answer_store._version
    monkeypatch.setattr(answer_store, "_version", lambda name: "9.9" if name == "torch" else version(name))
    assert AnswerStore(tmp_path).get("lab", "fit_layers", "k1") == (False, None)
    monkeypatch.undo()
    assert AnswerStore(tmp_path).get("lab", "fit_layers", "k1")[0]


def test_the_oldest_files_go_beyond_the_bound(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(answer_store, "MAX_FILES", 3)
    store = AnswerStore(tmp_path)
    for n in range(5):
        store.put("lab", "fit_layers", f"k{n}", [float(n)])
        stored = store._path("lab", "fit_layers", f"k{n}")
        os.utime(stored, ns=(n * 10**9, n * 10**9))  # written a second apart

    assert [store.get("lab", "fit_layers", f"k{n}")[0] for n in range(5)] == [False, False, True, True, True]


def test_a_folder_that_cannot_be_written_costs_nothing_but_the_sharing(tmp_path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder should be")
    inner = Slow()

    answer = cached(inner, blocked / "answers")("lab", "fit_layers", (np.ones(3), Rng(4)), {})

    assert inner.calls == 1 and same(answer, [np.full(3, 2.0), {"seed": 4}])


JUDGE = SLOW_TRAINING + """
import sys
from pathlib import Path
from grader.authoring.samples import reference_submission
from grader.pipeline.discover import discover
from grader.pipeline.engine import grade_many
from grader.pipeline.resources import default_references, sandbox_sessions
from grader.suites import load_checks

if __name__ == "__main__":
    root, answers = Path(sys.argv[1]), Path(sys.argv[2])
    subs = discover(root, ["lab"])
    checks = load_checks("lab", include_hidden=True)
    with sandbox_sessions(1) as open_session:
        graded = list(grade_many(subs, lambda key: checks, open_session, default_references(answers=answers),
                                 "a secret", jobs=1, progress=False))
    print("torch" in sys.modules)
    print(sorted((r.check_id, r.points, r.status) for g in graded for r in g.results))
"""


@pytest.mark.slow
def test_the_grader_never_imports_torch_for_the_lab_and_a_later_run_reads_the_same_rows(tmp_path) -> None:
    """The lab's build_mlp check trains the hand-in's initial weights in the grader, in numpy: neither run's grader
    process loads torch (its sandbox workers do); the first stores the trained weights, the next reads them."""
    pytest.importorskip("torch")
    from grader.authoring.samples import reference_submission, write_submission

    write_submission(tmp_path / "class" / "ada", reference_submission())
    script = tmp_path / "judge.py"
    script.write_text(JUDGE)
    runs = []
    for _ in range(2):
        done = subprocess.run([sys.executable, str(script), str(tmp_path / "class"), str(tmp_path / "answers")],
                              capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
        assert done.returncode == 0, done.stderr
        runs.append(done.stdout.splitlines())
        assert len(list((tmp_path / "answers").glob("*.npz"))) == 1
    assert [run[0] for run in runs] == ["False", "False"]
    assert runs[0][1] == runs[1][1] and "'pass'" in runs[0][1] and "'fail'" not in runs[0][1]
