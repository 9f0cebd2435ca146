"""Loading a command or message with its schema, refusing it field by field."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, validate

from shared.errors import ValidationFailed


class Pattern(validate.Regexp):
    """``validate.Regexp`` that reads its pattern as PostgreSQL and JSON Schema do.

    The AsyncAPI document publishes the pattern as written, and other systems
    check with it. Python's ``$`` also matches before a final newline, and its
    ``\\d`` and ``\\w`` take any script's digits and letters, so
    ``Regexp("^\\d{4}$")`` takes ``"2026\\n"`` and ``"２０２６"``. Here the whole value
    must match, and the classes are ASCII.
    """

    def __init__(self, regex: str | re.Pattern[str], *, error: str | None = None) -> None:
        text = regex if isinstance(regex, str) else regex.pattern
        super().__init__(text, re.ASCII, error=error)

    def __call__(self, value: Any) -> Any:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


def load(schema: Schema, payload: Any, what: str) -> Any:
    """``schema.load(payload)``, or ``ValidationFailed`` whose ``fields`` name each problem."""
    if not isinstance(payload, dict):
        raise ValidationFailed(
            f"{what} must be a JSON object", fields={"_schema": ["not an object"]}
        )
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise ValidationFailed(f"{what} failed its schema", fields=exc.messages) from exc
