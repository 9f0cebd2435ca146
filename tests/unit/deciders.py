"""Deciding in unit tests the way the services do: each event round-tripped as the log keeps it.

Every event a test produces goes through the service's registry the way the
store records it (schema dump, JSON, decode), so a schema mistake shows in
whichever test first produces that event. Each service's ``kit.py`` binds its
registry to these.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from shared.decider import Decider
from shared.errors import DomainError
from shared.registry import EventRegistry

S = TypeVar("S")


def recorded(registry: EventRegistry, event: object) -> Any:
    """The event as a reader of the log gets it back: dumped, stored as JSON, decoded."""
    new = registry.new_event(event)
    version = registry.prepare(new)  # what append checks: the data loads with the newest schema
    stored = json.loads(json.dumps(new.data))
    return registry.decode(new.event_type, version, stored)


def run_with(
    registry: EventRegistry,
    decider: Decider[object, S, object],
    *commands: object,
    state: S | None = None,
) -> tuple[S, list[object]]:
    """Decide and fold each command in turn; the state and every event (each round-tripped)."""
    s = decider.initial_state if state is None else state
    events: list[object] = []
    for c in commands:
        new = list(decider.decide(c, s))
        for e in new:
            assert recorded(registry, e) == e, f"{type(e).__name__} does not survive the log"
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
    the test). Starts from ``state`` (the decider's initial state by default).
    Returns each step's command, its events and the state after it.
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
