"""Employers to organise (未建会单位台账, flow F2): registered once, a target when old enough."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.orgs.domain import (
    EMPLOYER,
    TARGET_KINDS,
    DeregisterEmployer,
    Employer,
    HandOverUnion,
    LinkUnion,
    RegisterEmployer,
    ReviewTarget,
    employer_stream,
)
from services.orgs.events import (
    EmployerDeregistered,
    EmployerRegistered,
    EmployerUnionEnded,
    EmployerUnionised,
    OrganizingTargetIdentified,
)
from tests.unit.orgs.kit import kinds, number, replayed_log, run_with, version

MONTHS = number("orgs.target_months")
MONTHS_V = version("orgs.target_months")
STARTED = date(2026, 3, 15)
OLD_ENOUGH = date(2026, 9, 15)
"""STARTED + MONTHS months: the first day the employer is a target."""


def run(*commands: object) -> tuple[Employer, list[object]]:
    return run_with(EMPLOYER, *commands)


def register(
    *,
    kind: str = "non_public_enterprise",
    started_on: date = STARTED,
    today: date = STARTED,
    months: int = MONTHS,
    name: str = "Huoqiu Rice Processing Co.",
) -> RegisterEmployer:
    return RegisterEmployer("E1", name, kind, started_on, 40, "341522", today, months, MONTHS_V)


def review(today: date, months: int = MONTHS) -> ReviewTarget:
    return ReviewTarget("E1", today, months, MONTHS_V)


def target(on: date, kind: str = "non_public_enterprise") -> OrganizingTargetIdentified:
    return OrganizingTargetIdentified("E1", kind, 40, on, MONTHS_V)


def test_policy_an_employer_is_a_target_six_months_after_it_started() -> None:
    assert (MONTHS, MONTHS_V) == (6, "orgs.target_months@2022-01-01")
    assert employer_stream("E1") == "Employer-E1"


def test_rule_an_employer_is_registered_once_and_a_second_registration_is_a_no_op() -> None:
    state, events = run(register(), register(name="the same, sent by 人社 too"))
    assert events == [
        EmployerRegistered(
            "E1", "Huoqiu Rice Processing Co.", "non_public_enterprise", STARTED, 40, "341522"
        )
    ]
    assert state == Employer(True, "non_public_enterprise", STARTED, 40)
    _, events = run(register(), register(today=OLD_ENOUGH))
    assert kinds(events) == ["EmployerRegistered"]  # not even when it would now be a target


@pytest.mark.parametrize("kind", TARGET_KINDS)
def test_rule_non_public_and_new_economic_or_social_organisations_are_targets(kind: str) -> None:
    state, events = run(register(kind=kind, today=OLD_ENOUGH))
    assert events[1:] == [target(OLD_ENOUGH, kind)]
    assert state.targeted


@pytest.mark.parametrize("kind", ["state_owned_enterprise", "public_institution", "government"])
def test_rule_other_employers_are_never_organising_targets(kind: str) -> None:
    state, events = run(register(kind=kind), review(OLD_ENOUGH), review(date(2030, 1, 1)))
    assert kinds(events) == ["EmployerRegistered"]
    assert not state.targeted


def test_rule_an_employer_becomes_a_target_on_the_day_it_is_target_months_old() -> None:
    _, events = run(register(today=OLD_ENOUGH - timedelta(days=1)))
    assert kinds(events) == ["EmployerRegistered"]  # a day too young
    _, events = run(register(today=OLD_ENOUGH))
    assert events[1:] == [target(OLD_ENOUGH)]


def test_rule_the_daily_review_identifies_a_young_employer_once_it_has_aged() -> None:
    state, events = run(register(), review(OLD_ENOUGH - timedelta(days=1)))
    assert kinds(events) == ["EmployerRegistered"]
    assert not state.targeted
    state, events = run(register(), review(OLD_ENOUGH - timedelta(days=1)), review(OLD_ENOUGH))
    assert events[1:] == [target(OLD_ENOUGH)]
    assert state.targeted


def test_rule_a_target_is_identified_only_once() -> None:
    _, events = run(register(today=OLD_ENOUGH), review(OLD_ENOUGH), review(date(2027, 1, 1)))
    assert kinds(events) == ["EmployerRegistered", "OrganizingTargetIdentified"]


@pytest.mark.parametrize(
    ("started_on", "first_day"),
    [
        (date(2026, 1, 31), date(2026, 7, 31)),
        (date(2026, 3, 31), date(2026, 9, 30)),  # September has 30 days
        (date(2025, 8, 31), date(2026, 2, 28)),
        (date(2027, 8, 31), date(2028, 2, 29)),  # a leap year
        (date(2026, 7, 1), date(2027, 1, 1)),  # across the new year
    ],
)
def test_rule_target_age_is_counted_in_calendar_months_to_the_day(
    started_on: date, first_day: date
) -> None:
    young = register(started_on=started_on, today=started_on)
    _, events = run(young, review(first_day - timedelta(days=1)))
    assert kinds(events) == ["EmployerRegistered"]
    _, events = run(young, review(first_day))
    assert events[-1] == target(first_day)


def test_rule_the_target_age_comes_with_the_command() -> None:
    """Locally 6 or 12 months: the policy row's value reaches the decider in the command."""
    _, events = run(register(months=12), review(OLD_ENOUGH, months=12))
    assert kinds(events) == ["EmployerRegistered"]
    _, events = run(register(months=12), review(date(2027, 3, 15), months=12))
    assert events[-1] == target(date(2027, 3, 15))


