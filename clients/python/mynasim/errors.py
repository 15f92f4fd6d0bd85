# SPDX-License-Identifier: Apache-2.0
"""Typed errors of the mynasim client."""
from __future__ import annotations

from typing import Any


class MynasimError(Exception):
    """Base class of every error this library raises."""


class StartError(MynasimError):
    """The simulator could not be started (or did not become ready in time)."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(message + (f"\n--- mynasim log (tail) ---\n{log_tail}" if log_tail else ""))
        self.log_tail = log_tail


class UnsupportedVersionError(MynasimError):
    """The simulator's version is outside the range this client supports."""

    def __init__(self, version: str, supported: str) -> None:
        super().__init__(f"mynasim {version} is not supported by this client (supported: {supported})")
        self.version = version
        self.supported = supported


class ApiError(MynasimError):
    """An admin (or other) call answered with an error status.

    ``error`` is the machine code (``error`` field, e.g. ``invalid_fault``), ``message`` the
    ``message`` or ``error_description`` field, ``body`` the parsed JSON (or raw text).
    """

    def __init__(self, status: int, error: str | None, message: str | None,
                 method: str = "", url: str = "", body: Any = None) -> None:
        self.status = status
        self.error = error
        self.message = message
        self.method = method
        self.url = url
        self.body = body
        text = f"{method} {url} -> {status}"
        if error:
            text += f" {error}"
        if message:
            text += f": {message}"
        super().__init__(text)


class AuthorizationError(MynasimError):
    """authorize ended with an error redirect (e.g. ``access_denied``) or an error page."""

    def __init__(self, error: str, description: str | None = None, error_code: str | None = None,
                 state: str | None = None, status: int = 302, location: str | None = None) -> None:
        self.error = error
        self.description = description
        self.error_code = error_code
        self.state = state
        self.status = status
        self.location = location
        text = f"authorization failed: {error}"
        if error_code:
            text += f" ({error_code})"
        if description:
            text += f": {description}"
        super().__init__(text)


class VerificationError(MynasimError, AssertionError):
    """journal.verify found another number of matching entries than expected."""

    def __init__(self, expected: str, actual: int, filters: dict[str, Any],
                 entries: list[dict[str, Any]]) -> None:
        self.expected = expected
        self.actual = actual
        self.filters = filters
        self.entries = entries
        lines = [f"expected {expected} journal entries matching {filters}, found {actual}:"]
        for e in entries[-20:]:
            lines.append("  #{seq} {at} {direction} {system} {method} {path} -> {status} {ec}".format(
                seq=e.get("seq"), at=e.get("at"), direction=e.get("direction"), system=e.get("system"),
                method=e.get("method"), path=e.get("path"), status=e.get("status"),
                ec=e.get("error_code", "")))
        if len(entries) > 20:
            lines.append(f"  … and {len(entries) - 20} more")
        super().__init__("\n".join(lines))


class WaitTimeout(MynasimError, TimeoutError):
    """A bounded wait (a conformance run, a readiness poll) ran out."""
