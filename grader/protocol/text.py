"""Text that UTF-8 can hold, whatever a child or a file sent: no numpy here, so discovery can use it too."""

from __future__ import annotations


def unicode_text(text: str) -> str:
    """``text`` with surrogates (which JSON escapes such as ``\\ud800`` can carry, and which no UTF-8 file or database
    can store) made characters: a high and low pair joined into one, each lone one replaced by U+FFFD."""
    if text.isascii():
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
