"""Capped text streams for student output: the first ``cap`` characters are kept, the rest counted."""

from __future__ import annotations

import io


class CappedText(io.TextIOBase):
    """A write-only text stream that keeps at most ``cap`` characters and drops the rest."""

    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap
        self.reset()

    def reset(self) -> None:
        self._parts: list[str] = []
        self._kept = 0
        self.dropped = 0

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]  # io.TextIOBase declares it a plain attribute
        return "utf-8"

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        room = self.cap - self._kept
        if room > 0:
            self._parts.append(s[:room])
            self._kept += min(len(s), room)
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def text(self) -> str:
        text = "".join(self._parts)
        if self.dropped:
            text += f"\n[... {self.dropped} more characters of output dropped]"
        return text
