"""Loading a command or message with its schema, refusing it field by field."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from shared.errors import ValidationFailed


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
