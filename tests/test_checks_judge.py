"""Judging outcomes: comparison order and tolerances, feedback wording, known mistakes, references, run_check."""

from __future__ import annotations

import gc
import threading

import numpy as np
import pytest
from inprocess_worker import InProcessWorker

from grader.checks.base import Check, Kind, Verdict
from grader.checks.compare import ANY, compare
from grader.checks.judge import judge_value, outcome_failure
from grader.checks.mistakes import match
from grader.checks.references import (
    LiveReferences,
    MissingRecording,
    NotPlainData,
    RecordedReferences,
    RecordingReferences,
    args_key,
    collector_paused,
    to_plain,
)
from grader.course.hw2.rules.linear import TRANSPOSED_DW
from grader.protocol.markers import Builtin, Rng
from grader.protocol.outcomes import Crashed, Raised, Returned, TimedOut
from grader.suites.runner import run_check

RNG = np.random.default_rng(0)
DX, DW, DB = RNG.normal(size=(4, 3)), RNG.normal(size=(2, 3)), RNG.normal(size=2)
LIN = ("dX", "dW", "db")


def judge(value, expected=(DX, DW, DB), **kwargs):
    return judge_value(Returned(value), expected, target="linear_backward", names=LIN, **kwargs)


def test_transposed_dW_names_shapes_and_the_mistake():
    verdict = judge([DX, DW.T, DB], variants={TRANSPOSED_DW: [DX, DW.T, DB]})
    assert verdict.status == "fail" and verdict.mistake == "transposed_dW"
    assert "dW has shape (3, 2), expected (2, 3)" in verdict.message
    assert TRANSPOSED_DW.hint in verdict.message


def test_mistake_is_named_even_when_another_part_is_wrong_too():
    assert match([DX + 1, DW, DB / 4], [DX, DW, DB], {"db_averaged": [DX, DW, DB / 4]}) == "db_averaged"


def test_a_mistake_that_changes_nothing_never_matches():
    assert match([DX + 1, DW, DB], [DX, DW, DB], {"relu_strict_at_zero": [DX, DW, DB]}) is None


def test_hidden_messages_never_show_expected_values_or_shapes():
    shape = judge([DX, DW.T, DB], hidden=True).message
    values = judge([DX, DW + 1, DB], hidden=True).message
    assert "(2, 3)" not in shape and "(3, 2)" not in shape and "does not have the expected shape" in shape
    assert "e.g." not in values and "largest error" in values


def test_public_messages_point_at_a_wrong_entry():
    message = judge([DX, DW, DB + np.array([0.0, 1.0])]).message
    assert "db has wrong values" in message and "at index [1]" in message


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (None, "got None (a missing return?)"),
        ([DX, DW], "should hold 3 values; got 2"),
        (DX, "should be a tuple (dX, dW, db)"),
        ([DX, DW, "db"], "db should be an array; got a str"),
        ([DX, DW, DB.astype(complex)], "db should be an array"),
        ([DX, np.full_like(DW, np.nan), DB], "NaN or inf"),
    ],
)
def test_structure_problems_are_explained(value, words):
    verdict = judge(value)
    assert verdict.fraction == 0 and words in verdict.message


def test_scalars_accept_numbers_and_0d_arrays_but_not_shape_1():
    assert judge_value(Returned(np.float64(0.5)), 0.5, target="mse_forward").status == "pass"
    assert judge_value(Returned(np.array(0.5)), 0.5, target="mse_forward").status == "pass"
    verdict = judge_value(Returned(np.array([0.5])), 0.5, target="mse_forward")
    assert verdict.status == "fail" and "single number" in verdict.message


def test_float32_within_its_precision_passes_and_a_real_error_does_not():
    assert judge([DX.astype(np.float32), DW.astype(np.float32), DB.astype(np.float32)]).status == "pass"
    assert judge([DX * (1 + 1e-5), DW, DB]).status == "fail"  # float64 holds to 1e-6
    assert judge([(DX * (1 + 1e-3)).astype(np.float32), DW, DB]).status == "fail"


