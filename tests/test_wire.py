"""The frame format: round trips of plain data, rejection of everything else, hostile bytes."""

from __future__ import annotations

import io
import math
import socket
import struct
import time

import numpy as np
import pytest

from grader.protocol import wire
from grader.protocol.markers import Builtin, Rng


def roundtrip(value, marker=None):
    return wire.decode(wire.encode(value), marker=marker)


def same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return type(b) is np.ndarray and (a.dtype, a.shape) == (b.dtype, b.shape) and np.array_equal(a, b, True)
    if isinstance(a, float) and math.isnan(a):
        return type(b) is float and math.isnan(b)
    if isinstance(a, (list, tuple)):
        return type(b) is type(a) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return type(b) is dict and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize(
    "value",
    [
        None, True, False, 0, -7, 2**70, 1.5, float("nan"), float("inf"), -float("inf"), "", "héllo\n",
        [], [1, [2, [3.0, None]]], {"a": 1, "b": {"c": [True]}}, {"": "empty key"},
        np.arange(12.0).reshape(3, 4), np.zeros((0, 5)), np.array(3.5), np.array([True, False]),
        np.arange(6, dtype=np.int32), np.arange(6, dtype=np.uint8), np.array([1 + 2j]), np.float16([1, 2]),
        np.array([np.nan, np.inf, -np.inf]),
    ],
)
def test_plain_data_round_trips(value):
    assert same(value, roundtrip(value))


def test_tuples_stay_tuples_and_numpy_scalars_become_python_numbers():
    out = roundtrip((np.float32(0.5), np.int64(3), np.bool_(True), (1, 2), [3]))
    assert out == (0.5, 3, True, (1, 2), [3])
    assert [type(x) for x in out[:3]] == [float, int, bool]
    # A shape sent to add_backward must compare equal to an array's .shape.
    assert np.zeros((2, 3)).shape == roundtrip((2, 3))


def test_non_contiguous_and_fortran_arrays_keep_their_values():
    a = np.arange(20.0).reshape(4, 5)
    assert np.array_equal(roundtrip(a[:, ::2]), a[:, ::2])
    assert np.array_equal(roundtrip(np.asfortranarray(a)), a)


def test_markers_cross_only_where_a_resolver_is_given():
    frame = wire.encode([Builtin("cube"), Rng(7)])
    assert wire.decode(frame, marker=lambda tag, body: (tag, body)) == [("builtin", "cube"), ("rng", 7)]
    with pytest.raises(wire.WireError, match="unexpected tag"):
        wire.decode(frame)


class AlwaysEqual:
    def __eq__(self, other):
        return True


class SneakyFloat(float):
    def __eq__(self, other):
        return True


class SneakyArray(np.ndarray):
    def __eq__(self, other):
        return True


def _generator():
    yield 1


def _nested(depth):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "value, reason",
    [
        (AlwaysEqual(), "AlwaysEqual"),
        (SneakyFloat(1.0), "SneakyFloat"),
        (np.zeros(3).view(SneakyArray), "SneakyArray"),
        (_generator(), "generator"),
        (np.array([object()], dtype=object), "dtype object"),
        (np.array(["a"]), "dtype <U1"),
        (np.zeros(2, dtype=[("x", "f8")]), "dtype"),
        (np.array(["2020-01-01"], dtype="datetime64[D]"), "dtype"),
        ({1: 2}, "non-str keys"),
        ({1, 2}, "set"),
        (b"bytes", "bytes"),
        (np.longdouble(1.0), "longdouble"),
        (2**300, "256 bits"),
        (_nested(wire.MAX_DEPTH + 5), "nested"),
    ],
)
def test_anything_else_is_rejected_with_a_reason(value, reason):
    with pytest.raises(wire.WireError, match=reason):
        wire.encode(value)


def test_oversized_values_are_rejected(monkeypatch):
    monkeypatch.setattr(wire, "MAX_FRAME_BYTES", 10_000)
    with pytest.raises(wire.WireError, match="larger than"):
        wire.encode(np.zeros(5_000))


