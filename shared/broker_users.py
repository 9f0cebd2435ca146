"""One RabbitMQ user per service, whose permissions reach only what it needs.

RabbitMQ grants by three regular expressions over resource names (exchanges
and queues): *configure* (declare, bind's queue side), *write* (publish, bind's
queue side) and *read* (consume, bind's exchange side). A service S may touch
its own names (``S.events``, ``S.dead-letter``, ``rpc-S``, its reply queues,
its handler queues ``evt-<source>-<type>--S.<method>`` and ``inbound.S.<type>``
with their ``.retry`` queues), bind to the other services' event exchanges and
``inbound.events``, and use nameko's ``nameko-rpc`` exchange. Nothing else:
not another service's queues, not another service's events exchange for writing.

``definitions()`` writes these as a RabbitMQ definitions file (for compose),
with an operators' admin user.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Mapping
from typing import Any

from shared.broker import INBOUND_DEAD_LETTER, INBOUND_EXCHANGE, INBOUND_UNROUTED
from shared.config import SERVICES

RPC_EXCHANGE = "nameko-rpc"
DEFAULT_EXCHANGE = "amq.default"


def _any(*patterns: str) -> str:
    return "^(" + "|".join(patterns) + ")$"


def permissions(service: str) -> tuple[str, str, str]:
    """(configure, write, read) for the service's user."""
    s = re.escape(service)
    others = "|".join(re.escape(o) for o in SERVICES if o != service)
    own = [
        rf"{s}\.events",
        rf"{s}\.dead-letter",
        rf"rpc-{s}",
        rf"rpc\.reply-{s}-.*",
        rf"evt-[^-]+-[^-]+--{s}\..+",
        rf"inbound\.{s}\..+",
    ]
    inbound = [re.escape(INBOUND_EXCHANGE), re.escape(INBOUND_UNROUTED)]
    shared_names = [re.escape(RPC_EXCHANGE), re.escape(INBOUND_DEAD_LETTER)]
    configure = _any(*own, *inbound, *shared_names, rf"({others})\.events")
    # Retries and dead letters go through the default exchange to the service's own
    # queues; replies to RPC callers go through nameko-rpc.
    # ``inbound.unrouted`` is bound by whoever declares the inbound topology first; a
    # service never writes ``inbound.events``, so it cannot pose as another system.
    write = _any(*own, *shared_names, re.escape(INBOUND_UNROUTED), re.escape(DEFAULT_EXCHANGE))
    read = _any(*own, *inbound, re.escape(RPC_EXCHANGE), rf"({others})\.events")
    return configure, write, read


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password))."""
    salt = os.urandom(4) if salt is None else salt
    digest = hashlib.sha256(salt + password.encode()).digest()
    return base64.b64encode(salt + digest).decode()


def definitions(passwords: Mapping[str, str], admin: tuple[str, str], vhost: str) -> dict[str, Any]:
    users: list[dict[str, Any]] = [
        {
            "name": admin[0],
            "password_hash": password_hash(admin[1]),
            "hashing_algorithm": "rabbit_password_hashing_sha256",
            "tags": ["administrator"],
        }
    ]
    grants: list[dict[str, str]] = [
        {"user": admin[0], "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"}
    ]
    for service in SERVICES:
        users.append(
            {
                "name": service,
                "password_hash": password_hash(passwords[service]),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": [],
            }
        )
        configure, write, read = permissions(service)
        grants.append(
            {"user": service, "vhost": vhost, "configure": configure, "write": write, "read": read}
        )
    return {"users": users, "vhosts": [{"name": vhost}], "permissions": grants}
