"""Array arguments in shared memory, read back after the call: "did it modify its inputs?" seen from outside.

``SharedArgs(value)`` copies every numeric array in a call's arguments into one anonymous memory file
(64-byte aligned) and puts a ``SharedArray`` marker in its place; the worker maps that memory and gives
the student's function views of it, so an in-place change lands in memory the grader owns. After the
reply, ``read_back()`` rebuilds the arguments from that memory as it is then: a verdict on mutation rests
on what the grader reads itself, never on what the student's process reports (which its code can forge).
Other arguments (numbers, tuples, markers) cannot be changed in place; a list's own structure is not
observable from outside and is not judged.
"""

from __future__ import annotations

import fcntl
import math
import mmap
import os
import tempfile
from collections.abc import Collection
from typing import Any

import numpy as np

from grader.protocol.markers import SharedArray

ALIGN = 64
SHARED_KINDS = "biufc"


def _anonymous_file(size: int) -> tuple[int, bool]:
    """A file descriptor of ``size`` bytes of memory that nothing else can open, and whether it is sealed at that
    size (on Linux), so that the child cannot shrink it under the grader's mapping (reading a truncated mapping
    kills the reader)."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("grader-args", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        os.ftruncate(fd, size)
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
        return fd, True
    handle = tempfile.TemporaryFile()  # not Linux: an unlinked temporary file does the same job, unsealed
    fd = os.dup(handle.fileno())
    handle.close()
    os.ftruncate(fd, size)
    return fd, False


class SharedArgs:
    """The arguments of one call with their arrays moved into shared memory (see the module docstring)."""

    def __init__(self, value: Any) -> None:
        self._arrays: list[np.ndarray] = []
        self._markers: list[SharedArray] = []
        self._size = 0
        self.tree = self._pack(value)
        self.fd: int | None = None
        self._sealed = False
        self._memory: mmap.mmap | None = None
        self._memory_size = max(self._size, 1)
        if self._arrays:
            self.fd, self._sealed = _anonymous_file(self._memory_size)
            self._memory = mmap.mmap(self.fd, self._memory_size)
            for marker, array in zip(self._markers, self._arrays, strict=True):
                if array.size:  # copied straight into the shared memory, in C order
                    np.copyto(np.frombuffer(self._memory, array.dtype, array.size, marker.offset).reshape(array.shape),
                              array)

    @property
    def fds(self) -> list[int]:
        return [] if self.fd is None else [self.fd]

    def _pack(self, value: Any) -> Any:
        if type(value) is np.ndarray and value.dtype.kind in SHARED_KINDS and value.dtype.fields is None:
            offset = -(-self._size // ALIGN) * ALIGN
            self._size = offset + value.nbytes
            marker = SharedArray(offset, value.dtype.str, tuple(int(n) for n in value.shape))
            self._arrays.append(value)
            self._markers.append(marker)
            return marker
        if type(value) in (list, tuple):
            return type(value)(self._pack(v) for v in value)
        if type(value) is dict:
            return {k: self._pack(v) for k, v in value.items()}
        return value

    def read_back(self, parts: Collection[int] | None = None) -> Any:
        """The arguments as the shared memory holds them now (fresh copies; other values as sent). With ``parts``
        (the value a list, e.g. one item per call of a batch), only those items are read, the others are None.
        Raises ``OSError`` if the memory no longer has its size (only possible where it cannot be sealed)."""
        if self.fd is not None and not self._sealed and os.fstat(self.fd).st_size != self._memory_size:
            raise OSError("the shared memory of the arguments changed size")
        if parts is None:
            return self._unpack(self.tree)
        return [self._unpack(item) if i in parts else None for i, item in enumerate(self.tree)]

    def _unpack(self, value: Any) -> Any:
        if type(value) is SharedArray:
            if self._memory is None:
                raise RuntimeError("no shared memory")
            count = math.prod(value.shape)
            if count == 0:
                return np.empty(value.shape, dtype=np.dtype(value.dtype))
            flat = np.frombuffer(self._memory, dtype=np.dtype(value.dtype), count=count, offset=value.offset)
            return flat.reshape(value.shape).copy()
        if type(value) in (list, tuple):
            return type(value)(self._unpack(v) for v in value)
        if type(value) is dict:
            return {k: self._unpack(v) for k, v in value.items()}
        return value

    def close(self) -> None:
        if self._memory is not None:
            self._memory.close()
            self._memory = None
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> SharedArgs:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
