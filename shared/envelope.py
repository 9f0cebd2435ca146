"""The envelope: how a recorded event travels between services.

The relay publishes one envelope per event to ``<service>.events`` with the
event type as routing key. A consumer loads the body with ``EnvelopeSchema``
before anything else; a body that does not load is dead-lettered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, post_load, validate

from shared.store import EVENT_TYPE, STREAM_ID
from shared.validation import Pattern, load

SERVICE_NAME = r"^[a-z][a-z0-9_]{0,39}$"
HEX64 = r"^[0-9a-f]{64}$"


@dataclass(frozen=True, slots=True)
class Envelope:
    event_id: str
    event_type: str
    schema_version: int
    source: str
    stream_id: str
    version: int
    position: int
    recorded_at: datetime
    correlation_id: str | None
    causation_id: str | None
    actor: str
    data: dict[str, Any]
    hash: str


@dataclass(frozen=True)
class Subscription:
    """Another service's event a service reacts to, and the part of its data it reads."""

    source: str
    event_type: str
    schema: type[Schema]
    summary: str


class EnvelopeSchema(Schema):
    """The wire form of a recorded event. Unknown keys are ignored (forward compatible)."""

    class Meta:
        unknown = EXCLUDE

    event_id = fields.UUID(required=True, metadata={"description": "unique id of the event"})
    event_type = fields.String(required=True, validate=Pattern(EVENT_TYPE))
    schema_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    source = fields.String(
        required=True,
        validate=Pattern(SERVICE_NAME),
        metadata={"description": "the service whose log recorded the event"},
    )
    stream_id = fields.String(required=True, validate=Pattern(STREAM_ID))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    position = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "position in the source log (gap-free, ascending)"},
    )
    recorded_at = fields.AwareDateTime(required=True, format="iso")
    correlation_id = fields.String(load_default=None, allow_none=True)
    causation_id = fields.String(load_default=None, allow_none=True)
    actor = fields.String(required=True, validate=validate.Length(min=1, max=200))
    data = fields.Dict(keys=fields.String(), required=True)
    hash = fields.String(
        required=True,
        validate=Pattern(HEX64),
        metadata={"description": "the event's link in the source log's hash chain"},
    )

    @post_load
    def make(self, d: dict[str, Any], **_: Any) -> Envelope:
        return Envelope(**{**d, "event_id": str(d["event_id"])})


_SCHEMA = EnvelopeSchema()


def load_envelope(body: Any) -> Envelope:
    """Validate a decoded body; ``ValidationFailed`` names each bad field."""
    envelope: Envelope = load(_SCHEMA, body, "the envelope")
    return envelope