def test_too_many_arrays_are_rejected_on_both_sides(monkeypatch):
    frame = wire.encode([np.zeros(1)] * 5)
    monkeypatch.setattr(wire, "MAX_ARRAYS", 4)
    with pytest.raises(wire.WireError, match="more than 4 arrays"):
        wire.encode([np.zeros(1)] * 5)
    with pytest.raises(wire.WireError, match="more than 4 arrays"):
        wire.decode(frame)


def _frame(header: bytes, *arrays: bytes) -> bytes:
    payload = struct.pack("!I", len(header)) + header + b"".join(arrays)
    return wire.PREFIX.pack(wire.MAGIC, len(payload)) + payload


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def test_a_forged_array_header_is_rejected_before_allocating():
    honest = _npy(np.zeros(2))
    forged = honest.replace(b"'shape': (2,), ", b"'shape': (9999999999999,),")  # same header length
    with pytest.raises(wire.WireError, match="does not match"):
        wire.decode(_frame(b'{"v": {"a": 0}, "a": [%d]}' % len(forged), forged))


def test_a_pickled_object_array_is_rejected():
    buf = io.BytesIO()
    np.save(buf, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    data = buf.getvalue()
    with pytest.raises(wire.WireError, match="not accepted"):
        wire.decode(_frame(b'{"v": {"a": 0}, "a": [%d]}' % len(data), data))


def test_lone_surrogates_come_out_as_replacement_characters():
    """A JSON escape can carry half of a surrogate pair, which no UTF-8 file or database can store: a child's
    exception message holding one once stopped the gradebook of the whole class."""
    header = b'{"v": {"d": {"message": "a\\ud800b", "k\\udcff": ["\\udfff", "\\ud83d\\ude00"]}}, "a": []}'
    decoded = wire.decode(_frame(header))

    assert decoded == {"message": "a\ufffdb", "k\ufffd": ["\ufffd", "\U0001f600"]}  # a whole pair is one character
    assert str(decoded).encode("utf-8")


@pytest.mark.parametrize(
    "header",
    [b"not json", b"[]", b'{"v": 1}', b'{"v": {"x": 1}, "a": []}', b'{"v": {"a": 3}, "a": []}',
     b'{"v": 1, "a": [5]}', b'{"v": 1, "a": [-1]}', b'{"v": ' + b"[" * 100_000 + b"]" * 100_000 + b', "a": []}',
     b'{"v": {"d": 5}, "a": []}', b'{"v": 1' + b"1" * 5000 + b', "a": []}'],
)
def test_malformed_headers_raise_wire_errors(header):
    with pytest.raises(wire.WireError):
        wire.decode(_frame(header))


def test_a_prefix_announcing_a_huge_frame_is_refused():
    with pytest.raises(wire.WireError, match="exceeds"):
        wire.payload_length(wire.PREFIX.pack(wire.MAGIC, 2**60))
    with pytest.raises(wire.WireError, match="magic"):
        wire.payload_length(b"HTTP/1.1 200")


def test_random_and_mutated_bytes_never_escape_as_other_errors():
    rng = np.random.default_rng(0)
    valid = wire.encode({"value": np.arange(10.0), "list": [1, "two", None]})
    for _ in range(1500):
        if rng.random() < 0.5:
            data = rng.bytes(int(rng.integers(0, 200)))
        else:
            data = bytearray(valid)
            for i in rng.integers(0, len(data), size=int(rng.integers(1, 8))):
                data[i] = int(rng.integers(0, 256))
            data = bytes(data)
        try:
            wire.decode(data)
        except wire.WireError:
            pass


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def test_frames_cross_a_socket(pair):
    a, b = pair
    wire.send_frame(a, wire.encode({"x": np.ones(3)}))
    assert np.array_equal(wire.decode_payload(wire.recv_frame(b, time.monotonic() + 5))["x"], np.ones(3))


def test_receiving_times_out_and_notices_a_closed_peer(pair):
    a, b = pair
    with pytest.raises(TimeoutError):
        wire.recv_frame(b, time.monotonic() + 0.2)
    a.sendall(wire.encode(1)[:5])
    a.close()
    with pytest.raises(wire.ChannelClosed):
        wire.recv_frame(b, time.monotonic() + 5)


@pytest.mark.parametrize("array", [np.zeros(3), np.arange(12.0).reshape(3, 4), np.asfortranarray(np.ones((3, 2))),
                                   np.array(2.5), np.zeros((0, 3)), np.arange(5, dtype=">i4"), np.array([True, False]),
                                   np.ones((2, 3, 4), dtype=np.float32)[:, ::2], np.array([1 + 2j])])
def test_arrays_cross_as_the_npy_bytes_np_save_writes_and_come_back_writable(array):
    assert wire._npy(array) == _npy(array)
    back = wire.decode(wire.encode(array))
    assert back.dtype == array.dtype and back.shape == array.shape and np.array_equal(back, array)
    assert back.flags.writeable and back.flags.owndata
    fortran = array.flags.f_contiguous and not array.flags.c_contiguous
    assert back.flags.f_contiguous if fortran else back.flags.c_contiguous


def test_an_npy_header_of_another_layout_is_still_read_by_numpys_reader():
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.arange(3.0), version=(2, 0))
    data = buf.getvalue()
    back = wire.decode(_frame(b'{"v": {"a": 0}, "a": [%d]}' % len(data), data))
    assert np.array_equal(back, np.arange(3.0))


