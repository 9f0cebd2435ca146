"""One family of errors with stable codes, so a caller can tell a refused command from a crash.

Every error carries a ``code`` (stable, machine-readable), a human message, and
``details`` (JSON-compatible) naming the fields or values involved.
"""

from __future__ import annotations

from typing import Any, ClassVar


class UnionError(Exception):
    """Base of every expected (non-crash) error the kit and the services raise."""

    code: ClassVar[str] = "Error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class DomainError(UnionError):
    """A business rule refused a command. Subclasses in the services name the rule."""

    code = "DomainRefused"


class ValidationFailed(UnionError):
    """A command or message failed its schema; ``details['fields']`` maps field to messages."""

    code = "ValidationFailed"


class StoreError(UnionError):
    code = "StoreError"


class ConcurrencyConflict(StoreError):
    """The stream moved on since it was read: reload, decide again, retry."""

    code = "ConcurrencyConflict"

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"stream {stream_id} is at version {actual}, expected {_describe(expected)}",
            stream_id=stream_id,
            expected=expected,
            actual=actual,
        )
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class DuplicateEventId(StoreError):
    """An event id is already in the log with other content (a re-used id, not a retry)."""

    code = "DuplicateEventId"


class UnknownEventType(StoreError):
    code = "UnknownEventType"


class InvalidEvent(StoreError):
    """An event payload, metadata or stream id that cannot be recorded as given."""

    code = "InvalidEvent"


class PayloadTooLarge(InvalidEvent):
    code = "PayloadTooLarge"


class MigrationError(StoreError):
    code = "MigrationError"


def _describe(expected: int) -> str:
    if expected == -1:
        return "any"
    if expected == 0:
        return "no stream yet"
    return str(expected)
