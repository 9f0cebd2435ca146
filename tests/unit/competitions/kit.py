"""What the competitions unit tests share: the policy rows, and deciding with a round trip.

Every event a test produces goes through ``services.competitions.events.EVENTS``
the way the store records it (schema dump, JSON, decode), so a schema mistake
shows in whichever test first produces that event.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from services.competitions.events import EVENTS
from services.competitions.policy import table
from shared.decider import Decider
from tests.unit import deciders
from tests.unit.deciders import kinds, walk

S = TypeVar("S")

TODAY = date(2026, 11, 24)
POLICY = table([])


def number(key: str, on: date = TODAY) -> int:
    """A policy value in force on ``on`` (the service passes these into the commands)."""
    return POLICY.number(key, on)[0]


def version(key: str, on: date = TODAY) -> str:
    return POLICY.number(key, on)[1]


def text(key: str, on: date = TODAY) -> str:
    return POLICY.text(key, on)[0]


def recorded(event: object) -> Any:
    """The event as a reader of the log gets it back (see tests.unit.deciders)."""
    return deciders.recorded(EVENTS, event)


def run_with(
    decider: Decider[object, S, object], *commands: object, state: S | None = None
) -> tuple[S, list[object]]:
    """Decide and fold each command in turn; the state and every event (each round-tripped)."""
    return deciders.run_with(EVENTS, decider, *commands, state=state)


__all__ = ["kinds", "recorded", "run_with", "walk"]  # with the names defined above
