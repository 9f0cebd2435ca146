"""The event contract as an AsyncAPI 2.6 document, generated from the schemas.

``unionctl contract asyncapi`` writes ``docs/asyncapi.yaml``; a test fails when
the committed file differs from what the schemas generate.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml
from marshmallow import Schema, fields, validate

from shared.broker import (
    INBOUND_DEAD_LETTER,
    INBOUND_EXCHANGE,
    dead_letter_queue,
    events_exchange,
)
from shared.config import SERVICES
from shared.envelope import EnvelopeSchema, Subscription
from shared.inbound import MAX_INBOUND_BYTES, REASONS, InboundType
from shared.registry import EventRegistry


@dataclass(frozen=True)
class Contract:
    service: str
    inbound: tuple[InboundType, ...]
    events: EventRegistry
    subscriptions: tuple[Subscription, ...] = ()


def service_contracts(names: Iterable[str] = SERVICES) -> list[Contract]:
    out = []
    for name in names:
        module = importlib.import_module(f"services.{name}.contract")
        out.append(
            Contract(name, tuple(module.INBOUND), module.EVENTS, tuple(module.SUBSCRIPTIONS))
        )
    return out


def json_schema(schema: Schema | type[Schema]) -> dict[str, Any]:
    """A JSON Schema for a marshmallow schema (the field kinds the contracts use)."""
    instance = schema() if isinstance(schema, type) else schema
    props: dict[str, Any] = {}
    required: list[str] = []
    for name, f in instance.fields.items():
        key = f.data_key or name
        props[key] = _field(f)
        if f.required:
            required.append(key)
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    out["additionalProperties"] = False
    return out


_KINDS: list[tuple[type[fields.Field[Any]], dict[str, Any]]] = [
    (fields.AwareDateTime, {"type": "string", "format": "date-time"}),
    (fields.DateTime, {"type": "string", "format": "date-time"}),
    (fields.Date, {"type": "string", "format": "date"}),
    (fields.UUID, {"type": "string", "format": "uuid"}),
    (fields.String, {"type": "string"}),
    (fields.Integer, {"type": "integer"}),
    (fields.Boolean, {"type": "boolean"}),
    (fields.Dict, {"type": "object"}),
]


def _field(f: fields.Field[Any]) -> dict[str, Any]:
    out: dict[str, Any]
    if isinstance(f, fields.Nested):
        out = json_schema(f.schema)
    elif isinstance(f, fields.List):
        out = {"type": "array", "items": _field(f.inner)}
    else:
        out = next((dict(k) for cls, k in _KINDS if isinstance(f, cls)), {})
    if f.allow_none:
        out["type"] = [out.get("type", "string"), "null"]
    for v in f.validators:
        if isinstance(v, validate.OneOf):
            out["enum"] = list(v.choices)
        elif isinstance(v, validate.Range):
            if v.min is not None:
                out["minimum"] = v.min
            if v.max is not None:
                out["maximum"] = v.max
        elif isinstance(v, validate.Length):
            if v.min is not None:
                out["minLength"] = v.min
            if v.max is not None:
                out["maxLength"] = v.max
        elif isinstance(v, validate.Regexp):
            out["pattern"] = v.regex.pattern
    description = f.metadata.get("description")
    if description:
        out["description"] = description
    return out


def document(contracts: list[Contract]) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for c in contracts:
        for kind in c.inbound:
            payload = json_schema(kind.schema)
            for name in kind.personal_fields:
                payload["properties"][name]["x-personal-data"] = True
            messages[kind.name] = {
                "name": kind.name,
                "title": kind.summary,
                "contentType": "application/json",
                "x-publisher": kind.publisher,
                "x-owner": kind.owner,
                "headers": {
                    "type": "object",
                    "description": "AMQP properties: message_id is required (duplicates are"
                    " ignored by it); type should equal the routing key.",
                },
                "payload": payload,
            }
            channels[f"{INBOUND_EXCHANGE}/{kind.name}"] = {
                "description": f"{kind.summary} Consumed by {kind.owner}.",
                "bindings": {
                    "amqp": {
                        "is": "routingKey",
                        "exchange": {"name": INBOUND_EXCHANGE, "type": "topic", "durable": True},
                    }
                },
                "publish": {
                    "summary": f"{kind.publisher} publishes; routing key {kind.name}",
                    "bindings": {"amqp": {"deliveryMode": 2}},
                    "message": {"$ref": f"#/components/messages/{kind.name}"},
                },
            }
        for event_type, version, schema in c.events.schemas():
            key = f"{c.service}.{event_type}.v{version}"
            messages[key] = {
                "name": event_type,
                "contentType": "application/json",
                "x-schema-version": version,
                "payload": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Envelope"},
                        {"type": "object", "properties": {"data": json_schema(schema)}},
                    ]
                },
            }
            channel = channels.setdefault(
                f"{events_exchange(c.service)}/{event_type}", _event_channel(c.service, event_type)
            )
            channel["subscribe"]["message"]["oneOf"].append(
                {"$ref": f"#/components/messages/{key}"}
            )
    for c in contracts:
        for sub in c.subscriptions:
            key = f"{c.service}.reads.{sub.source}.{sub.event_type}"
            messages[key] = {
                "name": sub.event_type,
                "title": f"What {c.service} reads of {sub.source}'s {sub.event_type}",
                "contentType": "application/json",
                "x-read-by": c.service,
                "payload": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Envelope"},
                        {"type": "object", "properties": {"data": json_schema(sub.schema)}},
                    ]
                },
            }
            channel = channels.setdefault(
                f"{events_exchange(sub.source)}/{sub.event_type}",
                _event_channel(sub.source, sub.event_type),
            )
            channel.setdefault("x-read-by", []).append(
                {"service": c.service, "summary": sub.summary}
            )
            channel["subscribe"]["message"]["oneOf"].append(
                {"$ref": f"#/components/messages/{key}"}
            )
    return {
        "asyncapi": "2.6.0",
        "info": {
            "title": "Huoqiu county federation of trade unions: event contract",
            "version": "1",
            "description": (
                "Generated from the marshmallow schemas by `unionctl contract asyncapi`;"
                " do not edit. Other systems publish JSON messages to the topic exchange"
                f" `{INBOUND_EXCHANGE}` with routing key = message type, a unique"
                f" message_id and persistent delivery; bodies up to {MAX_INBOUND_BYTES}"
                f" bytes. Refused messages go to `{INBOUND_DEAD_LETTER}` with header"
                " x-union-reason: "
                + "; ".join(f"{k} ({v})" for k, v in REASONS.items())
                + ". Each service publishes every event it records to `<service>.events`"
                " (routing key = event type) as an envelope; handlers that give up"
                f" dead-letter to `{dead_letter_queue('<service>')}`."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "county": {
                "url": "{host}:5672",
                "protocol": "amqp",
                "protocolVersion": "0-9-1",
                "variables": {"host": {"default": "127.0.0.1"}},
            }
        },
        "channels": dict(sorted(channels.items())),
        "components": {
            "schemas": {"Envelope": json_schema(EnvelopeSchema)},
            "messages": dict(sorted(messages.items())),
        },
    }


def _event_channel(service: str, event_type: str) -> dict[str, Any]:
    return {
        "description": f"{event_type} recorded in the {service} log.",
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {"name": events_exchange(service), "type": "topic", "durable": True},
            }
        },
        "subscribe": {"message": {"oneOf": []}},
    }


def render(contracts: list[Contract] | None = None) -> str:
    doc = document(service_contracts() if contracts is None else contracts)
    text: str = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)
    return "# Generated by `unionctl contract asyncapi`; do not edit.\n" + text
