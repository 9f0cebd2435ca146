"""RabbitMQ names, connection settings and the topology every process declares.

Names (each declared durable, idempotently, by whoever needs it first):

- ``<service>.events``: topic exchange of a service's recorded events, routing
  key = event type; the exchange nameko's ``@event_handler`` binds to.
- ``<queue>.retry``: where a failed message waits out its back-off before the
  broker dead-letters it back to ``<queue>``.
- ``<service>.dead-letter``: messages a service's handlers gave up on.
- ``inbound.events``: topic exchange other systems publish into; what no
  queue is bound for goes to ``inbound.unrouted`` (its alternate exchange).
- ``inbound.dead-letter``: inbound messages refused, with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote, urlsplit

import amqp

INBOUND_EXCHANGE: Final = "inbound.events"
INBOUND_UNROUTED: Final = "inbound.unrouted"
INBOUND_DEAD_LETTER: Final = "inbound.dead-letter"
DEFAULT_URI: Final = "amqp://guest:guest@127.0.0.1:5672/"


def events_exchange(service: str) -> str:
    return f"{service}.events"


def dead_letter_queue(service: str) -> str:
    return f"{service}.dead-letter"


def retry_queue(queue: str) -> str:
    return f"{queue}.retry"


@dataclass(frozen=True)
class BrokerConfig:
    uri: str

    @property
    def vhost(self) -> str:
        return str(_parts(self.uri)["virtual_host"])

    def connect(self, *, heartbeat: int = 0, timeout: float = 10.0) -> amqp.Connection:
        """An open py-amqp connection (the relay uses it directly for pipelined confirms)."""
        conn = amqp.Connection(
            **_parts(self.uri), heartbeat=heartbeat, connect_timeout=timeout, read_timeout=None
        )
        conn.connect()
        return conn


def broker_config(env: Mapping[str, str] | None = None) -> BrokerConfig:
    """``UNION_AMQP_URI`` (default: guest on 127.0.0.1, vhost ``/``)."""
    env = os.environ if env is None else env
    return BrokerConfig(env.get("UNION_AMQP_URI", DEFAULT_URI))


def _parts(uri: str) -> dict[str, Any]:
    u = urlsplit(uri)
    if u.scheme != "amqp":
        raise ValueError(f"not an amqp:// URI: {uri!r}")
    vhost = unquote(u.path[1:]) if len(u.path) > 1 else "/"
    return {
        "host": f"{u.hostname or '127.0.0.1'}:{u.port or 5672}",
        "userid": unquote(u.username or "guest"),
        "password": unquote(u.password or "guest"),
        "virtual_host": vhost,
    }


def declare_events_exchange(channel: amqp.Channel, service: str) -> None:
    # Exactly the flags nameko's get_event_exchange uses, or the broker refuses
    # the second declaration with PRECONDITION_FAILED.
    channel.exchange_declare(events_exchange(service), "topic", durable=True, auto_delete=False)


def declare_dead_letter(channel: amqp.Channel, queue: str) -> None:
    channel.queue_declare(queue, durable=True, auto_delete=False)


def declare_retry_queue(channel: amqp.Channel, queue: str) -> None:
    """A queue without consumers whose expired messages go back to ``queue``."""
    channel.queue_declare(
        retry_queue(queue),
        durable=True,
        auto_delete=False,
        arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue},
    )


def declare_inbound(channel: amqp.Channel) -> None:
    channel.exchange_declare(INBOUND_UNROUTED, "fanout", durable=True, auto_delete=False)
    channel.queue_declare(INBOUND_UNROUTED, durable=True, auto_delete=False)
    channel.queue_bind(INBOUND_UNROUTED, INBOUND_UNROUTED, "")
    channel.exchange_declare(
        INBOUND_EXCHANGE,
        "topic",
        durable=True,
        auto_delete=False,
        arguments={"alternate-exchange": INBOUND_UNROUTED},
    )
    declare_dead_letter(channel, INBOUND_DEAD_LETTER)


def inbound_queue(service: str, message_type: str) -> str:
    return f"inbound.{service}.{message_type}"
