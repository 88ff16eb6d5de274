"""The frame format between the grader and the sandboxed worker.

A frame is ``MAGIC | uint64 payload length | payload``; the payload is ``uint32 header length | JSON
header | arrays``. The header is ``{"v": <value>, "a": [<byte length of each array>]}`` and each array
is an ``.npy`` file written with ``np.save(allow_pickle=False)``. In the value tree JSON objects are
always tags with one key: ``{"d": {...}}`` a dict with str keys, ``{"a": i}`` array ``i``,
``{"builtin": name}``, ``{"rng": seed}`` and ``{"m": [offset, dtype, shape]}`` the argument markers of
``grader.protocol.markers``. A frame may carry file descriptors (the memory of shared arrays) attached
to its first bytes; only the grader ever sends them.

The decoder treats its input as hostile (a child may write any bytes): sizes are checked before
anything is allocated, nesting and node counts are capped, arrays are numeric or bool only, and text is Unicode
that UTF-8 can hold (a lone surrogate becomes U+FFFD).
"""

from __future__ import annotations

import array
import io
import json
import math
import re
import socket
import struct
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from grader.protocol.markers import Builtin, Rng, SharedArray
from grader.protocol.text import unicode_text

MAGIC = b"GRW1"
PREFIX = struct.Struct("!4sQ")
HEADER_LEN = struct.Struct("!I")
MAX_FRAME_BYTES = 256 * 2**20
MAX_HEADER_BYTES = 16 * 2**20
MAX_DEPTH = 32
MAX_NODES = 200_000
MAX_ARRAYS = 100_000
FD_SIZE = array.array("i").itemsize
ARRAY_KINDS = "biufc"  # bool, signed, unsigned, float, complex
NPY_MAGIC = b"\x93NUMPY\x01\x00"  # .npy version 1.0
NPY_ALIGN = 64
# The header ``np.save`` writes for a plain numeric array, which ``_npy`` writes too. Read by this pattern
# rather than by numpy's reader, which evaluates the header as a Python literal (about 0.1 ms an array);
# any other header still goes through numpy's reader.
NPY_HEADER = re.compile(r"\{'descr': '([<>|=][biufc]\d{1,2})', 'fortran_order': (False|True), "
                        r"'shape': \(((?:\d{1,19}, )*(?:\d{1,19},?)?)\), \} *\n")


def array_bytes(value: Any) -> int:
    """Bytes of the arrays in a value tree (lists, tuples, dicts), the rest counted as nothing."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, (list, tuple)):
        return sum(map(array_bytes, value))
    if isinstance(value, dict):
        return sum(map(array_bytes, value.values()))
    return 0


class WireError(ValueError):
    """A value that cannot cross, or bytes that are not a valid frame; the message says why."""


def _scalar_types() -> dict[type, type]:
    ints = (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
    floats = (np.float16, np.float32, np.float64)
    return {np.bool_: bool, **{t: int for t in ints}, **{t: float for t in floats}}


_SCALARS = _scalar_types()


def _describe(value: Any) -> str:
    t = type(value)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


class _Encoder:
    def __init__(self, convert: Callable[[Any], Any] | None) -> None:
        self.arrays: list[bytes] = []
        self.size = 0
        self.nodes = 0
        self.convert = convert

    def array(self, a: np.ndarray) -> dict:
        if a.dtype.kind not in ARRAY_KINDS or a.dtype.fields is not None:
            raise WireError(f"an array of dtype {a.dtype} cannot be graded: use a numeric or bool array")
        data = _npy(a)
        self.size += len(data)
        if self.size > MAX_FRAME_BYTES:
            raise WireError(f"the value is larger than the {MAX_FRAME_BYTES // 2**20} MB limit")
        if len(self.arrays) >= MAX_ARRAYS:
            raise WireError(f"the value holds more than {MAX_ARRAYS} arrays")
        self.arrays.append(data)
        return {"a": len(self.arrays) - 1}

    def value(self, v: Any, depth: int = 0) -> Any:
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise WireError(f"the value is nested deeper than {MAX_DEPTH} levels or has too many items")
        t = type(v)
        if v is None or t is bool or t is str:
            return v
        if t is int:
            if v.bit_length() > 256:
                raise WireError("an integer with more than 256 bits cannot be graded")
            return v
        if t is float:
            return v
        if t in _SCALARS:
            return self.value(_SCALARS[t](v), depth)
        if t is np.ndarray:
            return self.array(v)
        if t is list:
            return [self.value(x, depth + 1) for x in v]
        if t is tuple:
            # Kept apart from lists: a shape must arrive as a tuple (``dX.shape != shape`` is always
            # true for a list).
            return {"t": [self.value(x, depth + 1) for x in v]}
        if t is dict:
            if not all(type(k) is str for k in v):
                raise WireError("a dict with non-str keys cannot be graded")
            return {"d": {k: self.value(x, depth + 1) for k, x in v.items()}}
        if t is Builtin and type(v.name) is str:
            return {"builtin": v.name}
        if t is Rng and type(v.seed) is int:
            return {"rng": v.seed}
        if t is SharedArray:
            return {"m": [int(v.offset), str(v.dtype), [int(n) for n in v.shape]]}
        if self.convert is not None:
            converted = self.convert(v)
            if converted is not None:
                return self.value(converted, depth)
        raise WireError(f"a value of type {_describe(v)} cannot be graded: return numbers, lists or numeric arrays")


def encode(value: Any, convert: Callable[[Any], Any] | None = None) -> bytes:
    """One frame holding ``value``. ``convert`` may turn other types into plain data (None: cannot)."""
    enc = _Encoder(convert)
    tree = enc.value(value)
    header = json.dumps({"v": tree, "a": [len(a) for a in enc.arrays]}, allow_nan=True).encode()
    payload = b"".join([HEADER_LEN.pack(len(header)), header, *enc.arrays])
    if len(payload) > MAX_FRAME_BYTES:
        raise WireError(f"the value is larger than the {MAX_FRAME_BYTES // 2**20} MB limit")
    return PREFIX.pack(MAGIC, len(payload)) + payload


def payload_length(prefix: bytes, max_bytes: int = MAX_FRAME_BYTES) -> int:
    """Validate a frame's 12-byte prefix and return the payload length that follows."""
    if len(prefix) != PREFIX.size:
        raise WireError("truncated frame prefix")
    magic, length = PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise WireError("not a frame (bad magic)")
    if length > max_bytes:
        raise WireError(f"frame of {length} bytes exceeds the {max_bytes}-byte limit")
    return length


