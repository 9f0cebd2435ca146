"""Messages other systems publish into ``inbound.events``, and how each is checked.

Each inbound message type has a marshmallow schema and one owning service that
consumes it (declared in ``services/<owner>/contract.py``). A message that
cannot be taken is dead-lettered to ``inbound.dead-letter`` with one of the
machine-readable reasons below in the ``x-union-reason`` header.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from marshmallow import Schema, ValidationError

MAX_INBOUND_BYTES: Final = 64 * 1024
MAX_MESSAGE_ID: Final = 200

CREDIT_CODE: Final = r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"
"""统一社会信用代码 (GB 32100-2015), how employers are named in inbound messages."""

REASONS: Final = {
    "too-large": f"the body is larger than {MAX_INBOUND_BYTES} bytes",
    "missing-message-id": "the message has no message_id property (needed to ignore duplicates)",
    "invalid-message-id": "the message_id is longer than 200 characters",
    "not-json": "the body is not UTF-8 JSON, or not a JSON object",
    "unknown-type": "no service takes messages of this routing key",
    "schema": "the body failed the type's schema; x-union-detail names each field",
    "unreadable": "the message could not be read at all (details in x-union-detail)",
    "handler-failed": "the handler kept failing after its retries",
    "refused": "the handler refused the message (a domain rule); not retried",
}
"""Reason codes (``x-union-reason``) for a dead-lettered message."""


@dataclass(frozen=True)
class InboundType:
    """One kind of message another system publishes."""

    name: str
    """Routing key and AMQP ``type``, ``<system>.<MessageName>``, e.g. ``tax.DuesCollected``."""
    schema: type[Schema]
    owner: str
    """The service that consumes it."""
    publisher: str
    """Who publishes it, in words."""
    summary: str
    personal_fields: tuple[str, ...] = field(default=())
    """Fields holding personal data: the owner keeps them in its vault, never in events."""

    @property
    def system(self) -> str:
        return self.name.split(".", 1)[0]


class Refused(Exception):
    """An inbound message cannot be taken; ``reason`` is a key of ``REASONS``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def check(
    kind: InboundType,
    body: bytes | str,
    message_id: str | None,
    content_encoding: str | None = None,
) -> dict[str, Any]:
    """The validated payload of an inbound message, or ``Refused`` with the reason."""
    size = len(body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body)
    if size > MAX_INBOUND_BYTES:
        raise Refused("too-large", f"{size} bytes")
    if not message_id:
        raise Refused("missing-message-id")
    if len(message_id) > MAX_MESSAGE_ID:
        raise Refused("invalid-message-id", f"{len(message_id)} characters")
    data = decode_json_object(body, content_encoding)
    try:
        loaded: dict[str, Any] = kind.schema().load(data)
    except ValidationError as exc:
        raise Refused("schema", json.dumps(exc.messages, ensure_ascii=False)) from exc
    return loaded


def decode_json_object(body: bytes | str, content_encoding: str | None = None) -> dict[str, Any]:
    """The JSON object in ``body`` (bytes, or text the AMQP client already decoded)."""
    if content_encoding not in (None, "", "utf-8", "utf8", "UTF-8"):
        raise Refused("not-json", f"content_encoding {content_encoding!r} is not utf-8")
    try:
        data = json.loads(body if isinstance(body, str) else body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Refused("not-json", str(exc)) from exc
    if not isinstance(data, dict):
        raise Refused("not-json", "the body is JSON but not an object")
    return data
