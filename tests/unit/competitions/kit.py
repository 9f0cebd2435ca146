"""What the competitions unit tests share: the policy rows, and deciding with a round trip.

Every event a test produces goes through ``services.competitions.events.EVENTS``
the way the store records it (schema dump, JSON, decode), so a schema mistake
shows in whichever test first produces that event.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, TypeVar

from services.competitions.events import EVENTS
from services.competitions.policy import table
from shared.decider import Decider
from shared.errors import DomainError

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
    """The event as a reader of the log gets it back: dumped, stored as JSON, decoded."""
    new = EVENTS.new_event(event)
    version = EVENTS.prepare(new)  # what append checks: the data loads with the newest schema
    stored = json.loads(json.dumps(new.data))
    return EVENTS.decode(new.event_type, version, stored)


def run_with(
    decider: Decider[object, S, object], *commands: object, state: S | None = None
) -> tuple[S, list[object]]:
    """Decide and fold each command in turn; the state and every event (each round-tripped)."""
    s = decider.initial_state if state is None else state
    events: list[object] = []
    for c in commands:
        new = list(decider.decide(c, s))
        for e in new:
            assert recorded(e) == e, f"{type(e).__name__} does not survive the log"
        events += new
        s = decider.fold(new, s)
    return s, events


def kinds(events: list[object]) -> list[str]:
    return [type(e).__name__ for e in events]


def walk(
    decider: Decider[object, S, object],
    pool: tuple[object, ...],
    picks: list[int],
    state: S | None = None,
) -> list[tuple[object, list[object], S]]:
    """A random valid command sequence: at each step, the pick-th command the state accepts.

    Every command in the pool is tried at every step, so a command the rules
    refuse must refuse with a DomainError (anything else is a crash and fails
    the test). Returns each step's command, its events and the state after it.
    """
    state = decider.initial_state if state is None else state
    steps: list[tuple[object, list[object], S]] = []
    for pick in picks:
        accepted: list[tuple[object, list[object]]] = []
        for c in pool:
            try:
                events = list(decider.decide(c, state))
            except DomainError:
                continue
            if events:
                accepted.append((c, events))
        if not accepted:
            break
        command, events = accepted[pick % len(accepted)]
        state = decider.fold(events, state)
        steps.append((command, events, state))
    return steps