def _npy(a: np.ndarray) -> bytes:
    """``a`` as the bytes of a ``.npy`` file (version 1.0), as ``np.save(allow_pickle=False)`` writes them."""
    fortran = a.flags.f_contiguous and not a.flags.c_contiguous
    shape = f"{a.shape[0]}," if len(a.shape) == 1 else ", ".join(str(n) for n in a.shape)
    header = f"{{'descr': '{a.dtype.str}', 'fortran_order': {fortran}, 'shape': ({shape}), }}"
    padding = -(len(NPY_MAGIC) + 2 + len(header) + 1) % NPY_ALIGN
    header_bytes = (header + " " * padding + "\n").encode("latin1")
    return NPY_MAGIC + struct.pack("<H", len(header_bytes)) + header_bytes + a.tobytes(order="F" if fortran else "C")


def _load_plain_array(data: memoryview) -> np.ndarray | None:
    """The array of a ``.npy`` whose header is the one ``_npy`` writes (None for any other header): its shape
    and dtype checked against the bytes present before anything is allocated."""
    if len(data) < 10 or data[:8] != NPY_MAGIC:
        return None
    (hlen,) = struct.unpack("<H", data[8:10])
    match = NPY_HEADER.fullmatch(bytes(data[10 : 10 + hlen]).decode("latin1"))
    if match is None:
        return None
    descr, fortran, shape_text = match.groups()
    try:
        dtype = np.dtype(descr)
    except TypeError:
        raise WireError(f"arrays of dtype {descr} are not accepted") from None
    shape = tuple(int(n) for n in shape_text.replace(",", " ").split())
    count = math.prod(shape)
    if count * dtype.itemsize != len(data) - 10 - hlen:
        raise WireError("array data does not match its header")
    try:
        flat = np.frombuffer(data, dtype=dtype, count=count, offset=10 + hlen)
        return flat.reshape(shape, order="F" if fortran == "True" else "C").copy(order="K")  # writable, owned
    except ValueError as exc:  # a shape numpy cannot hold, e.g. (0, 10**19)
        raise WireError(f"bad array: {exc}") from None


def _load_array(data: memoryview) -> np.ndarray:
    """The array of a ``.npy`` file: by ``_load_plain_array`` where it can, else np.load, after checking that the
    header's shape and dtype match the bytes actually present (np.load would otherwise allocate whatever a forged
    header claims)."""
    plain = _load_plain_array(data)
    if plain is not None:
        return plain
    fp = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise WireError(f"unsupported .npy version {version}")
    except WireError:
        raise
    except Exception as exc:  # numpy raises several types on malformed headers
        raise WireError(f"bad array header: {exc}") from None
    if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.hasobject:
        raise WireError(f"arrays of dtype {dtype} are not accepted")
    count = math.prod(shape)
    if count * dtype.itemsize != len(data) - fp.tell():
        raise WireError("array data does not match its header")
    fp.seek(0)
    try:
        return np.load(fp, allow_pickle=False)
    except Exception as exc:
        raise WireError(f"bad array: {exc}") from None


