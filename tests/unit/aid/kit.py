"""What the aid unit tests share: a clock, the policy rows, and deciding with a round trip.

Every event a test produces goes through ``services.aid.events.EVENTS`` the way
the store records it (schema dump, JSON, decode), so a schema mistake shows in
whichever test first produces that event.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, TypeVar

from services.aid.domain import ClassifierPolicy, HouseholdFinances
from services.aid.events import EVENTS
from shared.decider import Decider
from tests.unit import deciders
from tests.unit.deciders import kinds, walk

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
    """The event as a reader of the log gets it back (see tests.unit.deciders)."""
    return deciders.recorded(EVENTS, event)


def run_with(
    decider: Decider[object, S, object], *commands: object, state: S | None = None
) -> tuple[S, list[object]]:
    """Decide and fold each command in turn; the state and every event (each round-tripped)."""
    return deciders.run_with(EVENTS, decider, *commands, state=state)


__all__ = ["kinds", "recorded", "run_with", "walk"]  # with the names defined above
