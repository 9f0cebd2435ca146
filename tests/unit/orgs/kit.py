"""What the orgs unit tests share: the policy rows, and deciding with a round trip.

Every event a test produces goes through ``services.orgs.events.EVENTS`` the way
the store records it (schema dump, JSON, decode), so a schema mistake shows in
whichever test first produces that event.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from services.orgs import democracy
from services.orgs.events import EVENTS
from services.orgs.policy import table
from shared.decider import Decider
from tests.unit import deciders
from tests.unit.deciders import kinds, walk

S = TypeVar("S")

TODAY = date(2026, 11, 24)
POLICY = table(list(democracy.PARAMETERS))
"""orgs' own rows and the congress's, as the service builds them."""


def number(key: str, on: date = TODAY) -> int:
    return POLICY.number(key, on)[0]


def version(key: str, on: date = TODAY) -> str:
    return POLICY.number(key, on)[1]


def replayed_log(
    decider: Decider[object, S, object], pool: tuple[object, ...], picks: list[int]
) -> tuple[list[object], S]:
    """Walk the pool, recording every event; after each step the replayed log is the state.

    Returns the recorded log and the last live state.
    """
    log: list[object] = []
    state = decider.initial_state
    for _, events, state in walk(decider, pool, picks):
        log += [recorded(e) for e in events]
        assert decider.fold(log) == state
    return log, state


def recorded(event: object) -> Any:
    """The event as a reader of the log gets it back (see tests.unit.deciders)."""
    return deciders.recorded(EVENTS, event)


def run_with(
    decider: Decider[object, S, object], *commands: object, state: S | None = None
) -> tuple[S, list[object]]:
    """Decide and fold each command in turn; the state and every event (each round-tripped)."""
    return deciders.run_with(EVENTS, decider, *commands, state=state)


__all__ = ["kinds", "recorded", "run_with", "walk"]  # with the names defined above