class _Decoder:
    def __init__(self, arrays: list[np.ndarray], marker: Callable[[str, Any], Any] | None) -> None:
        self.arrays = arrays
        self.marker = marker
        self.nodes = 0

    def value(self, v: Any, depth: int = 0) -> Any:
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise WireError("value nested too deeply or too large")
        t = type(v)
        if t is str:
            return unicode_text(v)
        if v is None or t in (bool, int, float):
            return v
        if t is list:
            return [self.value(x, depth + 1) for x in v]
        if t is not dict or len(v) != 1:
            raise WireError("malformed value tag")
        (tag, body), = v.items()
        if tag == "t" and type(body) is list:
            return tuple(self.value(x, depth + 1) for x in body)
        if tag == "d" and type(body) is dict:
            return {unicode_text(k): self.value(x, depth + 1) for k, x in body.items()}
        if tag == "a" and type(body) is int and 0 <= body < len(self.arrays):
            return self.arrays[body]
        if tag in ("builtin", "rng", "m") and self.marker is not None:
            if (tag == "builtin" and type(body) is str) or (tag == "rng" and type(body) is int) or tag == "m":
                return self.marker(tag, body)
        raise WireError(f"unexpected tag {tag!r} in value")


def decode_payload(payload: bytes, marker: Callable[[str, Any], Any] | None = None) -> Any:
    """The value of one frame's payload. ``marker(tag, body)`` resolves Builtin/Rng/SharedArray tags;
    without it they are rejected (the grader never accepts markers from a child)."""
    view = memoryview(payload)
    if len(view) < HEADER_LEN.size:
        raise WireError("truncated header length")
    (hlen,) = HEADER_LEN.unpack(view[: HEADER_LEN.size])
    start = HEADER_LEN.size
    if hlen > MAX_HEADER_BYTES or start + hlen > len(view):
        raise WireError("header length out of range")
    try:
        header = json.loads(bytes(view[start : start + hlen]).decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise WireError(f"bad header: {type(exc).__name__}") from None
    if type(header) is not dict or set(header) != {"v", "a"} or type(header["a"]) is not list:
        raise WireError("bad header layout")
    sizes = header["a"]
    if len(sizes) > MAX_ARRAYS:
        raise WireError(f"more than {MAX_ARRAYS} arrays in one frame")
    if not all(type(n) is int and n >= 0 for n in sizes) or start + hlen + sum(sizes) != len(view):
        raise WireError("array sizes do not add up to the frame length")
    arrays, offset = [], start + hlen
    for n in sizes:
        arrays.append(_load_array(view[offset : offset + n]))
        offset += n
    return _Decoder(arrays, marker).value(header["v"])


def decode(frame: bytes, marker: Callable[[str, Any], Any] | None = None) -> Any:
    """Decode a whole frame (prefix included); see ``decode_payload``."""
    length = payload_length(frame[: PREFIX.size])
    if len(frame) != PREFIX.size + length:
        raise WireError("frame length does not match its prefix")
    return decode_payload(frame[PREFIX.size :], marker)


class ChannelClosed(WireError):
    """The other side closed the connection (or died) before a whole frame arrived."""


def _recv_exact(sock: socket.socket, n: int, deadline: float | None) -> bytes:
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            sock.settimeout(left)
        else:
            sock.settimeout(None)
        try:
            chunk = sock.recv(min(n - got, 1 << 20))
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise ChannelClosed("connection closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def recv_frame(sock: socket.socket, deadline: float | None = None, max_bytes: int = MAX_FRAME_BYTES) -> bytes:
    """The payload of the next frame on ``sock``; TimeoutError once ``deadline`` (monotonic) passes."""
    length = payload_length(_recv_exact(sock, PREFIX.size, deadline), max_bytes)
    return _recv_exact(sock, length, deadline)


def recv_frame_fds(sock: socket.socket, deadline: float | None = None, max_fds: int = 1,
                   max_bytes: int = MAX_FRAME_BYTES) -> tuple[bytes, list[int]]:
    """The payload of the next frame and the file descriptors attached to it (at most ``max_fds``)."""
    if deadline is not None:
        sock.settimeout(max(deadline - time.monotonic(), 1e-3))
    try:
        head, ancillary, _, _ = sock.recvmsg(PREFIX.size, socket.CMSG_SPACE(max_fds * FD_SIZE))
    except ConnectionResetError:
        head, ancillary = b"", []
    if not head:
        raise ChannelClosed("connection closed")
    fds: list[int] = []
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.extend(array.array("i", data[: len(data) - len(data) % FD_SIZE]))
    head += _recv_exact(sock, PREFIX.size - len(head), deadline) if len(head) < PREFIX.size else b""
    return _recv_exact(sock, payload_length(head, max_bytes), deadline), fds


def send_frame(sock: socket.socket, frame: bytes, deadline: float | None = None, fds: list[int] | None = None) -> None:
    """Send a whole frame, with ``fds`` attached to its first bytes; TimeoutError (socket.timeout) if the
    peer stops reading past ``deadline``."""
    sock.settimeout(None if deadline is None else max(deadline - time.monotonic(), 1e-3))
    try:
        sent = sock.sendmsg([frame], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]) if fds else 0
        if sent < len(frame):  # sendall sends even nothing: a peer that read the frame and ended would fail it
            sock.sendall(frame[sent:])
    except (BrokenPipeError, ConnectionResetError):
        raise ChannelClosed("connection closed") from None
