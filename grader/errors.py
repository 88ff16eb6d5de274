"""Errors a user can fix, with the exit code the process returns (printed as ``Error: ...``, no traceback)."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; ``exit_code`` is what the process returns."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
