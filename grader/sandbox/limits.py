"""Resource limits of one child (one student's code at a time)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace


@dataclass(frozen=True)
class Limits:
    """Per-child limits. ``memory_mb`` is the address space student code may add on top of the preloaded
    interpreter (numpy ~140 MB, torch ~700 MB, shared by every child), whatever kind of mapping holds it;
    ``cpu_seconds`` is a backstop for a child's whole life (per-call wall-clock timeouts come from the
    checks); ``output_bytes`` caps what is kept of stdout and of stderr per call (the rest is dropped)."""

    memory_mb: int = 2048
    nproc: int = 32
    file_mb: int = 64
    output_bytes: int = 20_000
    cpu_seconds: int = 600
    nofile: int = 256

    @classmethod
    def for_kind(cls, kind: str) -> Limits:
        """Defaults for a worker kind: torch training needs more room than numpy."""
        return cls(memory_mb=3072) if kind == "torch" else cls()

    def with_(self, **changes: int) -> Limits:
        return replace(self, **changes)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)
