"""What competitions takes from other systems (nothing yet) and the events it publishes."""

from __future__ import annotations

from shared.envelope import Subscription
from shared.inbound import InboundType
from shared.registry import EventRegistry

INBOUND: tuple[InboundType, ...] = ()
EVENTS = EventRegistry()
SUBSCRIPTIONS: tuple[Subscription, ...] = ()