def test_cancellation_in_a_correct_formula_is_not_an_error():
    expected = np.array([1.0, 1e-13])
    assert compare(np.array([1.0, 1.2e-13]), expected) is None


def test_any_accepts_whatever_came_back():
    assert compare([np.ones(2), {"cache": 1}], [np.ones(2), ANY]) is None


def test_dicts_none_and_strings_compare_by_key_and_equality():
    expected = {"mean": np.zeros(2), "params": [[np.ones((2, 2)), np.ones(2)]], "kind": "mlp", "extra": None}
    assert compare({**expected, "more": 1}, expected) is None
    assert "lacks the key(s) ['kind']" in compare({k: v for k, v in expected.items() if k != "kind"}, expected).message
    assert compare({**expected, "mean": np.ones(2)}, expected).name == "result['mean']"
    assert compare({**expected, "kind": "cnn"}, expected).problem == "type"


def test_stderr_never_costs_points():
    outcome = Returned([DX, DW, DB], stderr="RuntimeWarning: overflow encountered in exp\n" * 50)
    assert judge_value(outcome, [DX, DW, DB], target="linear_backward").status == "pass"


@pytest.mark.parametrize(
    ("outcome", "status", "words"),
    [
        (Raised("NotImplementedError", "hw2.relu_forward", ""), "error", "not implemented yet"),
        (Raised("ValueError", "shapes (4,3) and (2,3) not aligned",
                'Traceback:\n  File "/home/ann/backprop.py", line 12, in relu_forward\n'),
         "error", 'raised ValueError: shapes (4,3) and (2,3) not aligned (File "backprop.py", line 12'),
        (TimedOut(10.0), "timeout", "did not finish within 10 s"),
        (TimedOut(1.0137), "timeout", "did not finish within 1 s"),  # stopped a little late: the same message
        (TimedOut(0.5), "timeout", "did not finish within 0.5 s"),
        (Crashed("killed by signal 9 (memory limit?)"), "error", "memory limit"),
        (Crashed("bad reply: returned a Cheater"), "error", "not numbers or arrays"),
    ],
)
def test_calls_that_did_not_return_earn_nothing(outcome, status, words):
    verdict = outcome_failure(outcome, "relu_forward")
    assert verdict.status == status and verdict.fraction == 0 and words in verdict.message
    assert outcome_failure(Returned(1.0), "relu_forward") is None


def test_to_plain_turns_tuples_into_lists_and_refuses_objects():
    assert to_plain((np.float64(1.5), [np.int64(2)])) == [1.5, [2]]
    with pytest.raises(NotPlainData):
        to_plain(object())


def test_args_key_is_stable_and_tuples_hash_like_lists():
    a = (np.arange(6.0).reshape(2, 3), (2, 3), Builtin("cube"), Rng(4), 0.1)
    assert args_key(a, {}) == args_key(tuple(list(x) if isinstance(x, tuple) else x for x in a), {})
    assert args_key(a, {}) != args_key(a, {"eps": 1e-3})
    assert args_key((np.zeros(2),), {}) != args_key((np.zeros(2, dtype=np.float32),), {})


def test_live_references_resolve_markers_and_leave_inputs_alone():
    refs = LiveReferences()
    w0 = np.zeros(2)
    X, Y = np.eye(2), np.ones(2)
    first = refs("hw1", "sgd", (Builtin("huber_grad"), w0, X, Y, 0.1, 5, Rng(3)), {})
    again = refs("hw1", "sgd", (Builtin("huber_grad"), w0, X, Y, 0.1, 5, Rng(3)), {})
    np.testing.assert_array_equal(first, again)
    assert not np.any(w0)


