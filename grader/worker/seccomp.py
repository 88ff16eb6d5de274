"""A seccomp filter for a child: the kernel refuses the calls through which state could outlive it.

SysV shared memory, semaphores and message queues, POSIX message queues and the kernel keyrings all
live in the kernel, not in the process: one student could leave answers there for the next to look up,
or park gigabytes that no process limit counts (an unmapped ``memfd`` is not address space). New namespaces
and mounts are refused too, and so are new sessions and process groups: the scheduler shares the CPU
fairly between sessions, so a child that split itself into many sessions would slow its classmates down. Each refused
call fails with EPERM (ENOSYS for ``clone3``, so that libc falls back to ``clone``), which Python raises
as an ordinary ``OSError``. The filter is built by hand as classic BPF (no library needed) and installed
with ``prctl(PR_SET_SECCOMP)`` after ``PR_SET_NO_NEW_PRIVS``; it cannot be removed by the process.
Where the architecture is not known here the child runs without it (``install`` returns False).
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

# Syscall numbers per architecture: (AUDIT_ARCH, {name: number}).
_X86_64 = (0xC000003E, {
    "shmget": 29, "shmat": 30, "shmctl": 31, "semget": 64, "semop": 65, "semctl": 66, "msgget": 68,
    "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "shmdt": 67, "semtimedop": 220, "mq_open": 240,
    "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244, "mq_getsetattr": 245,
    "add_key": 248, "request_key": 249, "keyctl": 250, "unshare": 272, "setns": 308, "mount": 165,
    "umount2": 166, "pivot_root": 155, "chroot": 161, "ptrace": 101, "process_vm_readv": 310,
    "process_vm_writev": 311, "bpf": 321, "userfaultfd": 323, "perf_event_open": 298, "clone3": 435,
    "setsid": 112, "setpgid": 109, "memfd_create": 319,
})  # fmt: skip
_AARCH64 = (0xC00000B7, {
    "shmget": 194, "shmctl": 195, "shmat": 196, "shmdt": 197, "msgget": 186, "msgctl": 187, "msgrcv": 188,
    "msgsnd": 189, "semget": 190, "semctl": 191, "semtimedop": 192, "semop": 193, "mq_open": 180,
    "mq_unlink": 181, "mq_timedsend": 182, "mq_timedreceive": 183, "mq_notify": 184, "mq_getsetattr": 185,
    "add_key": 217, "request_key": 218, "keyctl": 219, "unshare": 97, "setns": 268, "mount": 40,
    "umount2": 39, "pivot_root": 41, "chroot": 51, "ptrace": 117, "process_vm_readv": 270,
    "process_vm_writev": 271, "bpf": 280, "userfaultfd": 282, "perf_event_open": 241, "clone3": 435,
    "setsid": 157, "setpgid": 154, "memfd_create": 279,
})  # fmt: skip
ARCHES = {"x86_64": _X86_64, "amd64": _X86_64, "aarch64": _AARCH64, "arm64": _AARCH64}
X32_BIT = 0x40000000  # x86-64's x32 ABI numbers: another way to reach the same calls, refused wholesale

# Classic BPF opcodes and seccomp constants.
LD_W_ABS, JEQ_K, JGE_K, RET_K = 0x20, 0x15, 0x35, 0x06
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS = 0x7FFF0000, 0x00050000, 0x80000000
OFFSET_NR, OFFSET_ARCH = 0, 4  # in struct seccomp_data
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def program(arch: int, numbers: dict[str, int], x32: bool) -> bytes:
    """The filter: a foreign architecture is killed, a refused call returns its errno, the rest runs."""
    refused = sorted(numbers.items(), key=lambda item: item[1])
    insns = [_insn(LD_W_ABS, 0, 0, OFFSET_ARCH), _insn(JEQ_K, 1, 0, arch),
             _insn(RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS), _insn(LD_W_ABS, 0, 0, OFFSET_NR)]
    if x32:
        insns += [_insn(JGE_K, 0, 1, X32_BIT), _insn(RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM)]
    for name, number in refused:
        code = errno.ENOSYS if name == "clone3" else errno.EPERM
        insns += [_insn(JEQ_K, 0, 1, number), _insn(RET_K, 0, 0, SECCOMP_RET_ERRNO | code)]
    insns.append(_insn(RET_K, 0, 0, SECCOMP_RET_ALLOW))
    return b"".join(insns)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install() -> bool:
    """Install the filter in this process (and all it starts); False where this architecture is unknown."""
    found = ARCHES.get(platform.machine().lower())
    if found is None:
        return False
    arch, numbers = found
    code = program(arch, numbers, x32=found is _X86_64)
    buffer = ctypes.create_string_buffer(code, len(code))
    prog = _SockFprog(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
    return True