def test_rule_a_unionised_employer_is_never_a_target() -> None:
    state, events = run(register(), LinkUnion("U1", date(2026, 5, 1)), review(OLD_ENOUGH))
    assert events[1:] == [EmployerUnionised("U1", date(2026, 5, 1))]
    assert (state.union_id, state.targeted) == ("U1", False)


def test_rule_a_union_or_deregistration_recorded_before_the_registration_still_counts() -> None:
    """A union may be founded for an employer 人社 has not sent yet; it is then no target."""
    state, events = run(LinkUnion("U1", date(2026, 5, 1)), register(today=OLD_ENOUGH))
    assert kinds(events) == ["EmployerUnionised", "EmployerRegistered"]
    assert (state.registered, state.union_id, state.targeted) == (True, "U1", False)
    gone = DeregisterEmployer("E1", "closed", date(2026, 6, 1))
    state, events = run(gone, register(today=OLD_ENOUGH), review(date(2027, 1, 1)))
    assert kinds(events) == ["EmployerDeregistered", "EmployerRegistered"]
    assert (state.registered, state.deregistered, state.targeted) == (True, True, False)


def test_rule_linking_the_same_union_again_is_a_no_op() -> None:
    link = LinkUnion("U1", date(2026, 5, 1))
    _, events = run(register(), link, link)
    assert kinds(events) == ["EmployerRegistered", "EmployerUnionised"]
    state, events = run(register(), link, LinkUnion("U2", date(2026, 6, 1)))
    assert state.union_id == "U2"  # a merger moves it to another union


def test_rule_a_dissolved_unions_employer_has_no_union_and_is_a_target_again() -> None:
    link = LinkUnion("U1", date(2026, 5, 1))
    dissolved = HandOverUnion("U1", None, "employer_closed", date(2027, 1, 10))
    state, events = run(register(), link, dissolved, dissolved, review(date(2027, 1, 11)))
    assert events[2:] == [
        EmployerUnionEnded("U1", "employer_closed", date(2027, 1, 10)),
        OrganizingTargetIdentified("E1", "non_public_enterprise", 40, date(2027, 1, 11), MONTHS_V),
    ]
    assert (state.union_id, state.targeted) == (None, True)


def test_rule_a_merged_unions_employer_passes_to_the_union_it_merged_into() -> None:
    link = LinkUnion("U1", date(2026, 5, 1))
    merged = HandOverUnion("U1", "U2", "employer_merged", date(2027, 1, 10))
    state, events = run(register(), link, merged, merged)
    assert events[2:] == [EmployerUnionised("U2", date(2027, 1, 10))]
    assert state.union_id == "U2"
    # An employer that already moved to another union is not taken from it.
    moved = LinkUnion("U3", date(2026, 9, 1))
    state, events = run(register(), link, moved, merged)
    assert (state.union_id, kinds(events)[-1]) == ("U3", "EmployerUnionised")
    assert len(events) == 3


def test_rule_a_deregistered_employer_is_never_a_target_and_is_deregistered_once() -> None:
    gone = DeregisterEmployer("E1", "closed", date(2026, 6, 1))
    state, events = run(register(), gone, review(OLD_ENOUGH), gone)
    assert events[1:] == [EmployerDeregistered("E1", "closed", date(2026, 6, 1))]
    assert state.deregistered
    assert not state.targeted


def test_rule_an_unregistered_employer_is_never_a_target() -> None:
    state, events = run(review(date(2030, 1, 1)))
    assert (state, events) == (Employer(), [])


def test_rule_a_command_of_another_aggregate_is_a_crash_not_a_refusal() -> None:
    with pytest.raises(TypeError):
        EMPLOYER.decide(object(), Employer())


# -- properties ----------------------------------------------------------------------

REVIEW_DAYS = (
    date(2026, 6, 1),
    OLD_ENOUGH - timedelta(days=1),
    OLD_ENOUGH,
    date(2027, 3, 15),
    date(2028, 1, 1),
)
EMPLOYER_COMMANDS: tuple[object, ...] = (
    *(register(kind=k) for k in (*TARGET_KINDS, "state_owned_enterprise")),
    register(today=OLD_ENOUGH),
    *(review(d) for d in REVIEW_DAYS),
    *(review(d, 12) for d in REVIEW_DAYS),
    LinkUnion("U1", date(2026, 8, 1)),
    LinkUnion("U2", date(2027, 2, 1)),
    HandOverUnion("U2", None, "employer_closed", date(2027, 4, 1)),
    HandOverUnion("U1", "U2", "employer_merged", date(2027, 3, 1)),
    DeregisterEmployer("E1", "closed", date(2027, 6, 1)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=15))
def test_property_replaying_an_employers_recorded_events_gives_the_live_state(
    picks: list[int],
) -> None:
    log, state = replayed_log(EMPLOYER, EMPLOYER_COMMANDS, picks)
    targets = [e for e in log if isinstance(e, OrganizingTargetIdentified)]
    assert len(targets) <= 1
    for t in targets:  # a target is old enough, of a targeted kind, and not yet organised
        assert state.started_on is not None
        assert t.kind in TARGET_KINDS
        assert t.identified_on >= state.started_on + timedelta(days=6 * 28)
        before = log[: log.index(t)]
        assert not any(isinstance(e, EmployerDeregistered) for e in before)
        unions = [e for e in before if isinstance(e, EmployerUnionised | EmployerUnionEnded)]
        assert not unions or isinstance(unions[-1], EmployerUnionEnded)  # no union just then