@pytest.mark.parametrize("header", ["{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",  # 8 bytes follow
                                    "{'descr': '<f3', 'fortran_order': False, 'shape': (1,), }",
                                    "{'descr': '|O8', 'fortran_order': False, 'shape': (1,), }",
                                    "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 9999999999999999999), }"])
def test_a_forged_plain_header_is_rejected(header):
    encoded = (header + "\n").encode()
    data = wire.NPY_MAGIC + struct.pack("<H", len(encoded)) + encoded + bytes(8)
    with pytest.raises(wire.WireError):
        wire.decode(_frame(b'{"v": {"a": 0}, "a": [%d]}' % len(data), data))


@pytest.mark.parametrize("array", [
    np.asfortranarray(np.arange(12.0).reshape(3, 4)), np.arange(20.0)[::3], np.arange(6, dtype=">i4").reshape(2, 3),
    np.array([True, False, True]), np.array([1 + 2j, -3j]), np.zeros((0, 4)), np.array(2.5),
], ids=["fortran", "strided", "big-endian", "bool", "complex", "empty", "0-d"])
def test_arrays_in_shared_memory_read_back_as_sent(array):
    """What the child is handed and what the grader reads back: the array's values, shape and dtype, whatever
    its memory layout."""
    from grader.sandbox.shared_args import SharedArgs

    with SharedArgs([[array], {"kw": array}]) as shared:
        (positional, keywords) = shared.read_back()
    for back in (positional[0], keywords["kw"]):
        assert back.dtype == array.dtype and back.shape == array.shape and np.array_equal(back, array)


class _PeerThatEndsAfterTheFrame:
    """A socket whose peer reads the whole frame at once, runs and ends: any further send fails."""

    def __init__(self) -> None:
        self.sent = b""

    def settimeout(self, timeout: float | None) -> None:
        pass

    def sendmsg(self, buffers: list[bytes], ancillary: list) -> int:
        self.sent += buffers[0]
        return len(buffers[0])

    def sendall(self, data: bytes) -> None:
        raise BrokenPipeError("the peer has ended")


def test_a_frame_sent_whole_is_not_followed_by_a_send_a_finished_peer_would_refuse():
    """A child may read a batch of calls, run them, reply and end before the grader's send returns: the send
    must not fail then (it would lose the replies waiting to be read)."""
    sock = _PeerThatEndsAfterTheFrame()
    frame = wire.encode({"op": "calls"})

    wire.send_frame(sock, frame, time.monotonic() + 1, fds=[0])  # type: ignore[arg-type]

    assert sock.sent == frame
