"""One error type for refused operations: a stable code for programs, a translated message
for people. Clients never parse the message."""

from __future__ import annotations

from typing import Any


class JamanaError(Exception):
    def __init__(self, code: str, message: Any, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self._message = message  # usually a lazy translation
        self.params = params

    @property
    def message(self) -> str:
        # A lazy (n)gettext proxy formats itself, choosing the plural form from the params.
        return str(self._message % self.params) if self.params else str(self._message)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class NotFound(JamanaError):
    """Raised by access_* helpers: unknown, or not yours (we do not tell which)."""


class PermissionDenied(JamanaError):
    pass