def test_recordings_round_trip_and_say_when_an_answer_is_missing(tmp_path):
    recorder = RecordingReferences()
    args = (np.ones((2, 2)), np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3) / 7)
    answer = recorder("hw2", "linear_backward", args, {})
    recorder("hw2", "mse_forward", (np.ones((2, 2)), np.zeros((2, 2))), {})
    recorder.save(tmp_path / "answers.npz")
    replay = RecordedReferences(tmp_path / "answers.npz")
    assert compare(replay("hw2", "linear_backward", args, {}), answer, rtol=0) is None
    assert replay("hw2", "mse_forward", (np.ones((2, 2)), np.zeros((2, 2))), {}) == 1.0
    with pytest.raises(MissingRecording, match="record the public checks again"):
        replay("hw2", "mse_forward", (np.ones((2, 2)), np.ones((2, 2))), {})


def broken(ctx) -> Verdict:
    raise KeyError("oops")


def fine(ctx) -> Verdict:
    return Verdict.ok()


def test_run_check_turns_a_broken_check_into_an_internal_error():
    kinds = {"broken": Kind(broken, "value", "raises"), "fine": Kind(fine, "value", "passes")}
    check = Check("hw2.relu_forward.public.broken", "broken", 1)
    worker = InProcessWorker.from_module("reference.backprop_np")
    verdict = run_check(check, worker, LiveReferences(), "", kinds=kinds)
    assert verdict.status == "error" and "internal grader error" in verdict.message and "oops" in verdict.message
    assert run_check(Check("hw2.relu_forward.public.fine", "fine", 1), worker, LiveReferences(), "",
                     kinds=kinds).status == "pass"
    unknown = run_check(Check("hw2.relu_forward.public.unknown", "no_such_kind", 1), worker, LiveReferences(), "")
    assert unknown.status == "error" and "no_such_kind" in unknown.message


def test_in_process_worker_reports_raises_exits_and_non_data():
    import types

    module = types.ModuleType("m")
    module.boom = lambda: 1 / 0
    module.leave = lambda: exit(3)
    module.cheat = lambda: object()
    module.touch = lambda a: a.fill(0.0)
    worker = InProcessWorker.from_module(module)
    assert isinstance(worker.call("boom", (), {}, timeout=1), Raised)
    assert "exited with status 3" in worker.call("leave", (), {}, timeout=1).reason
    assert isinstance(worker.call("cheat", (), {}, timeout=1), Crashed)
    sent = np.ones(2)
    outcome = worker.call("touch", (sent,), {}, timeout=1)
    assert np.all(sent == 1) and np.all(outcome.args_after[0] == 0)


@pytest.mark.parametrize(("kept", "frozen"), [(1_000, False), (200_000, True)])
def test_a_pause_that_left_an_import_alive_freezes_it_instead_of_scanning_it(kept, frozen):
    """What a long pause leaves alive (an import's objects) is frozen, not scanned by the next passes; after a short
    one the collector scans as usual."""
    gc.collect()
    before = gc.get_freeze_count()
    try:
        with collector_paused():
            alive = [[] for _ in range(kept)]  # tracked objects that outlive the pause, as an import's do
        assert gc.isenabled()
        assert (gc.get_freeze_count() >= before + kept) is frozen
        assert (gc.get_freeze_count() == before) is not frozen
        del alive
    finally:
        gc.unfreeze()


def test_reference_code_runs_with_the_collector_paused_and_restored(tmp_path, monkeypatch):
    """A reference's first call may import torch: no collection pass then. Overlapping pauses (threads) end with the
    collector as it was before the first."""
    (tmp_path / "paused_reference.py").write_text("import gc\n\ndef collecting():\n    return gc.isenabled()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert gc.isenabled()
    assert LiveReferences({"t": "paused_reference"})("t", "collecting", (), {}) is False
    assert gc.isenabled()

    inside, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with collector_paused():
            inside.set()
            leave.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    inside.wait(10)
    with collector_paused():
        pass
    assert not gc.isenabled()  # the other pause still stands
    leave.set()
    holder.join()
    assert gc.isenabled()

    gc.disable()  # a caller that had it off keeps it off
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
