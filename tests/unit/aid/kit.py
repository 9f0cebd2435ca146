"""What the aid unit tests share: a clock, the policy rows, and deciding with a round trip.

Every event a test produces goes through ``services.aid.events.EVENTS`` the way
the store records it (schema dump, JSON, decode), so a schema mistake shows in
whichever test first produces that event.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from services.aid.domain import ClassifierPolicy, HouseholdFinances
from services.aid.events import EVENTS
from shared.decider import Decider
from shared.errors import DomainError

S = TypeVar("S")

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

POLICY = ClassifierPolicy(
    dibao_standard_fen=78_000,
    deep_bp=10_000,
    relative_bp=20_000,
    accident_bp=8_000,
    versions=(
        "aid.dibao_standard_fen@2022-01-01",
        "aid.classify.deep_bp@2022-01-01",
        "aid.classify.relative_bp@2022-01-01",
        "aid.classify.accident_bp@2022-01-01",
    ),
)


def finances(
    per_capita: int, size: int = 3, rigid: int = 0, event_costs: int = 0
) -> HouseholdFinances:
    """A household's vault values (monthly per-capita income, yearly costs), by version."""
    return HouseholdFinances(
        size,
        per_capita,
        rigid,
        event_costs,
        ("household_size@1", "per_capita_monthly_income_fen@1", "rigid_expenditure_yearly_fen@1"),
    )


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
